/*
 * The etcd side of being a cluster member: registration under a lease, the view of members and
 * partition owners, taking and giving up partitions, and the feed of job changes made through
 * other replicas. Which partitions to take is decided above (src/app/cluster/); this class only
 * carries it out, and keeps the store's PartitionFence true.
 *
 * Lease states and what they do to ownership (see lease-keeper.ts):
 *
 *   alive --doubtful--> every held partition is fenced off (stop firing before etcd expires us)
 *   doubtful --alive--> reclaim: owner keys still under our lease are held again
 *   any --gone--> fenced off; register again under a new lease (retrying until etcd answers)
 *
 * Keys (key-layout.ts): members/{id} and owners/{partition} live under this replica's lease, so a
 * crashed replica's registration and partitions vanish together when the lease expires.
 */

import type { ClusterMembership, JobChange, MemberInfo } from '../../core/ports/cluster-membership.js';
import type { WatchEvent } from './etcd-api.js';
import type { EtcdClient } from './etcd-client.js';
import type { EtcdJobStore } from './etcd-job-store.js';
import type { KeyLayout } from './key-layout.js';
import { LeaseKeeper, type LeaseState } from './lease-keeper.js';
import type { PartitionFence } from './partition-fence.js';
import { EtcdJobWatch } from './etcd-job-watch.js';
import { RangeWatch } from './range-watch.js';
import { createRevisionIs, del, put } from './txn-ops.js';

export interface ClusterLog {
  info(data: object, message: string): void;
  warn(data: object, message: string): void;
}

export interface EtcdClusterOptions {
  client: EtcdClient;
  layout: KeyLayout;
  fence: PartitionFence;
  store: EtcdJobStore;
  memberId: string;
  /** Lease TTL: how long a crashed replica keeps its partitions. @defaultValue 5 */
  leaseTtlSeconds: number;
  /** The engine's look-ahead: jobs created elsewhere due later than this are left to refills. @defaultValue Infinity */
  watchHorizonMs?: number;
  log?: ClusterLog;
}

interface Owner {
  member: string;
  createRevision: number;
  lease: string;
}

const RETRY_MAX_MS = 2_000;

export class EtcdCluster implements ClusterMembership {
  readonly memberId: string;
  readonly partitionCount: number;
  private readonly client: EtcdClient;
  private readonly layout: KeyLayout;
  private readonly fence: PartitionFence;
  private readonly store: EtcdJobStore;
  private readonly log: ClusterLog | undefined;
  private readonly lease: LeaseKeeper;
  private readonly watchHorizonMs: number | undefined;
  private info: MemberInfo | undefined;
  private members = new Map<string, MemberInfo>();
  private owners = new Map<number, Owner>();
  private clusterWatch: RangeWatch | undefined;
  private jobWatch: EtcdJobWatch | undefined;
  private readonly changeListeners = new Set<() => void>();
  private readonly jobListeners = new Set<(change: JobChange) => void>();
  private registering: Promise<void> | undefined;
  private lastError: string | undefined;
  private stopped = false;
  /** The lease fell in doubt and has not been confirmed since. */
  private doubted = false;
  /** Owner keys given up but not yet deleted (etcd was unreachable): partition -> create revision. */
  private readonly releasing = new Map<number, number>();

  constructor(options: EtcdClusterOptions) {
    this.memberId = options.memberId;
    this.partitionCount = options.fence.partitionCount;
    this.client = options.client;
    this.layout = options.layout;
    this.fence = options.fence;
    this.store = options.store;
    this.log = options.log;
    this.watchHorizonMs = options.watchHorizonMs;
    this.lease = new LeaseKeeper(options.client, options.leaseTtlSeconds, { onState: (state, error) => this.onLeaseState(state, error) });
    this.store.known.trackSeen = true;
    // A commit refused by the fence means a partition was lost: the member must hear of it.
    this.fence.onLost(() => this.emitChange());
  }

