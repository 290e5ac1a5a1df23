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
 * Where the call below is grpc-js's own (BaseServerInterceptingCall, 1.14), has sent its headers
 * and has no send limit (a server's default), messages are encoded framed (gRPC's 5-byte header
 * first) into a batch, and the batch of one turn goes to the HTTP/2 stream as one write at its end
 * (ResponseWriter), as grpc-js's sendMessage would write each but without its second buffer and
 * copy, serializer call, closure, stream write and callback per message. With a send limit each
 * message goes straight to the stream when within it; anywhere else (another grpc-js, a message
 * over the limit, headers not sent) it takes sendMessage.
 *
 * Backpressure: grpc-js answers no write with a boolean at this level, so the writer counts the
 * bytes handed down and not yet written; above HIGH_WATER_BYTES write() answers false, and once
 * they drop to LOW_WATER_BYTES the drain listener runs (the consumer then sends what it held).
 */

import { ServerInterceptingCall, type Metadata, type ServerInterceptingCallInterface, type ServerInterceptor } from '@grpc/grpc-js';
import { GRPC_HEADER_BYTES, type MessageBatch } from '@duetime/sdk/protocol';
import { Fifo } from '../../core/engine/fifo.js';
import { readAcksBelowGrpc } from './watch-jobs-ack-hook.js';
import type { WatchJobsAckReader } from './watch-jobs-ack-reader.js';

export const WATCH_JOBS_PATH = '/dapr.proto.scheduler.v1.Scheduler/WatchJobs';

const HIGH_WATER_BYTES = 1 << 20;
const LOW_WATER_BYTES = 256 << 10;
/** Each slab holds the batches of some hundreds of triggers; a message larger than this gets a slab of its own size. */
const SLAB_BYTES = 64 << 10;
/**
 * A batch goes to the stream once it holds this much, before the turn ends (~30 triggers): the
 * worker starts on the first ones while the rest are encoded. With one write per turn only, the
 * whole turn's triggers reached the worker in one chunk and its acks came back in one, and server
 * and worker took turns instead of overlapping (burst-watch: slower than one write per trigger).
 */
const EARLY_FLUSH_BYTES = 2048;

/** The parts of grpc-js's BaseServerInterceptingCall a direct write relies on. */
interface GrpcBaseCall {
  stream: { write(chunk: Buffer, callback: (error?: Error | null) => void): boolean; destroyed: boolean; writableEnded?: boolean };
  metadataSent: boolean;
  maxSendMessageSize: number;
}

function asGrpcBaseCall(call: unknown): GrpcBaseCall | undefined {
  const c = call as Partial<GrpcBaseCall> | null;
  return typeof c?.stream?.write === 'function' && typeof c.metadataSent === 'boolean' && typeof c.maxSendMessageSize === 'number' ? (c as GrpcBaseCall) : undefined;
}

/**
 * The messages of one turn go to the HTTP/2 stream as one write: each is encoded (or copied) into
 * a slab at the end of the batch, and the batch is written on a microtask, after the code that
 * sent them (a chunk of acks settling, each dispatching the next trigger; a timer firing a
 * burst's first 250) has finished. One stream write, one callback and one native write per batch
 * instead of per message (a burst's batches hold 20 to 30; EARLY_FLUSH_BYTES). A slab is never written into again
 * below a batch handed to the stream (the stream may hold it until the socket takes it); the next
 * batch follows it in the same slab, and a full slab is left to the stream and replaced.
 */
export class ResponseWriter implements MessageBatch {
  private queuedBytes = 0;
  /** Sizes of the batches not yet written, in order (their callbacks come in order). */
  private readonly sizes = new Fifo<number>();
  private full = false;
  private drainListener: (() => void) | undefined;
  private readonly base: GrpcBaseCall | undefined;
  /** The slab the current batch is in: bytes [start, at) are the batch not yet handed to the stream. */
  private slab: Buffer = EMPTY;
  private start = 0;
  private at = 0;
  private flushQueued = false;
  // One callback for every batch: the sizes say which batch it was. A failed direct write needs
  // nothing here: the stream is destroyed and its 'close' ends the call.
  private readonly written = (): void => {
    this.queuedBytes -= this.sizes.shift() ?? 0;
    if (this.full && this.queuedBytes <= LOW_WATER_BYTES) {
      this.full = false;
      this.drainListener?.();
    }
  };
  private readonly flushQueuedBatch = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  constructor(private readonly call: ServerInterceptingCallInterface) {
    this.base = asGrpcBaseCall(call);
  }

  /**
   * Messages may go into the batch (encodeWatchJobsResponseInto): the call below is grpc-js's
   * own, its headers are sent, and it has no send limit (grpc-js's default for a server) that
   * each message would have to be checked against. Otherwise write() each message.
   */
  batching(): boolean {
    const base = this.base;
    return base !== undefined && base.metadataSent && !base.stream.destroyed && base.maxSendMessageSize === -1;
  }

  get buffer(): Buffer {
    return this.slab;
  }

  /** Room for one framed message in this turn's batch: its offset in `buffer`. Only while batching() says so. */
  reserve(bytes: number): number {
    if (this.at + bytes > this.slab.length) {
      this.flush();
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, bytes));
      this.start = this.at = 0;
    }
    if (this.at - this.start >= EARLY_FLUSH_BYTES) this.flush(); // keep the stream flowing: the peer starts on the first ones
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushQueuedBatch);
    }
    const offset = this.at;
    this.at += bytes;
    this.queuedBytes += bytes;
    return offset;
  }

  /** After a message went into the batch: false when the consumer should hold further ones until onDrain. */
  batched(): boolean {
    if (this.queuedBytes > HIGH_WATER_BYTES) this.full = true;
    return !this.full;
  }

  /**
   * Sends one message, given framed (GRPC_HEADER_BYTES of header, then the message): copied into
   * the batch while batching, else on its own (after the batch, to keep the order): straight to
   * the HTTP/2 stream when within the send limit, through grpc-js's sendMessage otherwise. False
   * when the consumer should hold further ones until onDrain.
   */
  write(framed: Buffer): boolean {
    if (this.batching()) {
      const at = this.reserve(framed.length); // first: it may start a new slab
      framed.copy(this.slab, at);
      return this.batched();
    }
    this.flush();
    this.queuedBytes += framed.length;
    this.sizes.push(framed.length);
    const base = this.base;
    const max = base?.maxSendMessageSize;
    if (base && base.metadataSent && !base.stream.destroyed && (max === -1 || framed.length - GRPC_HEADER_BYTES <= max!)) base.stream.write(framed, this.written);
    else this.call.sendMessage(framed.subarray(GRPC_HEADER_BYTES), this.written);
    return this.batched();
  }

  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  /** Hands the batch to the HTTP/2 stream (dropped when the stream is gone: the consumer closes and its triggers go elsewhere). */
  private flush(): void {
    if (this.at === this.start) return;
    const batch = this.slab.subarray(this.start, this.at);
    this.start = this.at;
    const stream = this.base!.stream;
    if (stream.destroyed || stream.writableEnded === true) return;
    this.sizes.push(batch.length);
    stream.write(batch, this.written);
  }
}

const EMPTY = Buffer.alloc(0);

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
