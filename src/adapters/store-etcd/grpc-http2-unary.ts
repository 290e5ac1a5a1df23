// gRPC unary calls over one plain node:http2 session, without grpc-js: for etcd's KV service
// (Range, Txn), the calls a replica makes hundreds of times a second. grpc-js costs the client
// about 0.4-0.8 ms of CPU per call on this machine whatever the call holds (its channel,
// subchannel picking, interceptor chain and call objects around each HTTP/2 stream), a bare
// node:http2 call with the same codec about half of it (bench/etcd-call-probe.ts). The watch
// streams share the session (openStream, grpc-http2-watch.ts); the leases, a few calls a minute
// and the keep-alive stream, stay on grpc-js (etcd-client.ts).
//
// The wire (gRPC over HTTP/2): a POST to /package.Service/Method with content-type
// application/grpc and te: trailers; the body is one message behind a 5-byte prefix (a
// compressed flag, 0 here, and the length, big-endian); the answer is the same framing, and its
// status is grpc-status (and grpc-message, percent-encoded) in the trailers, or in the headers
// of a trailers-only answer.
//
// Failures are reported as grpc-js reports them, so callers see the same EtcdError codes: no
// connection, a connection lost mid-call, a GOAWAY or a refused stream is UNAVAILABLE; the
// deadline is DEADLINE_EXCEEDED; a closed channel is CANCELLED; an answer over the size limit is
// RESOURCE_EXHAUSTED. Nothing is retried here (a write that timed out may have been applied; the
// store's writes are conditional and it retries them). A session that closes, errs or receives
// a GOAWAY is let go, and the next call connects again, so a restarted etcd is found by the
// first call after it is back. grpc-js's keep-alive pings are not copied for unary calls (etcd
// refuses pings on a connection without streams more often than every 2 hours); a call that
// reaches its deadline on a session that has answered nothing since the call began drops that
// session instead. A session holding a long stream (a watch, which has no deadline) is pinged
// every PING_EVERY_MS, as grpc-js did, and destroyed when a ping goes unanswered for
// PING_TIMEOUT_MS, so a connection that died silently breaks its watches, which reconnect.

import http2, { constants as h2 } from 'node:http2';
// grpc-js stays a dependency for the leases; its status codes are the ones to report.
import { status as GrpcCode } from '@grpc/grpc-js';
import { EtcdError } from './etcd-error.js';
import { callEndError, grpcFrame, grpcStatusOf, streamFailure } from './grpc-http2-status.js';

export interface GrpcUnaryOptions {
  /** Largest answer accepted, bytes (grpc-js's grpc.max_receive_message_length). */
  maxReceiveBytes: number;
  /** Largest request sent, bytes (grpc-js's grpc.max_send_message_length). */
  maxSendBytes: number;
  /** Calls on one connection before the next call opens a new one. @defaultValue CALLS_PER_SESSION */
  callsPerSession?: number;
  /** Ping interval of a session holding a long stream. @defaultValue PING_EVERY_MS */
  pingEveryMs?: number;
  /** A ping unanswered this long marks the session dead. @defaultValue PING_TIMEOUT_MS */
  pingTimeoutMs?: number;
}

/** Per-stream receive window: a page of jobs arrives without waiting for window updates. */
const STREAM_WINDOW = 4 * 1024 * 1024;
const SESSION_WINDOW = 16 * 1024 * 1024;
/**
 * Calls on one session before it is retired for a new one: HTTP/2 stream ids are odd numbers
 * below 2^31, so a session runs out after about 2^30 streams (12 days at 1,000 calls/s).
 */
export const CALLS_PER_SESSION = 2 ** 29;
/** Keep-alive of sessions holding long streams: grpc-js's settings before (etcd allows a ping every 5 s while streams are open). */
export const PING_EVERY_MS = 10_000;
export const PING_TIMEOUT_MS = 5_000;

export class GrpcHttp2Unary {
  private session: http2.ClientHttp2Session | undefined;
  private callsOnSession = 0;
  /** performance.now() when the current session last finished a stream (answered or not). */
  private lastHeard = 0;
  private closed = false;
  /** Sessions holding long streams, with how many each holds: they are pinged. */
  private readonly streaming = new Map<http2.ClientHttp2Session, number>();
  private pingTimer: NodeJS.Timeout | undefined;

  /** @param authority host:port of the server */
  constructor(
    private readonly authority: string,
    private readonly options: GrpcUnaryOptions,
  ) {}

