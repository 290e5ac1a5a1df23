/*
 * WatchJobs over node:http2 directly, for listen() on a plaintext connection (the default).
 *
 * Why not grpc-js here: its client call sends one message per HTTP/2 write and waits for each
 * write to complete before it sends the next (its retry layer orders them so), and each message
 * passes half a dozen call layers with a promise or two in each. A burst of 20,000 triggers means
 * 20,000 acks, and that chain cost more CPU than the app's handlers (measured ~25 us per trigger
 * in the worker, most of it there). Here a trigger costs a hand decode (watch-jobs-response-
 * wire.ts), and the acks of one read go out in one write, one gRPC message per ack as the
 * protocol has it: the server sees the same messages, in fewer DATA frames.
 *
 * The protocol is gRPC over HTTP/2 as grpc-js speaks it: POST to the method's path with
 * content-type application/grpc and te: trailers, length-prefixed messages both ways (identity
 * only: we do not accept compression), the status in the trailers (or in the headers of a
 * trailers-only response). The call emits what WatchConnection listens to on a grpc-js call:
 * 'metadata' (the response headers), 'data' (each trigger), then 'end' and 'status' on OK, or
 * 'error' (a ServiceError-like Error: code, details) and 'status' otherwise.
 *
 * The call is over when the server's side ends (its status sent): ours is closed then, so the
 * status is reported at once even though we never half-closed.
 *
 * One HTTP/2 session per listener stream, pinged every 30 s (a dead peer that never sent a FIN is
 * found within the ping timeout); the session is made again at the next call after it closes.
 */

import { EventEmitter } from 'node:events';
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { Metadata, status } from '@grpc/grpc-js';
import { FrameReader, frameMessages } from './grpc-frames.js';
import { loadDuetimeProtos } from './protocol/proto-loader.js';
import { decodeWatchJobsResponse, type DecodedWatchJobsResponse } from './protocol/watch-jobs-response-wire.js';
import { MAX_FRAMED_RESULT_BYTES, writeFramedWatchJobsResult, type WatchJobsResultStatus } from './protocol/watch-jobs-result-wire.js';

const WATCH_JOBS_PATH = '/dapr.proto.scheduler.v1.Scheduler/WatchJobs';
/** grpc-js's default receive limit, kept. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Flow-control windows: a burst of triggers flows without waiting for window updates. */
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
const SESSION_WINDOW_BYTES = 8 * 1024 * 1024;
const KEEPALIVE_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 20_000;
/** Acks are framed into slabs of this size (some 3,000 acks each). */
const ACK_SLAB_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/** host:port or [v6]:port: what this client dials itself (anything else goes through grpc-js). */
export function plainAddress(address: string): boolean {
  return /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):\d{1,5}$/.test(address);
}

