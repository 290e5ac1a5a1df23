// One etcd Watch call (a bidirectional gRPC stream) over the KV calls' bare node:http2 session
// (grpc-http2-unary.ts) instead of grpc-js. Every replica's index watch hears every batch of
// writes to the due and staged indexes; through grpc-js each of those messages went through its
// call, interceptor and stream-decoder layers (about 3% of a replica's CPU in a trigger burst on
// 3 replicas, more while scheduling). Here a message is cut from the HTTP/2 data and decoded with
// the hand-written codec, nothing else.
//
// What RangeWatch (range-watch.ts) needs of the stream, and gets as grpc-js gave it: 'data' with
// each decoded WatchResponse in order; 'error' with an EtcdError when the call fails (its code as
// grpc-js reported it: UNAVAILABLE for a lost connection, etcd's own status otherwise); 'end'
// when etcd ends the call with status OK; create() to send a WatchRequest that creates a watch;
// cancel() to end the call, after which nothing more is emitted.

import { EventEmitter } from 'node:events';
import { constants as h2, type ClientHttp2Stream } from 'node:http2';
import { status as GrpcCode } from '@grpc/grpc-js';
import type { WatchCreateRequest, WatchResponse } from './etcd-api.js';
import { decodeWatchResponse, encodeWatchCreateRequest } from './etcd-codec.js';
import { EtcdError } from './etcd-error.js';
import { callEndError, grpcFrame, grpcStatusOf, streamFailure } from './grpc-http2-status.js';

const METHOD = 'Watch';

export interface WatchStreamEvents {
  data: [WatchResponse];
  error: [EtcdError];
  end: [];
}

export class GrpcHttp2Watch extends EventEmitter<WatchStreamEvents> {
  /** Received chunks not yet making a whole message (a message may span many DATA frames). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Bytes the message in progress needs, frame prefix included (0: its prefix is not in yet). */
  private needed = 0;
  private finished = false;
  private grpcStatus: { code: number; message: string } | undefined;
  private httpStatus = 0;

  /** @param maxReceiveBytes the largest message accepted (a bigger one fails the call, as in grpc-js) */
  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly maxReceiveBytes: number,
  ) {
    super();
    stream.on('response', (headers) => {
      this.httpStatus = Number(headers[':status']);
      this.grpcStatus = grpcStatusOf(headers) ?? this.grpcStatus;
    });
    stream.on('trailers', (headers) => {
      this.grpcStatus = grpcStatusOf(headers) ?? this.grpcStatus;
    });
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', (error: NodeJS.ErrnoException) => this.fail(streamFailure(METHOD, stream, error)));
    stream.on('close', () => this.closed());
  }

  /** Asks etcd for a watch on this stream. */
  create(request: WatchCreateRequest): void {
    if (this.finished) return;
    this.stream.write(grpcFrame(encodeWatchCreateRequest(request)));
  }

  /** Ends the call (RST_STREAM CANCEL); nothing is emitted after this. */
  cancel(): void {
    this.finished = true;
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(h2.NGHTTP2_CANCEL);
  }

  private receive(chunk: Buffer): void {
    if (this.finished) return;
    let bytes = chunk;
    if (this.partialBytes > 0) {
      // The rest of a message: gathered without copying until it is all in, then joined once.
      this.partial.push(chunk);
      this.partialBytes += chunk.length;
      if (this.needed === 0 && this.partialBytes >= 5) this.needed = 5 + Buffer.concat(this.partial).readUInt32BE(1);
      if (this.needed === 0 || this.partialBytes < this.needed) return;
      bytes = Buffer.concat(this.partial, this.partialBytes);
      this.partial = [];
      this.partialBytes = 0;
      this.needed = 0;
    }
    // Usually a chunk holds whole messages: they are decoded in place, without copying.
    while (!this.finished && bytes.length >= 5) {
      if (bytes[0] !== 0) return this.fail(new EtcdError(METHOD, GrpcCode.INTERNAL, 'a compressed message, which was not asked for'), true);
      const length = bytes.readUInt32BE(1);
      if (length > this.maxReceiveBytes) {
        return this.fail(new EtcdError(METHOD, GrpcCode.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs. ${this.maxReceiveBytes})`), true);
      }
      if (bytes.length < 5 + length) {
        this.needed = 5 + length;
        break;
      }
      let response: WatchResponse;
      try {
        response = decodeWatchResponse(bytes.subarray(5, 5 + length));
      } catch (error) {
        return this.fail(new EtcdError(METHOD, GrpcCode.INTERNAL, `a message could not be decoded: ${(error as Error).message}`), true);
      }
      bytes = bytes.subarray(5 + length);
      this.emit('data', response);
    }
    if (!this.finished && bytes.length > 0) {
      this.partial = [bytes];
      this.partialBytes = bytes.length;
    } else this.needed = 0;
  }

  /** The stream closed: etcd's status says how the call ended. */
  private closed(): void {
    if (this.finished) return;
    const error = callEndError(METHOD, this.stream, this.httpStatus, this.grpcStatus);
    if (error) return this.fail(error);
    this.finished = true;
    this.emit('end');
  }

  private fail(error: EtcdError, cancel = false): void {
    if (this.finished) return;
    this.finished = true;
    if (cancel && !this.stream.closed && !this.stream.destroyed) this.stream.close(h2.NGHTTP2_CANCEL);
    this.emit('error', error);
  }
}