  async join(info: Omit<MemberInfo, 'id'>): Promise<void> {
    this.info = { id: this.memberId, ...info };
    await this.register();
    const revision = await this.loadView();
    this.clusterWatch = new RangeWatch(this.client, {
      name: 'membership',
      range: this.layout.clusterRange,
      fromRevision: revision + 1,
      onEvents: (events) => this.applyClusterEvents(events),
      onCompacted: () => this.loadView(),
      onState: (_connected, error) => this.noteError(error),
    });
    this.jobWatch = new EtcdJobWatch({
      client: this.client,
      layout: this.layout,
      fence: this.fence,
      store: this.store,
      fromRevision: revision + 1,
      ...(this.watchHorizonMs !== undefined ? { horizonMs: this.watchHorizonMs } : {}),
      emit: (change) => {
        for (const listener of this.jobListeners) listener(change);
      },
      onState: (error) => this.noteError(error),
    });
    this.clusterWatch.start();
    this.jobWatch.start();
  }

  view(): { members: ReadonlyMap<string, MemberInfo>; owners: ReadonlyMap<number, string> } {
    const owners = new Map<number, string>();
    for (const [p, owner] of this.owners) owners.set(p, owner.member);
    return { members: new Map(this.members), owners };
  }

  held(): number[] {
    return this.fence.ownedPartitions();
  }

  /**
   * Asked before every trigger fires (ClusterMember.owns). A lease whose deadline has passed is
   * put in doubt here, which fences off every partition at once, even when its check timer has
   * not run yet (a process that was frozen runs the engine's overdue timers first).
   */
  holds(partition: number): boolean {
    this.lease.confirm();
    return this.fence.owns(partition);
  }

  heldEpoch(): number {
    return this.fence.epoch;
  }

  async acquire(partitions: number[]): Promise<number[]> {
    const lease = this.lease.id;
    if (this.lease.state !== 'alive' || lease === undefined) return [];
    const value = Buffer.from(this.memberId);
    const taken = await Promise.all(
      partitions.map(async (p) => {
        const key = this.layout.ownerKey(p);
        const response = await this.client.txn({ compare: [createRevisionIs(key, 0)], success: [put(key, value, lease)], failure: [] });
        if (!response.succeeded) return undefined;
        const createRevision = Number(response.header.revision);
        // The lease may have been doubted while the request was out: then the key is not ours to use.
        if (this.lease.state !== 'alive' || this.lease.id !== lease) return undefined;
        this.owners.set(p, { member: this.memberId, createRevision, lease });
        this.fence.hold(p, createRevision);
        return p;
      }),
    );
    return taken.filter((p): p is number => p !== undefined);
  }

