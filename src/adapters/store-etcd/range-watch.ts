/*
 * Follows every change to a key range from a revision on, across broken streams and etcd
 * restarts: it reconnects with backoff and resumes right after the last revision it handed
 * over, so no change is skipped or repeated. If etcd has compacted that revision away, the
 * owner is told to resynchronise (read the current state) and names the revision to go on from.
 *
 *   connecting --created--> watching --stream error/end--> waiting --backoff--> connecting
 *   watching --canceled (compacted)--> resync --owner's revision--> connecting
 *   any --stop--> stopped
 *
 * Responses are handled one at a time, in order; the handler may be async. A handler that
 * throws is not skipped: the stream is dropped and reopened from that response's revision.
 */

import type { WatchEvent, WatchResponse } from './etcd-api.js';
import type { EtcdClient } from './etcd-client.js';
import type { GrpcHttp2Watch } from './grpc-http2-watch.js';

export interface RangeWatchOptions {
  name: string;
  range: { start: Buffer; end: Buffer };
  /** The first revision to deliver. */
  fromRevision: number;
  /** Changes of one or more revisions, in order. */
  onEvents(events: WatchEvent[]): void | Promise<void>;
  /** The revisions to resume from were compacted: read the state afresh and return the revision read at. */
  onCompacted(): Promise<number>;
  /** Connected or not, with the latest error, for readiness and logs. */
  onState?(connected: boolean, error?: Error): void;
}

export class RangeWatch {
  connected = false;
  lastError: Error | undefined;
  private next: number;
  private stream: GrpcHttp2Watch | undefined;
  private queue: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 0;
  private stopped = false;
  /** Bumped when a stream is dropped: queued responses of the old stream are not handled. */
  private generation = 0;

  constructor(
    private readonly client: EtcdClient,
    private readonly options: RangeWatchOptions,
  ) {
    this.next = options.fromRevision;
  }

  start(): void {
    this.connect();
  }

  /** The revision after the last one handed over. */
  get nextRevision(): number {
    return this.next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.close();
    await this.queue;
  }

  private connect(): void {
    if (this.stopped) return;
    let stream: GrpcHttp2Watch;
    try {
      stream = this.client.watchStream();
    } catch (error) {
      this.broke(error);
      return;
    }
    this.stream = stream;
    stream.on('data', (response: WatchResponse) => {
      if (this.stream !== stream) return;
      if (response.created) {
        this.retryDelay = 0;
        this.setConnected(true);
      }
      if (response.canceled) {
        const compacted = Number(response.compactRevision);
        this.close();
        if (compacted > 0) this.enqueue(() => this.resync());
        else this.broke(new Error(`etcd canceled the ${this.options.name} watch: ${response.cancelReason || 'no reason given'}`));
        return;
      }
      if (response.events.length === 0) return;
      const events = response.events;
      const last = Number(events[events.length - 1]!.kv.modRevision);
      const generation = this.generation;
      this.enqueue(async () => {
        if (generation !== this.generation) return;
        try {
          await this.options.onEvents(events);
        } catch (error) {
          if (generation === this.generation) this.broke(error);
          return;
        }
        this.next = Math.max(this.next, last + 1);
      });
    });
    stream.on('error', (error) => {
      if (this.stream === stream) this.broke(error);
    });
    stream.on('end', () => {
      if (this.stream === stream) this.broke(new Error(`etcd ended the ${this.options.name} watch`));
    });
    // Resume after what was handed over. Events still queued will move `next` further; the
    // filter in onEvents drops anything older than that.
    stream.create({ key: this.options.range.start, rangeEnd: this.options.range.end, startRevision: this.next });
  }

  private enqueue(task: () => Promise<void> | void): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.lastError = error instanceof Error ? error : new Error(String(error));
      this.options.onState?.(this.connected, this.lastError);
    });
  }

  private async resync(): Promise<void> {
    if (this.stopped) return;
    this.next = (await this.options.onCompacted()) + 1;
    this.connect();
  }

  private broke(error: unknown): void {
    this.lastError = error instanceof Error ? error : new Error(String(error));
    this.close();
    this.client.streamFailed();
    this.setConnected(false);
    if (this.stopped) return;
    this.retryDelay = Math.min(Math.max(this.retryDelay * 2, 100), 1000);
    // Reconnect once the queued events are handled, so `next` is where they end.
    this.retryTimer = setTimeout(() => this.enqueue(() => this.connect()), this.retryDelay);
  }

  private close(): void {
    this.generation++;
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      stream.removeAllListeners('data');
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  private setConnected(connected: boolean): void {
    const changed = this.connected !== connected;
    this.connected = connected;
    if (changed || !connected) this.options.onState?.(connected, this.lastError);
  }
}
