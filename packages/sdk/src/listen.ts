/*
 * listen(): an app without an inbound port receives its triggers over the scheduler API's
 * WatchJobs stream. Each trigger runs its handler; the stream is told SUCCESS when the handler
 * resolves and FAILED when it throws (the job's failure policy then decides).
 *
 * In a cluster each replica fires only the jobs of the partitions it owns, and hands them only to
 * streams connected to it; so the listener holds one stream per live replica (WatchConnection),
 * and learns the replicas from WatchHosts (HostsWatch), asked of any replica it can reach:
 *
 *   starting: a stream to each given address, and WatchHosts asked of the first
 *   starting|following --host list of one address (a single node)--> following: one stream, to
 *            the address WatchHosts answered on (the one the app was given, which it can reach)
 *   starting|following --host list of several--> following: a stream to each listed address;
 *            streams to addresses no longer listed close (their running handlers still ack)
 *   starting --WatchHosts unimplemented--> static: streams to the given addresses only
 *   starting|following --WatchHosts refuses the token--> no change (the streams stay as they
 *            are), reported; WatchHosts asked again with the backoff
 *   any --close()--> closed: WatchHosts stops; every stream lets its handlers ack, then closes
 *
 * While WatchHosts cannot be reached the streams stay as they are; each stream reconnects on its
 * own with a capped, jittered backoff.
 */

import type { ChannelCredentials } from '@grpc/grpc-js';
import { addressList, type Addresses } from './addresses.js';
import { checkApiTokenOption, type ApiTokenOption } from './api-token.js';
import type { BackoffOptions } from './backoff.js';
import { HostsWatch } from './hosts-watch.js';
import type { JobHandlerFunction, JobHandlers } from './job-trigger.js';
import { WatchConnection, type TriggerResult } from './watch-connection.js';
import { toJobTrigger, type WatchJobsResponse } from './watch-message.js';

export interface ListenOptions {
  /**
   * host:port of Duetime's scheduler API: one replica, or several (a list, or comma-separated).
   * In a cluster one is enough: the listener asks it for every live replica (WatchHosts) and
   * connects to each; give several so that it can start while one of them is down.
   * @defaultValue `DUETIME_SCHEDULER_ADDRESS` (comma-separated addresses), else `127.0.0.1:50006`
   */
  address?: Addresses;
  appId: string;
  /** @defaultValue the server's `--namespace` */
  namespace?: string;
  /**
   * dapr-api-token, when the server requires one: the token, or a function that answers it
   * (a promise of it too), asked again at each (re)connect of a stream and each (re)open of
   * WatchHosts. After a server's tokens are rotated (SIGHUP) a string keeps being presented, and
   * refused, until the worker restarts; a function that reads the token from a file or a secret
   * store hands over the new one at the next reconnect. A function that throws, rejects or
   * answers something other than a string (or undefined: no token) is reported to `onError` and
   * asked again after the backoff.
   * @defaultValue none
   */
  apiToken?: ApiTokenOption;
  /** Handlers by job name. */
  handlers: JobHandlers;
  /** For jobs without a handler of their own; without it such a trigger is answered FAILED. @defaultValue none */
  fallback?: JobHandlerFunction;
  /** Actor types this app hosts: their reminders come here too (as triggers with `actor` set). @defaultValue none */
  actorTypes?: string[];
  /**
   * Reconnect delays of each stream (and of WatchHosts): exponential, capped, with up to 20 %
   * jitter, reset after each successful connection.
   * @defaultValue `{ initialMs: 250, maxMs: 10_000, multiplier: 2 }`
   */
  reconnect?: BackoffOptions;
  /** TLS or other channel credentials. @defaultValue insecure (plaintext) */
  credentials?: ChannelCredentials;
  /** Stream failures (before each reconnect) and handler errors. @defaultValue ignored */
  onError?: (error: Error) => void;
  /** After each (re)connection of a stream, with the replica's address. @defaultValue none */
  onConnect?: (address: string) => void;
  /** How long close() (and the closing of a stream to a replica that left) waits for running handlers, ms. @defaultValue 10_000 */
  closeTimeoutMs?: number;
}

/** One stream of a listener: to one scheduler replica. */
export interface ListenerConnection {
  /** host:port of the replica's scheduler API. */
  readonly address: string;
  /** The server has accepted the stream and it has not broken since. */
  readonly connected: boolean;
}

export interface JobListener {
  /** True while at least one stream is open and accepted (see `connections` for each replica). */
  readonly connected: boolean;
  /** A stream per replica the listener follows: every live replica in a cluster, else the given address. */
  readonly connections: readonly ListenerConnection[];
  /**
   * Resolves once the listener knows the replicas (WatchHosts answered, or the server has none)
   * and every one of them has accepted its stream; at once when that holds already.
   */
  ready(): Promise<void>;
  /** Stops reconnecting, lets running handlers ack, and closes the streams. */
  close(): Promise<void>;
}

export const DEFAULT_SCHEDULER_ADDRESS = '127.0.0.1:50006';
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

