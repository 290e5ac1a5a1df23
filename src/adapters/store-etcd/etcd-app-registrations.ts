// App registrations in etcd: one key per app, {prefix}apps/{namespace}\0{appId}, its value the
// registration's JSON (core/model/app-registration.ts). A write is a single put or delete, durable
// once etcd's quorum committed it (when the call returns). follow() reads the range and then
// watches it from the next revision, so every replica learns each registration made on another
// in the order etcd committed them; a broken watch resumes where it stopped (range-watch.ts), and
// one that fell behind a compaction reads the range again and reports the difference.

import { decodeRegistration, encodeRegistration } from '../../core/model/app-registration.js';
import type { AppRegistration, AppRegistrationChange, AppRegistrations, StoredRegistration } from '../../core/ports/app-registrations.js';
import type { KeyValue, WatchEvent } from './etcd-api.js';
import { toStoreError, type EtcdClient } from './etcd-client.js';
import type { KeyLayout } from './key-layout.js';
import { RangeWatch } from './range-watch.js';
import { del, put } from './txn-ops.js';
import { appKeyString, parseAppKeyString } from '../../core/model/job-key.js';

export interface EtcdAppRegistrationsOptions {
  client: EtcdClient;
  layout: KeyLayout;
  /** Told when the watch connects or breaks (for logs and readiness). */
  onWatchState?(connected: boolean, error?: Error): void;
}

export class EtcdAppRegistrations implements AppRegistrations {
  private readonly client: EtcdClient;
  private readonly layout: KeyLayout;
  private readonly onWatchState: EtcdAppRegistrationsOptions['onWatchState'];
  private follower: ((change: AppRegistrationChange) => void) | undefined;
  private watch: RangeWatch | undefined;
  /** The apps stored as of the last change reported, to report removals after a compaction. */
  private readonly known = new Set<string>();
  private closed = false;

  constructor(options: EtcdAppRegistrationsOptions) {
    this.client = options.client;
    this.layout = options.layout;
    this.onWatchState = options.onWatchState;
  }

  /** The watch is connected (always true before follow()). */
  get watching(): boolean {
    return this.watch?.connected ?? true;
  }

  async list(): Promise<StoredRegistration[]> {
    this.open();
    return (await this.read()).registrations;
  }

  async put(registration: AppRegistration): Promise<number> {
    this.open();
    const key = this.layout.appKey(registration.namespace, registration.appId);
    const value = Buffer.from(encodeRegistration(registration));
    return this.write(() => this.client.txn({ compare: [], success: [put(key, value)], failure: [] }));
  }

  async delete(namespace: string, appId: string): Promise<number> {
    this.open();
    const key = this.layout.appKey(namespace, appId);
    return this.write(() => this.client.txn({ compare: [], success: [del(key)], failure: [] }));
  }

  async follow(onChange: (change: AppRegistrationChange) => void): Promise<StoredRegistration[]> {
    this.open();
    if (this.follower) throw new Error('follow() was already called on this handle');
    this.follower = onChange;
    const { registrations, revision } = await this.read();
    for (const r of registrations) this.known.add(id(r.namespace, r.appId));
    this.watch = new RangeWatch(this.client, {
      name: 'app registrations',
      range: this.layout.appsRange,
      fromRevision: revision + 1,
      onEvents: (events) => this.applyEvents(events),
      onCompacted: () => this.resync(),
      ...(this.onWatchState ? { onState: this.onWatchState } : {}),
    });
    if (!this.closed) this.watch.start();
    return registrations;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.follower = undefined;
    await this.watch?.stop();
  }

  private async read(): Promise<{ registrations: StoredRegistration[]; revision: number }> {
    const { start, end } = this.layout.appsRange;
    let response;
    try {
      response = await this.client.range({ key: start, rangeEnd: end });
    } catch (error) {
      throw toStoreError(error);
    }
    const registrations = response.kvs.flatMap((kv) => {
      const r = this.decode(kv);
      return r ? [{ ...r, revision: Number(kv.modRevision) }] : [];
    });
    return { registrations, revision: Number(response.header.revision) };
  }

  private async write(call: () => Promise<{ header: { revision: string } }>): Promise<number> {
    try {
      return Number((await call()).header.revision);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  private applyEvents(events: WatchEvent[]): void {
    for (const event of events) {
      const app = this.layout.appOfAppKey(event.kv.key);
      if (!app) continue;
      const revision = Number(event.kv.modRevision);
      if (Number(event.type) === 1) {
        this.known.delete(id(app.namespace, app.appId));
        this.tell({ kind: 'delete', ...app, revision });
        continue;
      }
      const registration = this.decode(event.kv);
      // A value that is not a registration (written by hand): as if the key were absent.
      if (!registration) continue;
      this.known.add(id(app.namespace, app.appId));
      this.tell({ kind: 'put', registration, revision });
    }
  }

  private async resync(): Promise<number> {
    const { registrations, revision } = await this.read();
    const present = new Set(registrations.map((r) => id(r.namespace, r.appId)));
    for (const gone of [...this.known].filter((k) => !present.has(k))) {
      const { namespace, appId } = parseAppKeyString(gone);
      this.known.delete(gone);
      this.tell({ kind: 'delete', namespace, appId, revision });
    }
    for (const r of registrations) {
      this.known.add(id(r.namespace, r.appId));
      const { revision: at, ...registration } = r;
      this.tell({ kind: 'put', registration, revision: at });
    }
    return revision;
  }

  private decode(kv: KeyValue): AppRegistration | undefined {
    const app = this.layout.appOfAppKey(kv.key);
    const value = app && decodeRegistration(kv.value.toString('utf8'));
    return app && value ? { ...app, ...value } : undefined;
  }

  private tell(change: AppRegistrationChange): void {
    try {
      this.follower?.(change);
    } catch {
      // the follower's own problem (see the port)
    }
  }

  private open(): void {
    if (this.closed) throw new Error('the etcd app registrations are closed');
  }
}

const id = appKeyString;
