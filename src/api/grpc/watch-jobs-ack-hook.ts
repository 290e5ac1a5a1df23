/*
 * Puts a WatchJobsAckReader between a WatchJobs call's HTTP/2 stream and grpc-js.
 *
 * grpc-js's server call (BaseServerInterceptingCall, 1.14) listens to the stream's 'data' with
 * `this.handleDataFrame(chunk)`; replacing that method on the one call routes every chunk through
 * the reader, which hands grpc-js whatever is not a plain ack. This relies on grpc-js internals,
 * so it is checked first: when the call does not look as expected (another grpc-js version, a
 * wrapped call), nothing is replaced and grpc-js reads every message as before.
 */

import type { ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { WatchJobsAckReader } from './watch-jobs-ack-reader.js';

/** The parts of grpc-js's BaseServerInterceptingCall this relies on. */
interface GrpcBaseCall {
  stream: { listenerCount(event: string): number };
  handleDataFrame(chunk: Buffer): void;
  checkCancelled(): boolean;
}

function isGrpcBaseCall(call: unknown): call is GrpcBaseCall {
  const c = call as Partial<GrpcBaseCall> | null;
  return (
    typeof c?.handleDataFrame === 'function' &&
    typeof c.checkCancelled === 'function' &&
    typeof c.stream?.listenerCount === 'function' &&
    // grpc-js's own listener only; anything else reading the stream would miss what we take.
    c.stream.listenerCount('data') === 1 &&
    !Object.prototype.hasOwnProperty.call(c, 'handleDataFrame')
  );
}

/** The reader now taking the call's bytes, or undefined when grpc-js reads them as before. */
export function readAcksBelowGrpc(call: ServerInterceptingCallInterface): WatchJobsAckReader | undefined {
  if (!isGrpcBaseCall(call)) return undefined;
  const base = call;
  const grpcHandles = base.handleDataFrame.bind(base);
  const reader = new WatchJobsAckReader(grpcHandles);
  base.handleDataFrame = (chunk: Buffer): void => {
    // As grpc-js does first: a cancelled call reads nothing more.
    if (base.checkCancelled()) return;
    reader.push(chunk);
  };
  return reader;
}