  /**
   * Gives partitions up. The fence lets go first (the caller has settled the engine), so the
   * watch seeing the owner key vanish is not mistaken for a loss. A delete that fails (etcd
   * unreachable) is remembered and tried again on the next call, which may name no partition.
   */
  async release(partitions: number[]): Promise<void> {
    for (const p of partitions) {
      const token = this.fence.tokenFor(p);
      this.fence.release(p);
      if (token !== undefined) this.releasing.set(p, token);
    }
    const results = await Promise.allSettled(
      [...this.releasing].map(async ([p, token]) => {
        const key = this.layout.ownerKey(p);
        await this.client.txn({ compare: [createRevisionIs(key, token)], success: [del(key)], failure: [] });
        if (this.releasing.get(p) === token) this.releasing.delete(p);
        if (this.owners.get(p)?.createRevision === token) this.owners.delete(p);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  lost(): number[] {
    return this.fence.stalePartitions();
  }

  clearLost(partitions: number[]): void {
    for (const p of partitions) this.fence.clearStale(p);
  }

  health(): { registered: boolean; watching: boolean; error?: string } {
    const watching = (this.clusterWatch?.connected ?? false) && (this.jobWatch?.connected ?? false);
    const registered = this.lease.state === 'alive';
    const error = registered && watching ? undefined : this.lastError;
    return { registered, watching, ...(error ? { error } : {}) };
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onJobChange(listener: (change: JobChange) => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }

  async leave(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.clusterWatch?.stop(), this.jobWatch?.stop()]);
    const held = this.fence.ownedPartitions();
    try {
      // Revoking the lease deletes the member key and every owner key in one step.
      await this.lease.revoke();
    } catch (error) {
      this.log?.warn({ err: error }, 'could not revoke the cluster lease; its partitions free up when it expires');
    }
    for (const p of held) this.fence.release(p);
    this.fence.clearStale();
  }

  // ---- registration and lease ----

  private register(): Promise<void> {
    this.registering ??= (async () => {
      let delay = 100;
      while (!this.stopped) {
        try {
          const lease = await this.lease.grant();
          await this.client.txn({ compare: [], success: [put(this.layout.memberKey(this.memberId), Buffer.from(JSON.stringify(this.info)), lease)], failure: [] });
          this.log?.info({ member: this.memberId, lease, ttlMs: this.lease.ttlMs }, 'registered in the cluster');
          this.lastError = undefined;
          return;
        } catch (error) {
          this.noteError(error);
          this.log?.warn({ err: error, retryInMs: delay }, 'cannot register in the cluster; retrying');
          await sleep(delay);
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        }
      }
    })().finally(() => {
      this.registering = undefined;
    });
    return this.registering;
  }

  private onLeaseState(state: LeaseState, error?: Error): void {
    if (error) this.noteError(error);
    if (this.stopped) return;
    if (state === 'doubtful' || state === 'gone') {
      this.doubted = state === 'doubtful';
      const held = this.fence.ownedPartitions();
      if (held.length > 0) this.log?.warn({ state, partitions: held.length }, 'cluster lease in doubt: no longer firing its partitions');
      for (const p of held) this.fence.fenceOff(p);
      this.emitChange();
      if (state === 'gone') void this.register().then(() => this.emitChange());
      return;
    }
    if (state === 'alive' && this.doubted) {
      this.doubted = false;
      void this.reclaim();
    } else {
      this.emitChange();
    }
  }

  /** The lease survived a doubt: owner keys still under it are ours again. */
  private async reclaim(): Promise<void> {
    const lease = this.lease.id;
    try {
      await this.loadView();
      for (const [p, owner] of this.owners) {
        const givenUp = this.releasing.get(p) === owner.createRevision;
        if (owner.member === this.memberId && owner.lease === lease && this.lease.state === 'alive' && !givenUp) this.fence.hold(p, owner.createRevision);
      }
      this.log?.info({ partitions: this.fence.ownedPartitions().length }, 'cluster lease confirmed again: partitions reclaimed');
    } catch (error) {
      this.noteError(error);
    }
    this.emitChange();
  }

  // ---- the view ----

  /** Reads members and owners afresh; returns the revision read at. */
  private async loadView(): Promise<number> {
    const response = await this.client.range({ key: this.layout.clusterRange.start, rangeEnd: this.layout.clusterRange.end });
    this.members = new Map();
    this.owners = new Map();
    for (const kv of response.kvs) this.applyPut(kv.key, kv.value, Number(kv.createRevision), kv.lease);
    this.checkHeld();
    this.emitChange();
    return Number(response.header.revision);
  }

  private applyClusterEvents(events: WatchEvent[]): void {
    for (const event of events) {
      if (Number(event.type) === 1) {
        const member = this.layout.memberOfMemberKey(event.kv.key);
        if (member !== undefined) this.members.delete(member);
        const p = this.layout.partitionOfOwnerKey(event.kv.key);
        if (p !== undefined) this.owners.delete(p);
      } else {
        this.applyPut(event.kv.key, event.kv.value, Number(event.kv.createRevision), event.kv.lease);
      }
    }
    this.checkHeld();
    this.emitChange();
  }

  private applyPut(key: Buffer, value: Buffer, createRevision: number, lease: string): void {
    const member = this.layout.memberOfMemberKey(key);
    if (member !== undefined) {
      try {
        this.members.set(member, JSON.parse(value.toString('utf8')) as MemberInfo);
      } catch {
        this.members.set(member, { id: member, joinedAt: 0 });
      }
      return;
    }
    const p = this.layout.partitionOfOwnerKey(key);
    if (p !== undefined) this.owners.set(p, { member: value.toString('utf8'), createRevision, lease });
  }

  /** A held partition whose owner key is gone or was recreated is no longer ours. */
  private checkHeld(): void {
    for (const p of this.fence.ownedPartitions()) {
      const owner = this.owners.get(p);
      if (owner?.createRevision !== this.fence.tokenFor(p)) {
        this.log?.warn({ partition: p, token: this.fence.tokenFor(p), owner }, 'partition owner key changed under this replica: fenced off');
        this.fence.fenceOff(p);
      }
    }
  }

  // ---- plumbing ----

  private emitChange(): void {
    for (const listener of this.changeListeners) listener();
  }

  private noteError(error: unknown): void {
    if (error === undefined) return;
    this.lastError = error instanceof Error ? error.message : String(error);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