export function listen(options: ListenOptions): JobListener {
  // From plain JavaScript a missing map would otherwise fail every trigger with a TypeError.
  if (typeof options.handlers !== 'object' || options.handlers === null) {
    throw new TypeError('listen(): options.handlers is required, an object of job name -> handler ({} with a fallback takes every job)');
  }
  checkApiTokenOption(options.apiToken, 'listen()');
  const listener = new ClusterListener(options);
  listener.open();
  return listener;
}

class ClusterListener implements JobListener {
  private readonly given: string[];
  private readonly streams = new Map<string, WatchConnection>();
  /** Streams to replicas that left, finishing their handlers. */
  private readonly leaving = new Set<Promise<void>>();
  private readonly hostsWatch: HostsWatch;
  private hostsKnown = false;
  private closed = false;
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  constructor(private readonly options: ListenOptions) {
    this.given = addressList(options.address, process.env.DUETIME_SCHEDULER_ADDRESS, DEFAULT_SCHEDULER_ADDRESS);
    this.hostsWatch = new HostsWatch({
      ...(options.apiToken ? { apiToken: options.apiToken } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
      candidates: () => this.candidates(),
      onHosts: (hosts, via) => this.follow(hosts.length > 1 ? hosts : [via]),
      onUnsupported: (via, error) => {
        this.report(new Error(`WatchHosts is not available on ${via} (${error.message}); listening on ${this.given.join(', ')} only`));
        this.follow(this.given);
      },
      report: (error) => this.report(error),
    });
  }

  get connected(): boolean {
    for (const stream of this.streams.values()) if (stream.connected) return true;
    return false;
  }

  get connections(): ListenerConnection[] {
    return [...this.streams.values()].map((s) => ({ address: s.address, connected: s.connected }));
  }

  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the listener is closed'));
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  open(): void {
    this.follow(this.given, false); // the given addresses are a start, not yet known to be the replicas
    this.hostsWatch.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hostsWatch.stop();
    const waitMs = this.options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all([...streams.map((s) => s.close(waitMs)), ...this.leaving]);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(new Error('the listener was closed before it was ready'));
  }

  /** Holds a stream to exactly these addresses; `known`: they are the replicas (ready() may resolve). */
  private follow(addresses: string[], known = true): void {
    if (this.closed) return;
    this.hostsKnown = known;
    const wanted = new Set(addresses);
    for (const [address, stream] of this.streams) {
      if (wanted.has(address)) continue;
      this.streams.delete(address);
      const leaving = stream.close(this.options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      this.leaving.add(leaving);
      void leaving.finally(() => this.leaving.delete(leaving));
    }
    for (const address of wanted) {
      if (this.streams.has(address)) continue;
      const stream = new WatchConnection(address, {
        appId: this.options.appId,
        ...(this.options.namespace !== undefined ? { namespace: this.options.namespace } : {}),
        ...(this.options.apiToken ? { apiToken: this.options.apiToken } : {}),
        ...(this.options.actorTypes ? { actorTypes: this.options.actorTypes } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        ...(this.options.reconnect ? { reconnect: this.options.reconnect } : {}),
        dispatch: (message) => this.dispatch(message),
        onState: () => this.wakeIfReady(),
        ...(this.options.onConnect ? { onConnect: this.options.onConnect } : {}),
        report: (error) => this.report(error),
      });
      this.streams.set(address, stream);
      stream.open();
    }
    this.wakeIfReady();
  }

  /** Where to ask WatchHosts: replicas with a live stream first, then the others, then the given addresses. */
  private candidates(): string[] {
    const streams = [...this.streams.values()];
    const ordered = [...streams.filter((s) => s.connected), ...streams.filter((s) => !s.connected)].map((s) => s.address);
    return [...new Set([...ordered, ...this.given])];
  }

  private isReady(): boolean {
    return this.hostsKnown && this.streams.size > 0 && [...this.streams.values()].every((s) => s.connected);
  }

  private wakeIfReady(): void {
    if (this.closed || !this.isReady()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** The handler's answer: at once when it returned at once (no promise per trigger), else when its promise settles. */
  private dispatch(message: WatchJobsResponse): TriggerResult | Promise<TriggerResult> {
    let returned: unknown;
    try {
      const job = toJobTrigger(message);
      const handler = this.options.handlers[job.name] ?? this.options.fallback;
      if (!handler) throw new Error(`no handler for job "${job.name}" and no fallback; answered FAILED`);
      returned = handler(job);
    } catch (error) {
      return this.failed(error);
    }
    if (!isThenable(returned)) return 'SUCCESS';
    return Promise.resolve(returned).then(
      (): TriggerResult => 'SUCCESS',
      (error: unknown) => this.failed(error),
    );
  }

  private failed(error: unknown): TriggerResult {
    this.report(error instanceof Error ? error : new Error(String(error)));
    return 'FAILED';
  }

  private report(error: Error): void {
    try {
      this.options.onError?.(error);
    } catch {
      // a throwing onError must not break the listener
    }
  }
}

/** A promise, or anything else a handler may return that can be awaited. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
