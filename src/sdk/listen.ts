/*
 * listen(): an app without an inbound port receives its triggers over the scheduler API's
 * WatchJobs stream. Each trigger runs its handler; the stream is told SUCCESS when the handler
 * resolves and FAILED when it throws (the job's failure policy then decides).
 *
 *   connecting --server accepts (response headers) or first trigger--> connected (backoff reset)
 *   connecting|connected --stream ends or fails--> waiting (backoff delay, capped) --> connecting
 *   any --close()--> closing: running handlers finish and ack, the stream half-closes --> closed
 *
 * A handler still running when its stream breaks does not ack: the server redelivers that
 * trigger (to this app once it reconnects), so handlers should be idempotent.
 */

import { credentials as grpcCredentials, Metadata, type ChannelCredentials, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadDuetimeProtos } from '../api/grpc/proto-loader.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { JobHandlerFunction, JobHandlers } from './job-trigger.js';
import { toJobTrigger, type WatchJobsResponse } from './watch-message.js';

export interface ListenOptions {
  /** host:port of Duetime's scheduler API. Default: DUETIME_SCHEDULER_ADDRESS, else 127.0.0.1:50006. */
  address?: string;
  appId: string;
  /** Default: the server's --namespace. */
  namespace?: string;
  /** dapr-api-token, when the server requires one. */
  apiToken?: string;
  /** Handlers by job name. */
  handlers: JobHandlers;
  /** For jobs without a handler of their own; without it such a trigger is answered FAILED. */
  fallback?: JobHandlerFunction;
  /** Actor types this app hosts: their reminders come here too (as triggers with `actor` set). */
  actorTypes?: string[];
  /** Reconnect delays (exponential, capped). */
  reconnect?: BackoffOptions;
  /** TLS or other channel credentials; default insecure (plaintext). */
  credentials?: ChannelCredentials;
  /** Stream failures (before each reconnect) and handler errors. Default: ignored. */
  onError?: (error: Error) => void;
  /** After each (re)connection. */
  onConnect?: () => void;
  /** How long close() waits for running handlers, ms. Default 10 000. */
  closeTimeoutMs?: number;
}

export interface JobListener {
  /** True while the stream is open and accepted by the server. */
  readonly connected: boolean;
  /** Resolves once connected (at once when already connected). */
  ready(): Promise<void>;
  /** Stops reconnecting, lets running handlers ack, and closes the stream. */
  close(): Promise<void>;
}

export const DEFAULT_SCHEDULER_ADDRESS = '127.0.0.1:50006';
/** The header Duetime's WatchJobs sends once it has accepted the initial message. */
const ACCEPTED_HEADER = 'duetime-watch';

type WatchCall = ClientDuplexStream<unknown, WatchJobsResponse>;

export function listen(options: ListenOptions): JobListener {
  const listener = new StreamListener(options);
  listener.open();
  return listener;
}

class StreamListener implements JobListener {
  private readonly client: Client & { WatchJobs(metadata: Metadata): WatchCall };
  private readonly backoff: Backoff;
  private readonly address: string;
  private call: WatchCall | undefined;
  private isConnected = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: ListenOptions) {
    this.address = options.address ?? process.env.DUETIME_SCHEDULER_ADDRESS ?? DEFAULT_SCHEDULER_ADDRESS;
    this.backoff = new Backoff(options.reconnect);
    const { SchedulerClient } = loadDuetimeProtos();
    // The channel's own reconnect backoff follows ours, so a restarted server is found as soon
    // as our next attempt, not after grpc-js's default of up to two minutes.
    this.client = new SchedulerClient(this.address, options.credentials ?? grpcCredentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': options.reconnect?.initialMs ?? 250,
      'grpc.max_reconnect_backoff_ms': options.reconnect?.maxMs ?? 10_000,
      'grpc.keepalive_time_ms': 30_000,
    }) as unknown as StreamListener['client'];
  }

  get connected(): boolean {
    return this.isConnected;
  }

  ready(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('the listener is closed'));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  open(): void {
    if (this.closed) return;
    const metadata = new Metadata();
    if (this.options.apiToken) metadata.set('dapr-api-token', this.options.apiToken);
    const call = this.client.WatchJobs(metadata);
    this.call = call;
    call.on('metadata', (headers: Metadata) => {
      if (headers.get(ACCEPTED_HEADER).length > 0) this.markConnected(call);
    });
    call.on('data', (message: WatchJobsResponse) => {
      this.markConnected(call);
      this.run(call, message);
    });
    call.on('error', (error: Error) => this.lost(call, error));
    call.on('end', () => this.lost(call));
    const actorTypes = this.options.actorTypes ?? [];
    call.write({
      initial: {
        appId: this.options.appId,
        namespace: this.options.namespace ?? '',
        actorTypes,
        acceptJobTypes: ['JOB_TARGET_TYPE_JOB', ...(actorTypes.length > 0 ? ['JOB_TARGET_TYPE_ACTOR_REMINDER'] : [])],
      },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    await withTimeout(Promise.allSettled([...this.running]), this.options.closeTimeoutMs ?? 10_000);
    const call = this.call;
    this.call = undefined;
    this.isConnected = false;
    if (call) {
      const ended = new Promise<void>((resolve) => {
        call.once('status', () => resolve());
        call.once('error', () => resolve());
      });
      call.end();
      await withTimeout(ended, 2_000);
      call.cancel();
    }
    this.client.close();
  }

  private markConnected(call: WatchCall): void {
    if (this.call !== call || this.isConnected) return;
    this.isConnected = true;
    this.backoff.reset();
    this.options.onConnect?.();
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private lost(call: WatchCall, error?: Error): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.isConnected = false;
    if (this.closed) return;
    const delay = this.backoff.next();
    this.report(new Error(`WatchJobs stream to ${this.address} ${error ? `failed: ${error.message}` : 'ended'}; reconnecting in ${delay} ms`));
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private run(call: WatchCall, message: WatchJobsResponse): void {
    const task = (async () => {
      let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
      try {
        const job = toJobTrigger(message);
        const handler = this.options.handlers[job.name] ?? this.options.fallback;
        if (!handler) throw new Error(`no handler for job "${job.name}" and no fallback; answered FAILED`);
        await handler(job);
      } catch (error) {
        status = 'FAILED';
        this.report(error instanceof Error ? error : new Error(String(error)));
      }
      // A result belongs to the stream that sent the trigger; after a reconnect the server has
      // already taken that trigger back.
      if (this.call === call && !call.writableEnded) call.write({ result: { id: message.id, status } });
    })();
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  private report(error: Error): void {
    try {
      this.options.onError?.(error);
    } catch {
      // a throwing onError must not break the listener
    }
  }
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
