// A request message that does not decode is the caller's mistake: INVALID_ARGUMENT with a
// message, not the INTERNAL grpc-js answers when a service's requestDeserialize throws (it
// catches the throw itself and sends INTERNAL "Error deserializing request", so a throw cannot
// carry another status). So each method's deserializer returns an UndecodableMessage instead of
// throwing, and an interceptor that sees one ends the call with INVALID_ARGUMENT before any
// handler reads it; the handler never runs for a unary or server-streaming call, and a
// bidirectional stream (WatchJobs) ends at its first undecodable message.

import { ServerInterceptingCall, status, type ServerInterceptor, type ServiceDefinition } from '@grpc/grpc-js';
import { statusError } from './grpc-errors.js';

/** What a request message that could not be decoded becomes. */
export class UndecodableMessage {
  constructor(
    readonly method: string,
    readonly reason: string,
  ) {}
}

/** The service with each method's request decoder returning UndecodableMessage instead of throwing. */
export function tolerantDeserializers(service: ServiceDefinition): ServiceDefinition {
  const wrapped: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(service)) {
    const decode = method.requestDeserialize;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (error) {
          return new UndecodableMessage(method.path, error instanceof Error ? error.message : String(error));
        }
      },
    };
  }
  return wrapped as ServiceDefinition;
}

/** Ends a call whose request message was undecodable with INVALID_ARGUMENT, naming the method. */
export const refuseUndecodable: ServerInterceptor = (_method, call) => {
  let refused = false;
  const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, forward) => {
          if (refused) return;
          if (message instanceof UndecodableMessage) {
            refused = true;
            const text = `the request message of ${message.method} could not be decoded (${message.reason.slice(0, 200)}); send a message encoded as the method's .proto declares`;
            const { code, details, metadata } = statusError(status.INVALID_ARGUMENT, 'ERR_MALFORMED_REQUEST', text);
            intercepting.sendStatus({ code, details, ...(metadata ? { metadata } : {}) });
            return;
          }
          forward(message);
        },
        onReceiveHalfClose: (forward) => {
          if (!refused) forward();
        },
      }),
  });
  return intercepting;
};
