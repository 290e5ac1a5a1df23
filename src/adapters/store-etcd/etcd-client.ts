// A small etcd v3 client: unary KV calls (Range, Txn) over bare node:http2 (grpc-http2-unary.ts,
// half grpc-js's CPU per call) and watch streams on the same session (grpc-http2-watch.ts); Lease
// calls and the lease keep-alive stream over @grpc/grpc-js; the streams for the callers that
// manage them, the unary calls with deadlines. It does
// no retrying of writes: a write that timed out may have been applied, and only the caller
// knows whether repeating it is safe (the store's writes are conditional, so they are).
//
// With several endpoints, calls go to one of them; a call that finds it unreachable moves the
// client to the next, so the caller's retry lands elsewhere.

import { credentials, makeGenericClientConstructor, status, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { fromJSON, type MethodDefinition } from '@grpc/proto-loader';
import { DuetimeError, UnavailableError } from '../../core/errors.js';
import { EtcdError } from './etcd-error.js';
import { GrpcHttp2Unary } from './grpc-http2-unary.js';
import {
  ETCD_API,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  type RangeRequest,
  type RangeResponse,
  type TxnRequest,
  type TxnResponse,
} from './etcd-api.js';
import { decodeRangeResponse, decodeTxnResponse, encodeRangeRequest, encodeTxnRequest } from './etcd-codec.js';
import { GrpcHttp2Watch } from './grpc-http2-watch.js';

export { EtcdError } from './etcd-error.js';

export interface EtcdClientOptions {
  /** Deadline of one unary call. @defaultValue 5000 */
  callTimeoutMs?: number;
}

export const ETCD_CLIENT_DEFAULTS = { callTimeoutMs: 5_000 } as const;

/** The error callers above the adapter see: unavailable (503) when etcd is down, too large (413) for a job over etcd's request limit, else as is. */
export function toStoreError(error: unknown): unknown {
  if (!(error instanceof EtcdError)) return error;
  if (error.unavailable) return new UnavailableError('ERR_STORE_UNAVAILABLE', `the etcd store is unreachable (${error.message}); retry shortly`);
  if (/request is too large|received message larger than max/.test(error.message)) {
    return new DuetimeError('too-large', 'DAPR_SCHEDULER_SCHEDULE_JOB', 'the job is larger than etcd accepts in one request (--max-request-bytes, 1.5 MiB by default); send a smaller data payload');
  }
  return error;
}

const LOADER_OPTIONS = { keepCase: true, longs: String, defaults: true, oneofs: true } as const;

type Definitions = ReturnType<typeof fromJSON>;

function service(definitions: Definitions, name: string): Record<string, MethodDefinition<object, object>> {
  const def = definitions[name];
  // Message and enum definitions carry a `format`; a service is a plain map of methods.
  if (def === undefined || 'format' in def) throw new Error(`etcd api: no service ${name}`);
  return def as unknown as Record<string, MethodDefinition<object, object>>;
}

interface Stubs {
  kv: GrpcHttp2Unary;
  lease: Client;
}

const KV_PATHS = { Range: '/etcdserverpb.KV/Range', Txn: '/etcdserverpb.KV/Txn' } as const;
const WATCH_PATH = '/etcdserverpb.Watch/Watch';
/** Large ranges (a page of jobs with their payloads) exceed gRPC's 4 MiB default. */
const LIMITS = { maxReceiveBytes: 256 * 1024 * 1024, maxSendBytes: 64 * 1024 * 1024 };

type UnaryMethod = (request: object, options: { deadline: Date }, callback: (error: ServiceError | null, response: unknown) => void) => void;
type StreamMethod = () => ClientDuplexStream<object, unknown>;

export class EtcdClient {
  readonly endpoints: readonly string[];
  private readonly callTimeoutMs: number;
  private readonly stubs: Stubs[];
  private current = 0;
  private closed = false;

  constructor(endpoints: readonly string[], options: EtcdClientOptions = {}) {
    if (endpoints.length === 0) throw new Error('etcd: no endpoints');
    this.endpoints = endpoints;
    this.callTimeoutMs = options.callTimeoutMs ?? ETCD_CLIENT_DEFAULTS.callTimeoutMs;
    const definitions = fromJSON(ETCD_API, LOADER_OPTIONS);
    // The hot calls (every read, write and watch event) use the hand-written codec; the lease
    // calls, a few per minute, keep proto-loader's.
    const Lease = makeGenericClientConstructor(service(definitions, 'etcdserverpb.Lease'), 'Lease');
    const channelOptions = {
      'grpc.max_receive_message_length': LIMITS.maxReceiveBytes,
      'grpc.max_send_message_length': LIMITS.maxSendBytes,
      // Notice a dead connection even when no call is running; etcd allows pings every 5 s.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      // Reconnect soon after etcd comes back rather than after grpc's default backoff (up to 2 min).
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    };
    this.stubs = endpoints.map((endpoint) => {
      const creds = credentials.createInsecure();
      return {
        kv: new GrpcHttp2Unary(endpoint, LIMITS),
        lease: new Lease(endpoint, creds, channelOptions),
      };
    });
  }

  range(request: RangeRequest): Promise<RangeResponse> {
    return this.kv('Range', request, encodeRangeRequest, decodeRangeResponse);
  }

  txn(request: TxnRequest): Promise<TxnResponse> {
    return this.kv('Txn', request, encodeTxnRequest, decodeTxnResponse);
  }

  async leaseGrant(ttlSeconds: number): Promise<{ id: string; ttlSeconds: number; revision: number }> {
    const response = await this.unary<LeaseGrantResponse>('lease', 'LeaseGrant', { TTL: ttlSeconds, ID: 0 });
    if (response.error) throw new EtcdError('LeaseGrant', status.UNKNOWN, response.error);
    return { id: response.ID, ttlSeconds: Number(response.TTL), revision: Number(response.header.revision) };
  }

  async leaseRevoke(id: string): Promise<void> {
    await this.unary('lease', 'LeaseRevoke', { ID: id });
  }

  /** A keep-alive stream on the current endpoint: write {ID} to refresh, read {ID, TTL} (TTL 0: gone). */
  keepAliveStream(): ClientDuplexStream<{ ID: string }, LeaseKeepAliveResponse> {
    return this.stream('lease', 'LeaseKeepAlive') as ClientDuplexStream<{ ID: string }, LeaseKeepAliveResponse>;
  }

  /** A watch stream on the current endpoint, on the KV calls' HTTP/2 session; throws an EtcdError when it cannot be opened. */
  watchStream(): GrpcHttp2Watch {
    if (this.closed) throw new EtcdError('Watch', status.CANCELLED, 'the client is closed');
    return new GrpcHttp2Watch(this.stubs[this.current]!.kv.openStream('Watch', WATCH_PATH), LIMITS.maxReceiveBytes);
  }

  /** A stream broke: the caller reconnects, to the next endpoint when there are several. */
  streamFailed(): void {
    this.rotate();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stub of this.stubs) {
      stub.kv.close();
      stub.lease.close();
    }
  }

  /** A KV call; encoding happens inside, so a request that cannot be encoded rejects rather than throws. */
  private async kv<Req, Res>(method: 'Range' | 'Txn', request: Req, encode: (request: Req) => Buffer, decode: (bytes: Buffer) => Res): Promise<Res> {
    if (this.closed) throw new EtcdError(method, status.CANCELLED, 'the client is closed');
    const index = this.current;
    try {
      return await this.stubs[index]!.kv.call(method, KV_PATHS[method], encode(request), decode, this.callTimeoutMs);
    } catch (error) {
      if (error instanceof EtcdError && error.unavailable && index === this.current) this.rotate();
      throw error;
    }
  }

  private unary<T>(kind: 'lease', method: string, request: object): Promise<T> {
    if (this.closed) return Promise.reject(new EtcdError(method, status.CANCELLED, 'the client is closed'));
    const index = this.current;
    const client = this.stubs[index]![kind] as unknown as Record<string, UnaryMethod>;
    return new Promise<T>((resolve, reject) => {
      client[method]!.call(client, request, { deadline: new Date(Date.now() + this.callTimeoutMs) }, (error, response) => {
        if (error) {
          const wrapped = new EtcdError(method, error.code, error.details || error.message);
          if (wrapped.unavailable && index === this.current) this.rotate();
          reject(wrapped);
          return;
        }
        resolve(response as T);
      });
    });
  }

  private stream(kind: 'lease', method: string): ClientDuplexStream<object, unknown> {
    if (this.closed) throw new EtcdError(method, status.CANCELLED, 'the client is closed');
    const client = this.stubs[this.current]![kind] as unknown as Record<string, StreamMethod>;
    return client[method]!.call(client);
  }

  private rotate(): void {
    if (this.stubs.length > 1) this.current = (this.current + 1) % this.stubs.length;
  }
}

/** Wraps a grpc-js stream error the same way unary errors are wrapped (an EtcdError is passed on as it is). */
export function streamError(method: string, error: unknown): EtcdError {
  if (error instanceof EtcdError) return error;
  const e = error as Partial<ServiceError>;
  return new EtcdError(method, e.code ?? status.UNKNOWN, e.details || e.message || String(error));
}
