/*
 * Keeps one etcd lease alive and says, conservatively, whether it still is.
 *
 * State machine:
 *
 *   none --grant--> alive --no keep-alive answer until validUntil - margin--> doubtful
 *   doubtful --an answer with TTL > 0--> alive          (etcd was slow or restarted: the lease held)
 *   alive | doubtful --an answer with TTL 0--> gone      (etcd expired it: keys under it are deleted)
 *   any --stop--> stopped
 *
 * validUntil is when etcd expires the lease at the earliest: the send time of the last
 * keep-alive that etcd answered, plus the TTL it granted (on the monotonic clock, so a wall-clock
 * step cannot stretch it). The replica treats the lease as lost
 * a margin before that, so it stops firing before etcd lets another replica take over.
 */

import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { LeaseKeepAliveResponse } from './etcd-api.js';
import { streamError, type EtcdClient } from './etcd-client.js';

export type LeaseState = 'none' | 'alive' | 'doubtful' | 'gone' | 'stopped';

export interface LeaseKeeperEvents {
  /** The state changed; `error` is the latest stream failure, for logs and /readyz. */
  onState(state: LeaseState, error?: Error): void;
}

export class LeaseKeeper {
  state: LeaseState = 'none';
  id: string | undefined;
  ttlMs = 0;
  validUntil = 0;
  lastError: Error | undefined;
  private stream: ClientDuplexStream<{ ID: string }, LeaseKeepAliveResponse> | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = 0;
  /** Send times of keep-alives not yet answered, oldest first. */
  private sent: number[] = [];

  constructor(
    private readonly client: EtcdClient,
    private readonly ttlSeconds: number,
    private readonly events: LeaseKeeperEvents,
  ) {}

  /** Grants a fresh lease and starts keeping it alive. */
  async grant(): Promise<string> {
    this.closeStream();
    const sentAt = performance.now();
    const lease = await this.client.leaseGrant(this.ttlSeconds);
    this.id = lease.id;
    this.ttlMs = lease.ttlSeconds * 1000;
    this.validUntil = sentAt + this.ttlMs;
    this.setState('alive');
    this.openStream();
    this.armCheck();
    return lease.id;
  }

  /** Revokes the lease (etcd deletes every key under it at once) and stops. */
  async revoke(): Promise<void> {
    const id = this.id;
    this.stop();
    if (id !== undefined) await this.client.leaseRevoke(id);
  }

  stop(): void {
    this.setState('stopped');
    this.closeStream();
    clearTimeout(this.checkTimer);
    clearTimeout(this.reconnectTimer);
  }

  /**
   * Whether the lease still counts as alive now, turning it doubtful at once when its deadline has
   * passed. The check timer does that at the deadline, but a process that was frozen or starved
   * (SIGSTOP, a long pause) runs its overdue timers in the order they were due: the engine's for
   * jobs due meanwhile before this one, and by then another replica may have fired those jobs. So
   * whoever is about to act on the lease asks here first.
   */
  confirm(): boolean {
    if (this.state === 'alive' && performance.now() >= this.validUntil - this.marginMs) this.setState('doubtful');
    return this.state === 'alive';
  }

  /** How long before validUntil the lease counts as lost: a fifth of the TTL, at most 1 s. */
  private get marginMs(): number {
    return Math.min(1000, this.ttlMs / 5);
  }

  private openStream(): void {
    if (this.state === 'stopped' || this.state === 'gone' || this.id === undefined) return;
    const id = this.id;
    let stream: ClientDuplexStream<{ ID: string }, LeaseKeepAliveResponse>;
    try {
      stream = this.client.keepAliveStream();
    } catch (error) {
      this.streamBroke(error);
      return;
    }
    this.stream = stream;
    this.sent = [];
    stream.on('data', (response: LeaseKeepAliveResponse) => {
      if (this.stream !== stream) return;
      const sentAt = this.sent.shift() ?? performance.now();
      this.reconnectDelay = 0;
      const ttl = Number(response.TTL);
      if (ttl <= 0) {
        this.closeStream();
        this.setState('gone');
        return;
      }
      this.validUntil = Math.max(this.validUntil, sentAt + ttl * 1000);
      this.lastError = undefined;
      if (this.state === 'doubtful') this.setState('alive');
      this.armCheck();
    });
    stream.on('error', (error: unknown) => {
      if (this.stream === stream) this.streamBroke(streamError('LeaseKeepAlive', error));
    });
    stream.on('end', () => {
      if (this.stream === stream) this.streamBroke(new Error('etcd ended the keep-alive stream'));
    });
    const ping = (): void => {
      if (this.stream !== stream) return;
      this.sent.push(performance.now());
      stream.write({ ID: id });
    };
    ping();
    // A third of the TTL between keep-alives: two may be lost before the margin is reached.
    this.pingTimer = setInterval(ping, Math.max(200, Math.floor(this.ttlMs / 3)));
  }

  private streamBroke(error: unknown): void {
    this.lastError = error instanceof Error ? error : new Error(String(error));
    this.closeStream();
    this.client.streamFailed();
    this.events.onState(this.state, this.lastError);
    if (this.state === 'stopped' || this.state === 'gone') return;
    this.reconnectDelay = Math.min(Math.max(this.reconnectDelay * 2, 100), 1000);
    this.reconnectTimer = setTimeout(() => this.openStream(), this.reconnectDelay);
  }

  private closeStream(): void {
    clearInterval(this.pingTimer);
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      stream.removeAllListeners('data');
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  /** Wakes up when the lease is about to count as lost, unless an answer moves the deadline. */
  private armCheck(): void {
    clearTimeout(this.checkTimer);
    if (this.state !== 'alive') return;
    const wait = this.validUntil - this.marginMs - performance.now();
    this.checkTimer = setTimeout(() => {
      if (this.state !== 'alive') return;
      if (performance.now() >= this.validUntil - this.marginMs) this.setState('doubtful');
      else this.armCheck();
    }, Math.max(0, wait));
  }

  private setState(state: LeaseState): void {
    if (this.state === state || this.state === 'stopped') return;
    this.state = state;
    this.events.onState(state, this.lastError);
  }
}
