/*
 * One WatchJobs stream to one scheduler replica, kept open: listen() holds one per live replica.
 * Each trigger that comes in is handed to `dispatch`, and its result goes back on the stream it
 * came from (the trigger id is per stream).
 *
 *   reading the token (at once for a string) --read--> connecting
 *                     --the token function failed--> waiting
 *   connecting --server accepts (response headers) or first trigger--> connected (backoff reset)
 *   connecting|connected --stream ends or fails--> waiting (backoff delay, capped, jittered)
 *                                                  --> reading the token
 *   any --close()--> closing: running handlers finish and ack, the stream half-closes --> closed
 *
 * A handler still running when its stream breaks does not ack: the server takes the trigger back
 * (it goes to another stream of the app, or waits staged until one connects), so handlers
 * should be idempotent.
 */

import type { ChannelCredentials } from '@grpc/grpc-js';
import { withApiToken, type ApiTokenOption } from './api-token.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { watchJobsChannel, type WatchJobsCall, type WatchJobsChannel } from './scheduler-channel.js';
import type { WatchJobsResponse } from './watch-message.js';

/** The header Duetime's WatchJobs sends once it has accepted the initial message. */
const ACCEPTED_HEADER = 'duetime-watch';

export type TriggerResult = 'SUCCESS' | 'FAILED';

export interface WatchConnectionOptions {
  appId: string;
  namespace?: string;
  /** Read again at each (re)connect: a function picks up a rotated token. */
  apiToken?: ApiTokenOption;
  actorTypes?: string[];
  credentials?: ChannelCredentials;
  reconnect?: BackoffOptions;
  /** Runs the trigger's handler: its result at once when the handler returned at once, else a promise that never rejects. */
  dispatch: (message: WatchJobsResponse) => TriggerResult | Promise<TriggerResult>;
  /** Connected or not any more. */
  onState: (connection: WatchConnection) => void;
  onConnect?: (address: string) => void;
  report: (error: Error) => void;
}

export class WatchConnection {
  private readonly channel: WatchJobsChannel;
  private readonly backoff: Backoff;
  private call: WatchJobsCall | undefined;
  private isConnected = false;
  private closing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Handlers still running (asynchronous ones), and who waits for none to be left. */
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly address: string,
    private readonly options: WatchConnectionOptions,
  ) {
    this.backoff = new Backoff(options.reconnect);
    this.channel = watchJobsChannel(address, options.credentials, options.reconnect);
  }

  /** The server has accepted the stream, and it has not broken since. */
  get connected(): boolean {
    return this.isConnected;
  }

  open(): void {
    if (this.closing) return;
    withApiToken(
      this.options.apiToken,
      (token) => this.openWith(token),
      (error) => this.retry(`WatchJobs stream to ${this.address} not opened: ${error.message}`),
    );
  }

  /** Opens the call, unless close() came while the token was being read. */
  private openWith(apiToken: string | undefined): void {
    if (this.closing) return;
    const call = this.channel.call(apiToken);
    this.call = call;
    call.on('metadata', (headers) => {
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

  /** Stops reconnecting, lets running handlers ack (up to `waitMs`), then closes the stream. */
  close(waitMs: number): Promise<void> {
    return (this.closing ??= (async () => {
      clearTimeout(this.retryTimer);
      await withTimeout(this.idle(), waitMs);
      const call = this.call;
      this.call = undefined;
      this.setConnected(false);
      if (call) {
        const ended = new Promise<void>((resolve) => {
          call.once('status', () => resolve());
          call.once('error', () => resolve());
        });
        call.end();
        await withTimeout(ended, 2_000);
        call.cancel();
      }
      this.channel.close();
    })());
  }

  private markConnected(call: WatchJobsCall): void {
    if (this.call !== call || this.isConnected) return;
    this.backoff.reset();
    this.setConnected(true);
    this.options.onConnect?.(this.address);
  }

  private setConnected(value: boolean): void {
    if (this.isConnected === value) return;
    this.isConnected = value;
    this.options.onState(this);
  }

  private lost(call: WatchJobsCall, error?: Error): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.setConnected(false);
    if (this.closing) return;
    this.retry(`WatchJobs stream to ${this.address} ${error ? `failed: ${error.message}` : 'ended'}`);
  }

  /** Reports what went wrong and opens again (token read first) after the backoff. */
  private retry(what: string): void {
    if (this.closing) return;
    const delay = this.backoff.next();
    this.options.report(new Error(`${what}; reconnecting in ${delay} ms`));
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /**
   * Runs one trigger's handler and answers it. A handler that returns at once is answered at once,
   * and one that returns a promise costs one continuation: a burst of thousands of triggers pays
   * no chain of promises or bookkeeping per message.
   */
  private run(call: WatchJobsCall, message: WatchJobsResponse): void {
    const status = this.options.dispatch(message);
    if (typeof status === 'string') {
      this.answer(call, message.id, status);
      return;
    }
    this.running++;
    void status.then((result) => {
      this.answer(call, message.id, result);
      if (--this.running === 0) this.wakeIdle();
    });
  }

  /** A result belongs to the stream that sent the trigger; after a reconnect the server has already taken that trigger back. */
  private answer(call: WatchJobsCall, id: string, status: TriggerResult): void {
    if (this.call === call && !call.writableEnded) call.write({ result: { id, status } });
  }

  /** Resolves when no handler is running. */
  private idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

export function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