/** The sessions of one address: one at a time, made again when it closes. */
export class H2WatchJobsChannel {
  /** The session in use, and how many calls are open on it. */
  private current: { session: ClientHttp2Session; calls: number } | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly address: string) {}

  call(apiToken: string | undefined): H2WatchJobsCall {
    if (this.closed) throw new Error('the channel is closed');
    const headers: Record<string, string> = {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: WATCH_JOBS_PATH,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      [constants.HTTP2_HEADER_TE]: 'trailers',
      'grpc-accept-encoding': 'identity',
      ...(apiToken ? { 'dapr-api-token': apiToken } : {}),
    };
    let current = this.open();
    let stream: ClientHttp2Stream;
    try {
      stream = current.session.request(headers);
    } catch {
      // The session was going away (a GOAWAY not yet seen, a socket just closed): a new one.
      this.drop();
      current = this.open();
      stream = current.session.request(headers);
    }
    // As grpc-js does: an open call keeps the process alive, an idle session does not.
    const opened = current;
    if (opened.calls++ === 0) opened.session.ref();
    stream.once('close', () => {
      if (--opened.calls === 0) opened.session.unref();
    });
    return new H2WatchJobsCall(stream);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pinger);
    this.current?.session.close();
    this.current = undefined;
  }

  private drop(): void {
    this.current?.session.destroy();
    this.current = undefined;
  }

  private open(): { session: ClientHttp2Session; calls: number } {
    const current = this.current;
    if (current && !current.session.closed && !current.session.destroyed) return current;
    const session = connect(`http://${this.address}`, { settings: { enablePush: false, initialWindowSize: STREAM_WINDOW_BYTES } });
    // A refused or broken connection fails its streams, which report it; the session has nothing to add.
    session.on('error', () => undefined);
    session.once('connect', () => session.setLocalWindowSize(SESSION_WINDOW_BYTES));
    const opened = { session, calls: 0 };
    // Closed, or told by GOAWAY (shutting down, max connection age) to take no new calls: the
    // next call makes a new session.
    const forget = (): void => {
      if (this.current === opened) this.current = undefined;
    };
    session.once('close', forget);
    session.once('goaway', forget);
    session.unref();
    this.current = opened;
    clearInterval(this.pinger);
    this.pinger = setInterval(() => ping(session), KEEPALIVE_MS);
    this.pinger.unref();
    return opened;
  }
}

function ping(session: ClientHttp2Session): void {
  if (session.closed || session.destroyed || session.connecting) return;
  const timeout = setTimeout(() => session.destroy(new Error('keepalive ping not answered')), KEEPALIVE_TIMEOUT_MS);
  timeout.unref();
  const sent = session.ping((error) => {
    clearTimeout(timeout);
    if (error) session.destroy(error);
  });
  if (!sent) clearTimeout(timeout);
}

/** The error a failed call reports: shaped as grpc-js's ServiceError (code, details, metadata). */
export class WatchCallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly metadata: Metadata = new Metadata(),
  ) {
    super(`${code} ${status[code] ?? 'UNKNOWN'}: ${details}`);
  }
}

/** One WatchJobs call on an HTTP/2 stream; see the file comment for its events. */
export class H2WatchJobsCall extends EventEmitter {
  private readonly frames = new FrameReader(MAX_MESSAGE_BYTES);
  /**
   * Acks written since the last flush, framed into `ackSlab` at [ackStart, ackAt), sent together
   * on the next tick. A slab is not written into again below what was handed to the stream (it
   * may hold it until the socket takes it); a full one is left to the stream and replaced.
   */
  private ackSlab: Buffer = EMPTY;
  private ackStart = 0;
  private ackAt = 0;
  private flushing = false;
  private ended = false;
  private finished = false;
  private cancelled = false;
  private failure: WatchCallError | undefined;
  private headers: IncomingHttpHeaders | undefined;
  private trailers: IncomingHttpHeaders | undefined;
  private streamError: Error | undefined;
  private readonly flush = (): void => {
    this.flushing = false;
    if (this.ackAt === this.ackStart || this.finished) return;
    const acks = this.ackSlab.subarray(this.ackStart, this.ackAt);
    this.ackStart = this.ackAt;
    this.stream.write(acks);
  };

