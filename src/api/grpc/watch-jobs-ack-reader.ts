/*
 * The acks of a WatchJobs call, read from the HTTP/2 stream's bytes below grpc-js.
 *
 * grpc-js reads a client stream one message at a time: each message pauses the HTTP/2 stream,
 * goes through a read queue, the interceptors and the handler's object stream, and the stream
 * resumes when the handler asks for the next (measured: ~3 µs per ack on the server's main thread
 * in a 20,000 trigger burst, most of it that chain). Here the stream's chunks are split into gRPC
 * messages (a 5-byte header, then the message) however the DATA frames cut them; the acks of one
 * chunk are decoded in place (watch-jobs-ack-wire.ts) and handed to the sink as one batch.
 *
 * Everything else still goes to grpc-js, one whole message at a time, so its decoder only ever
 * sees message boundaries: every message before the sink is attached (the initial message,
 * results sent before the handler has the consumer), and, from the first message that is not a
 * plain uncompressed ack (a second initial, a malformed or unusual result, a compressed message)
 * or that is longer than MAX_DIRECT_BYTES, all the bytes of the call from there on. A call that
 * goes wrong is then handled exactly as before (refused, ended), and acks behind the bad message
 * are not settled here.
 */

import { GRPC_HEADER_BYTES } from '@duetime/sdk/protocol';
import { AckDecoder } from './watch-jobs-ack-wire.js';

/** Receives the acks of one chunk: `count` ids, each with whether the client answered FAILED. */
export type AckSink = (ids: readonly number[], failed: readonly boolean[], count: number) => void;

/** An ack is a dozen bytes; anything this long goes to grpc-js (which applies its own limit). */
export const MAX_DIRECT_BYTES = 64 * 1024;


export class WatchJobsAckReader {
  private sink: AckSink | undefined;
  /** Once set, every byte goes to grpc-js. */
  private generic = false;
  /** The start of a message not complete yet, and its bytes so far. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Length of the pending message (header included) once its header is in, else -1. */
  private needed = -1;
  private readonly decoder = new AckDecoder();
  // Reused for every chunk: the sink reads them before push returns.
  private readonly ids: number[] = [];
  private readonly failed: boolean[] = [];

  constructor(
    /** grpc-js's own handling of the bytes (whole messages, or anything once generic). */
    private readonly toGrpc: (bytes: Buffer) => void,
  ) {}

  /** From now on, plain acks go to the sink (the handler has a consumer). */
  attach(sink: AckSink): void {
    this.sink = sink;
  }

  /** The call ended: later acks go to grpc-js, which delivers them to nobody. */
  detach(): void {
    this.sink = undefined;
  }

  /** A chunk of the HTTP/2 stream's data. */
  push(chunk: Buffer): void {
    if (this.generic) {
      this.toGrpc(chunk);
      return;
    }
    let bytes = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // A long message in many chunks: gather until it is whole, then join once.
      if (this.needed >= 0 && this.pendingBytes < this.needed) return;
      bytes = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.needed = -1;
    let at = 0;
    let count = 0;
    while (bytes.length - at >= GRPC_HEADER_BYTES) {
      const length = bytes.readUInt32BE(at + 1);
      if (length > MAX_DIRECT_BYTES) {
        this.flush(count);
        this.generic = true;
        this.toGrpc(bytes.subarray(at));
        return;
      }
      const end = at + GRPC_HEADER_BYTES + length;
      if (end > bytes.length) {
        this.needed = GRPC_HEADER_BYTES + length;
        break;
      }
      if (this.sink && bytes[at] === 0 && this.decoder.read(bytes, at + GRPC_HEADER_BYTES, end)) {
        this.ids[count] = this.decoder.id;
        this.failed[count] = this.decoder.failed;
        count++;
      } else {
        this.flush(count);
        count = 0;
        if (this.sink) {
          // Not an ack where only acks belong: grpc-js takes the call from here on.
          this.generic = true;
          this.toGrpc(bytes.subarray(at));
          return;
        }
        this.toGrpc(bytes.subarray(at, end));
      }
      at = end;
    }
    this.flush(count);
    if (at < bytes.length) {
      this.pending.push(bytes.subarray(at));
      this.pendingBytes = bytes.length - at;
    }
  }

  private flush(count: number): void {
    if (count > 0) this.sink?.(this.ids, this.failed, count);
  }
}