  /**
   * One unary call: `path` is /package.Service/Method, `message` the encoded request.
   * Rejects with an EtcdError named after `method`.
   */
  call<T>(method: string, path: string, message: Buffer, decode: (bytes: Buffer) => T, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new EtcdError(method, GrpcCode.CANCELLED, 'the client is closed'));
      if (message.length > this.options.maxSendBytes) {
        return reject(new EtcdError(method, GrpcCode.RESOURCE_EXHAUSTED, `Sent message larger than max (${message.length} vs. ${this.options.maxSendBytes})`));
      }
      const session = this.connect();
      const startedAt = performance.now();
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(
          { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m` },
          { endStream: false },
        );
      } catch (error) {
        // The session closed between connect() and here (a GOAWAY just arrived, say).
        this.drop(session);
        return reject(new EtcdError(method, GrpcCode.UNAVAILABLE, `no connection: ${(error as Error).message}`));
      }

      let settled = false;
      let grpcStatus: { code: number; message: string } | undefined;
      let httpStatus = 0;
      const chunks: Buffer[] = [];
      let received = 0;
      const settle = (error: EtcdError | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value as T);
      };
      const timer = setTimeout(() => {
        // Nothing heard on the session since this call began: the connection is likely dead
        // (not just etcd being slow), so the next call connects afresh.
        if (this.lastHeard < startedAt) this.drop(session, true);
        settle(new EtcdError(method, GrpcCode.DEADLINE_EXCEEDED, 'Deadline exceeded'));
        stream.close(h2.NGHTTP2_CANCEL);
      }, timeoutMs);
      const readStatus = (headers: http2.IncomingHttpHeaders): void => {
        grpcStatus = grpcStatusOf(headers) ?? grpcStatus;
      };

      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status']);
        readStatus(headers);
      });
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.options.maxReceiveBytes + 5) {
          settle(new EtcdError(method, GrpcCode.RESOURCE_EXHAUSTED, `Received message larger than max (more than ${this.options.maxReceiveBytes})`));
          stream.close(h2.NGHTTP2_CANCEL);
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (error: NodeJS.ErrnoException) => settle(streamFailure(method, stream, error)));
      stream.on('close', () => {
        this.lastHeard = performance.now();
        if (settled) return;
        const ended = callEndError(method, stream, httpStatus, grpcStatus);
        if (ended) {
          settle(ended);
          return;
        }
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (body.length < 5 || body[0] !== 0) {
          settle(new EtcdError(method, GrpcCode.INTERNAL, body.length < 5 ? 'the answer holds no message' : 'a compressed answer, which was not asked for'));
          return;
        }
        const length = body.readUInt32BE(1);
        if (body.length < 5 + length) {
          settle(new EtcdError(method, GrpcCode.INTERNAL, 'the answer ended inside its message'));
          return;
        }
        let value: T;
        try {
          value = decode(body.subarray(5, 5 + length));
        } catch (error) {
          settle(new EtcdError(method, GrpcCode.INTERNAL, `the answer could not be decoded: ${(error as Error).message}`));
          return;
        }
        settle(undefined, value);
      });

      stream.end(grpcFrame(message));
    });
  }

  /**
   * A long-lived bidirectional call (`path` /package.Service/Method) on the current session, with
   * no deadline: the caller frames its messages and reads the answers (grpc-http2-watch.ts).
   * Throws an EtcdError named after `method` when there is no session to open it on.
   */
  openStream(method: string, path: string): http2.ClientHttp2Stream {
    if (this.closed) throw new EtcdError(method, GrpcCode.CANCELLED, 'the client is closed');
    const session = this.connect();
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
    } catch (error) {
      this.drop(session);
      throw new EtcdError(method, GrpcCode.UNAVAILABLE, `no connection: ${(error as Error).message}`);
    }
    this.streaming.set(session, (this.streaming.get(session) ?? 0) + 1);
    this.pingTimer ??= setInterval(() => this.pingStreamingSessions(), this.options.pingEveryMs ?? PING_EVERY_MS).unref();
    stream.once('close', () => {
      this.lastHeard = performance.now();
      const left = (this.streaming.get(session) ?? 1) - 1;
      if (left > 0) this.streaming.set(session, left);
      else this.streaming.delete(session);
      if (this.streaming.size === 0) {
        clearInterval(this.pingTimer);
        this.pingTimer = undefined;
      }
    });
    return stream;
  }

  /** Closes the connection; calls in flight fail (UNAVAILABLE), later ones are CANCELLED. */
  close(): void {
    this.closed = true;
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    const session = this.session;
    this.session = undefined;
    session?.destroy();
  }

  private connect(): http2.ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) {
      if (++this.callsOnSession <= (this.options.callsPerSession ?? CALLS_PER_SESSION)) return current;
      this.drop(current); // its calls in flight finish on it; this one goes on a new session
    }
    this.callsOnSession = 1;
    const session = http2.connect(`http://${this.authority}`, { settings: { enablePush: false, initialWindowSize: STREAM_WINDOW } });
    // Errors and GOAWAYs reach the streams they affect; here they only retire the session.
    session.on('error', () => this.drop(session));
    session.on('goaway', () => this.drop(session));
    session.on('close', () => this.drop(session));
    session.once('connect', () => {
      if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW);
    });
    // Calls in flight keep the process alive through their deadline timers; an idle
    // connection must not.
    session.unref();
    this.session = session;
    return session;
  }

  /** A ping to each session holding a long stream; one unanswered in PING_TIMEOUT_MS is dead, and destroyed (its streams fail). */
  private pingStreamingSessions(): void {
    // A session retired gracefully (closed) still carries its watches until they end: pinged too.
    const dead = (session: http2.ClientHttp2Session): void => {
      this.drop(session);
      if (!session.destroyed) session.destroy();
    };
    for (const session of this.streaming.keys()) {
      if (session.connecting || session.destroyed) continue;
      const timer = setTimeout(() => dead(session), this.options.pingTimeoutMs ?? PING_TIMEOUT_MS).unref();
      const sent = session.ping((error) => {
        clearTimeout(timer);
        if (error) dead(session);
        else this.lastHeard = performance.now();
      });
      if (!sent) clearTimeout(timer); // too many pings unanswered already: an earlier one's timer stands
    }
  }

  /** Lets a session go: closed gracefully (streams still open on it may finish), or destroyed when it is dead. */
  private drop(session: http2.ClientHttp2Session, dead = false): void {
    if (this.session === session) this.session = undefined;
    if (session.closed || session.destroyed) return;
    if (dead) session.destroy();
    // Requests made while it connects are not streams yet, and close() would refuse them.
    else if (session.connecting) session.once('connect', () => session.close());
    else session.close();
  }
}