  constructor(private readonly stream: ClientHttp2Stream) {
    super();
    stream.on('response', (headers) => {
      this.headers = headers;
      this.emit('metadata', metadataOf(headers));
    });
    stream.on('data', (chunk: Buffer) => this.read(chunk));
    stream.on('trailers', (trailers) => {
      this.trailers = trailers;
    });
    // The server's side has ended, its status sent (trailers, or a trailers-only response): the
    // call is over. A gRPC server does not reset the stream after its status while our side is
    // still open (grpc-js does not), so 'close' would wait for us, and a stream the server ended
    // (a refused or revoked token) went unreported: close our side now.
    stream.on('end', () => {
      if (!this.finished && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
    });
    stream.on('error', (error) => {
      this.streamError = error;
    });
    stream.on('close', () => this.closed());
  }

  get writableEnded(): boolean {
    return this.ended;
  }

  /** `{ result: { id, status } }` (batched per tick), or any other request message (sent at once). */
  write(message: { result?: { id: string; status: WatchJobsResultStatus } }): boolean {
    if (this.ended) return false; // also set once the stream has closed
    if (message.result) {
      if (this.ackAt + MAX_FRAMED_RESULT_BYTES > this.ackSlab.length) {
        this.flush();
        this.ackSlab = Buffer.allocUnsafeSlow(ACK_SLAB_BYTES);
        this.ackStart = this.ackAt = 0;
      }
      this.ackAt = writeFramedWatchJobsResult(this.ackSlab, this.ackAt, message.result.id, message.result.status);
      if (!this.flushing) {
        this.flushing = true;
        process.nextTick(this.flush);
      }
      return true;
    }
    this.flush();
    return this.stream.write(frameMessages([loadDuetimeProtos().schedulerService.WatchJobs!.requestSerialize(message)]));
  }

  /** Half-closes after the acks written so far. */
  end(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    if (!this.finished) this.stream.end();
  }

  cancel(): void {
    if (this.finished) return;
    this.cancelled = true;
    this.ended = true;
    this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private read(chunk: Buffer): void {
    if (this.failure) return;
    let messages: Buffer[];
    try {
      messages = this.frames.push(chunk);
    } catch (error) {
      this.fail(status.RESOURCE_EXHAUSTED, (error as Error).message);
      return;
    }
    for (const bytes of messages) {
      let message: DecodedWatchJobsResponse;
      try {
        message = decodeWatchJobsResponse(bytes);
      } catch {
        // Something the hand decoder does not take (an id past 2^53): the generic decoder's turn.
        try {
          message = loadDuetimeProtos().schedulerService.WatchJobs!.responseDeserialize(bytes) as DecodedWatchJobsResponse;
        } catch (error) {
          this.fail(status.INTERNAL, `a WatchJobs message could not be decoded: ${(error as Error).message}`);
          return;
        }
      }
      this.emit('data', message);
      if (this.failure || this.finished) return;
    }
  }

  /** Ends the call from our side with this status (reported when the stream has closed). */
  private fail(code: number, details: string): void {
    this.failure = new WatchCallError(code, details);
    this.ended = true;
    this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private closed(): void {
    if (this.finished) return;
    this.finished = true;
    this.ended = true;
    const error = this.failure ?? this.statusError();
    if (!error) {
      this.emit('end');
      this.emit('status', { code: status.OK, details: '', metadata: new Metadata() });
      return;
    }
    this.emit('error', error);
    this.emit('status', { code: error.code, details: error.details, metadata: error.metadata });
  }

  /** The call's status from the trailers (or a trailers-only response); undefined for OK. */
  private statusError(): WatchCallError | undefined {
    if (this.cancelled) return new WatchCallError(status.CANCELLED, 'Cancelled on client');
    const source = this.trailers ?? (this.headers?.['grpc-status'] !== undefined ? this.headers : undefined);
    if (!source) {
      const why = this.streamError?.message ?? (this.headers ? 'the stream closed without a status' : 'no connection established');
      return new WatchCallError(status.UNAVAILABLE, why);
    }
    const code = Number(source['grpc-status']);
    if (code === status.OK) return undefined;
    const details = decodeMessage(source['grpc-message']);
    return new WatchCallError(Number.isInteger(code) ? code : status.UNKNOWN, details, metadataOf(source));
  }
}

function decodeMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Response headers or trailers as grpc-js Metadata (pseudo-headers and gRPC's own left out). */
function metadataOf(headers: IncomingHttpHeaders): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(':') || key === 'grpc-status' || key === 'grpc-message' || key === 'content-type' || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      if (key.endsWith('-bin')) metadata.add(key, Buffer.from(one, 'base64'));
      else metadata.add(key, one);
    }
  }
  return metadata;
}
