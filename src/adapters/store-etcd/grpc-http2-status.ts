// How a gRPC call over bare node:http2 ended, reported as grpc-js reports it (so callers see the
// same EtcdError codes whichever client made the call): shared by the unary KV calls
// (grpc-http2-unary.ts) and the watch stream (grpc-http2-watch.ts).

import { constants as h2, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { status as GrpcCode } from '@grpc/grpc-js';
import { EtcdError } from './etcd-error.js';

/** The gRPC status of an answer, from its trailers (or the headers of a trailers-only answer); undefined when absent. */
export function grpcStatusOf(headers: IncomingHttpHeaders): { code: number; message: string } | undefined {
  const code = headers['grpc-status'];
  if (code === undefined) return undefined;
  const text = headers['grpc-message'];
  return { code: Number(code), message: typeof text === 'string' ? percentDecode(text) : '' };
}

/** One gRPC message on the wire: not compressed (0), its length (4 bytes, big-endian), then the message. */
export function grpcFrame(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

/**
 * How a call ended once its stream closed: undefined for status OK, else the EtcdError grpc-js
 * would report (the gRPC status when there was one, else the HTTP status or the stream's end).
 */
export function callEndError(method: string, stream: ClientHttp2Stream, httpStatus: number, grpcStatus: { code: number; message: string } | undefined): EtcdError | undefined {
  if (grpcStatus === undefined) {
    if (httpStatus !== 0 && httpStatus !== 200) return new EtcdError(method, codeOfHttpStatus(httpStatus), `Received HTTP status code ${httpStatus}`);
    return streamFailure(method, stream);
  }
  if (grpcStatus.code !== GrpcCode.OK) return new EtcdError(method, grpcStatus.code, grpcStatus.message || `status ${grpcStatus.code}`);
  return undefined;
}

/** A stream that ended without a gRPC status, as grpc-js reports it. */
export function streamFailure(method: string, stream: ClientHttp2Stream, error?: NodeJS.ErrnoException): EtcdError {
  const rst = stream.rstCode;
  if (error?.code === 'ERR_HTTP2_STREAM_ERROR' || (error === undefined && rst !== undefined && rst !== h2.NGHTTP2_NO_ERROR)) {
    switch (rst) {
      case h2.NGHTTP2_REFUSED_STREAM:
        return new EtcdError(method, GrpcCode.UNAVAILABLE, 'Stream refused by server');
      case h2.NGHTTP2_CANCEL:
        return new EtcdError(method, GrpcCode.CANCELLED, 'Call cancelled');
      case h2.NGHTTP2_ENHANCE_YOUR_CALM:
        return new EtcdError(method, GrpcCode.RESOURCE_EXHAUSTED, 'Bandwidth exhausted or memory limit exceeded');
      case h2.NGHTTP2_INADEQUATE_SECURITY:
        return new EtcdError(method, GrpcCode.PERMISSION_DENIED, 'Protocol not secure enough');
      default:
        return new EtcdError(method, GrpcCode.INTERNAL, `Received RST_STREAM with code ${rst ?? 'unknown'}`);
    }
  }
  // No connection, or the connection went away mid-call (ECONNREFUSED, ECONNRESET, a GOAWAY...).
  return new EtcdError(method, GrpcCode.UNAVAILABLE, error ? `Connection dropped: ${error.message}` : 'Connection dropped');
}

/** gRPC's mapping of an HTTP status without grpc-status (grpc/doc/http-grpc-status-mapping.md). */
function codeOfHttpStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GrpcCode.INTERNAL;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcCode.UNAVAILABLE;
    default:
      return GrpcCode.UNKNOWN;
  }
}

function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
