// Adapts an async handler to grpc-js's callback style, mapping thrown errors to a status.

import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toGrpcError } from './grpc-errors.js';

export function unary<Req, Res>(logger: Logger, handler: (call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toGrpcError(error, logger)),
    );
  };
}
