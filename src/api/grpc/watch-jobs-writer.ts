/*
 * Trigger messages of a WatchJobs call written below grpc-js's object stream.
 *
 * The handler's ServerDuplexStream has no _writev and waits for each message's HTTP/2 write to
 * complete before it hands the next one down: a burst goes out one message per write completion,
 * each with its own native write and callbacks (measured: ~40 % of the server's CPU in a 20,000
 * trigger burst went to that chain). This interceptor keeps a handle on the call below it and
 * sends each encoded message to it at once, so messages queue in the HTTP/2 stream, which writes
 * everything queued behind the write in progress in one writev. The wire is the same: one gRPC
 * message per trigger, in order.
 *
 * The object stream still sends the headers, the status and the end (call.end() queues behind
 * the messages already in the HTTP/2 stream), and still reads the client's messages.
 *
 * Where the call below is grpc-js's own (BaseServerInterceptingCall, 1.14) and has sent its
 * headers, a message arrives framed (gRPC's 5-byte header already written by the encoder) and
 * goes straight to the HTTP/2 stream, as grpc-js's sendMessage would write it but without its
 * second buffer and copy, serializer call and closure per message. Anywhere else (another
 * grpc-js, a message over the call's send limit, headers not sent) it takes sendMessage.
 *
 * Backpressure: grpc-js answers no write with a boolean at this level, so the writer counts the
 * bytes handed down and not yet written; above HIGH_WATER_BYTES write() answers false, and once
 * they drop to LOW_WATER_BYTES the drain listener runs (the consumer then sends what it held).
 */

import { ServerInterceptingCall, type Metadata, type ServerInterceptingCallInterface, type ServerInterceptor } from '@grpc/grpc-js';
import { GRPC_HEADER_BYTES } from '@duetime/sdk/protocol';
import { Fifo } from '../../core/engine/fifo.js';
import { readAcksBelowGrpc } from './watch-jobs-ack-hook.js';
import type { WatchJobsAckReader } from './watch-jobs-ack-reader.js';

export const WATCH_JOBS_PATH = '/dapr.proto.scheduler.v1.Scheduler/WatchJobs';

const HIGH_WATER_BYTES = 1 << 20;
const LOW_WATER_BYTES = 256 << 10;

/** The parts of grpc-js's BaseServerInterceptingCall a direct write relies on. */
interface GrpcBaseCall {
  stream: { write(chunk: Buffer, callback: (error?: Error | null) => void): boolean; destroyed: boolean };
  metadataSent: boolean;
  maxSendMessageSize: number;
}

function asGrpcBaseCall(call: unknown): GrpcBaseCall | undefined {
  const c = call as Partial<GrpcBaseCall> | null;
  return typeof c?.stream?.write === 'function' && typeof c.metadataSent === 'boolean' && typeof c.maxSendMessageSize === 'number' ? (c as GrpcBaseCall) : undefined;
}

export class ResponseWriter {
  private queuedBytes = 0;
  /** Sizes of the messages not yet written, in order (their callbacks come in order). */
  private readonly sizes = new Fifo<number>();
  private full = false;
  private drainListener: (() => void) | undefined;
  private readonly base: GrpcBaseCall | undefined;
  // One callback for every message: the sizes say which message it was. A failed direct write
  // needs nothing here: the stream is destroyed and its 'close' ends the call.
  private readonly written = (): void => {
    this.queuedBytes -= this.sizes.shift() ?? 0;
    if (this.full && this.queuedBytes <= LOW_WATER_BYTES) {
      this.full = false;
      this.drainListener?.();
    }
  };

  constructor(private readonly call: ServerInterceptingCallInterface) {
    this.base = asGrpcBaseCall(call);
  }

  /**
   * Sends one message, given framed (GRPC_HEADER_BYTES of header, then the message); false when
   * the consumer should hold further ones until onDrain.
   */
  write(framed: Buffer): boolean {
    this.queuedBytes += framed.length;
    this.sizes.push(framed.length);
    const base = this.base;
    const max = base?.maxSendMessageSize;
    if (base && base.metadataSent && !base.stream.destroyed && (max === -1 || framed.length - GRPC_HEADER_BYTES <= max!)) base.stream.write(framed, this.written);
    else this.call.sendMessage(framed.subarray(GRPC_HEADER_BYTES), this.written);
    if (this.queuedBytes > HIGH_WATER_BYTES) this.full = true;
    return !this.full;
  }

  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }
}

/** What the interceptor set up below grpc-js for one call (the reader when grpc-js looked as expected). */
export interface DirectWatchJobs {
  writer: ResponseWriter;
  acks: WatchJobsAckReader | undefined;
}

// The handler finds its call's writer and ack reader by the call's metadata: the one object
// grpc-js hands both to the interceptor chain and to the handler's stream.
const direct = new WeakMap<Metadata, DirectWatchJobs>();

export function directWatchJobsOf(metadata: Metadata): DirectWatchJobs | undefined {
  return direct.get(metadata);
}

/**
 * Server interceptor: a ResponseWriter, and an ack reader below grpc-js (watch-jobs-ack-hook.ts),
 * for each WatchJobs call; other methods pass through. It must be the first interceptor: both
 * work on grpc-js's own call.
 */
export const directWatchJobsWrites: ServerInterceptor = (method, call) => {
  if (method.path !== WATCH_JOBS_PATH) return new ServerInterceptingCall(call);
  const io: DirectWatchJobs = { writer: new ResponseWriter(call), acks: readAcksBelowGrpc(call) };
  return new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMetadata: (metadata, forward) => {
          direct.set(metadata, io);
          forward(metadata);
        },
      }),
  });
};
