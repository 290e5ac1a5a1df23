/*
 * One replica's part in the cluster: decides which partitions it should own, takes and gives
 * them up through the backend (etcd), and keeps the engine firing exactly those.
 *
 * State machine:
 *
 *   created --prepare--> prepared (the engine fires nothing until partitions are held)
 *   prepared --start: join--> member
 *   member: on every change of members, owners or lease --> reconcile:
 *     target   = assignPartitions(live members)[me]
 *     surplus  = held - target      -> engine lets go, in-flight deliveries settle, owner keys deleted
 *     wanted   = target - held, free -> create-if-absent under my lease
 *     engine fires held ∩ target; partitions lost without a release (lease in doubt, a fenced
 *     commit) leave the engine at once, and their stale tokens are cleared once it has settled
 *   member --stop--> leaving: the engine lets go of everything, deliveries settle, the lease is
 *     revoked (member and owner keys vanish together), so others take over at once --> stopped
 *
 * Only moved partitions pause: the engine keeps firing every partition it keeps throughout.
 */

import type { Engine } from '../../core/engine/engine.js';
import type { JobKey } from '../../core/model/job.js';
import { partitionOf } from '../../core/model/partition.js';
import { assignPartitions } from './assignment.js';
import type { ClusterMembership, JobChange, MemberInfo } from '../../core/ports/cluster-membership.js';

export interface ClusterLogger {
  info(data: object, message: string): void;
  warn(data: object, message: string): void;
  error(data: object, message: string): void;
}

export interface ClusterMemberOptions {
  /** This replica's HTTP API, shown by `duetime cluster status`. */
  url?: string;
  /** How long a hand-over waits for deliveries in flight before giving the partition up. @defaultValue 5000 */
  handoverTimeoutMs?: number;
  /** Reconcile at least this often, whatever happens (a missed event, a failed acquire). @defaultValue 2000 */
  reconcileIntervalMs?: number;
  log?: ClusterLogger;
}

export interface ClusterMemberStatus {
  id: string;
  url?: string;
  schedulerAddress?: string;
  joinedAt: number;
  self: boolean;
  /** Partitions it owns, ascending. */
  partitions: number[];
}

export interface ClusterStatus {
  mode: 'cluster';
  self: string;
  partitionCount: number;
  /** Partitions nobody owns right now (during a hand-over or a failover). */
  unowned: number;
  members: ClusterMemberStatus[];
  health: { registered: boolean; watching: boolean; error?: string };
}

export const CLUSTER_MEMBER_DEFAULTS = { handoverTimeoutMs: 5_000, reconcileIntervalMs: 2_000 } as const;

export class ClusterMember {
  private readonly handoverTimeoutMs: number;
  private readonly reconcileIntervalMs: number;
  private readonly log: ClusterLogger | undefined;
  /** Partitions the engine fires. Replaced (never mutated) so the engine's predicate sees one set at a time. */
  private firing: ReadonlySet<number> = new Set();
  /** The backend's held epoch when the engine last reloaded. */
  private firingEpoch = -1;
  /** Lost partitions whose deliveries in flight are being waited for before their tokens are dropped. */
  private readonly clearing = new Set<number>();
  private running: Promise<void> | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly backend: ClusterMembership,
    private readonly engine: Engine,
    private readonly options: ClusterMemberOptions = {},
  ) {
    this.handoverTimeoutMs = options.handoverTimeoutMs ?? CLUSTER_MEMBER_DEFAULTS.handoverTimeoutMs;
    this.reconcileIntervalMs = options.reconcileIntervalMs ?? CLUSTER_MEMBER_DEFAULTS.reconcileIntervalMs;
    this.log = options.log;
  }

  get memberId(): string {
    return this.backend.memberId;
  }

  /** Before the engine starts: it must fire nothing until this replica holds partitions. */
  async prepare(): Promise<void> {
    await this.engine.retainOnly(this.owns);
  }

  /**
   * Joins and takes this replica's share of the free partitions. `url`: where its HTTP API
   * answers; `schedulerAddress`: host:port of its gRPC scheduler API.
   */
  async start(where: { url?: string; schedulerAddress?: string } = {}): Promise<void> {
    const url = where.url ?? this.options.url;
    this.unsubscribe.push(this.backend.onChange(() => this.schedule()));
    this.unsubscribe.push(this.backend.onJobChange((change) => this.onJobChange(change)));
    await this.backend.join({ ...(url ? { url } : {}), ...(where.schedulerAddress ? { schedulerAddress: where.schedulerAddress } : {}), joinedAt: Date.now() });
    this.schedule();
    await this.running;
    this.timer = setInterval(() => this.schedule(), this.reconcileIntervalMs);
    this.timer.unref();
  }

  /** Hands every partition over and leaves the cluster. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    await this.running;
    await this.setFiring(new Set());
    await this.engine.settled(() => true, this.handoverTimeoutMs);
    await this.backend.leave();
    this.log?.info({ member: this.memberId }, 'left the cluster');
  }

  /**
   * Whether this replica fires the job now: a partition it decided to fire and still holds. The
   * second half reacts at once when the lease falls in doubt, before any reconcile has run.
   */
  readonly owns = (key: JobKey): boolean => {
    const p = partitionOf(key, this.backend.partitionCount);
    return this.firing.has(p) && this.backend.holds(p);
  };

  /** Partitions this replica fires now (for duetime_cluster_partitions_owned). */
  ownedPartitions(): number {
    return this.firing.size;
  }

  status(): ClusterStatus {
    const view = this.backend.view();
    const byMember = new Map<string, number[]>();
    for (const [p, member] of view.owners) {
      let list = byMember.get(member);
      if (!list) byMember.set(member, (list = []));
      list.push(p);
    }
    const members: ClusterMemberStatus[] = [...view.members.values()]
      .sort((a, b) => a.joinedAt - b.joinedAt || a.id.localeCompare(b.id))
      .map((m: MemberInfo) => ({
        id: m.id,
        ...(m.url ? { url: m.url } : {}),
        ...(m.schedulerAddress ? { schedulerAddress: m.schedulerAddress } : {}),
        joinedAt: m.joinedAt,
        self: m.id === this.memberId,
        partitions: (byMember.get(m.id) ?? []).sort((a, b) => a - b),
      }));
    return {
      mode: 'cluster',
      self: this.memberId,
      partitionCount: this.backend.partitionCount,
      unowned: this.backend.partitionCount - view.owners.size,
      members,
      health: this.backend.health(),
    };
  }

  /** The scheduler API addresses of the live replicas (each once, sorted), for WatchHosts. */
  schedulerAddresses(): string[] {
    const addresses = new Set<string>();
    for (const member of this.backend.view().members.values()) if (member.schedulerAddress) addresses.add(member.schedulerAddress);
    return [...addresses].sort();
  }

  /** Any change of the cluster view (members, owners, this replica's lease). */
  onViewChange(listener: () => void): () => void {
    return this.backend.onChange(listener);
  }

  /** For /readyz: registered, following changes, and firing something or nothing to fire yet. */
  readiness(): { ok: boolean; detail?: string } {
    const health = this.backend.health();
    const ok = health.registered && health.watching;
    const detail = `${this.firing.size}/${this.backend.partitionCount} partitions, ${this.backend.view().members.size} members`;
    return ok ? { ok, detail } : { ok, detail: `${health.error ?? 'connecting to etcd'} (${detail})` };
  }

  // ---- reconciling ----

  private schedule(): void {
    if (this.stopping && this.running === undefined) return;
    this.dirty = true;
    if (this.running) return;
    // From the next turn of the event loop: a burst of changes (a lease doubt fences off every
    // partition one by one) makes one reconcile.
    this.running = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      while (this.dirty && !this.stopping) {
        this.dirty = false;
        try {
          await this.reconcile();
        } catch (error) {
          this.log?.warn({ err: error }, 'cluster reconcile failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, 200));
          this.dirty = true;
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
  }

  private async reconcile(): Promise<void> {
    const me = this.memberId;
    const view = this.backend.view();
    const target = view.members.has(me)
      ? (assignPartitions([...view.members.keys()], this.backend.partitionCount).get(me) ?? new Set<number>())
      : new Set<number>();
    let held = new Set(this.backend.held());

    // Lost without a release (lease in doubt, a fenced commit): the engine already stopped
    // firing them (owns() asks the backend); let it drop them, let deliveries in flight finish,
    // then forget the stale tokens so that API writes for those partitions go through again.
    // (In the background: with etcd away those deliveries cannot commit, and the reconcile
    // must not wait for them to reclaim or take partitions.)
    const lost = this.backend.lost().filter((p) => !this.clearing.has(p));
    if (lost.length > 0) {
      const lostSet = new Set(lost);
      for (const p of lost) this.clearing.add(p);
      await this.setFiring(intersect(this.firing, held));
      this.log?.warn({ partitions: lost.length }, 'partitions lost; stopped firing them');
      void this.engine.settled((key) => lostSet.has(this.partitionOf(key)), this.handoverTimeoutMs).then(() => {
        this.backend.clearLost(lost);
        for (const p of lost) this.clearing.delete(p);
      });
    }

    // Hand over what is no longer ours to keep, after its deliveries in flight have committed.
    // (Called even with nothing to hand over: it retries deletes that failed before.)
    const surplus = [...held].filter((p) => !target.has(p));
    if (surplus.length > 0) {
      const surplusSet = new Set(surplus);
      await this.setFiring(intersect(this.firing, target));
      await this.engine.settled((key) => surplusSet.has(this.partitionOf(key)), this.handoverTimeoutMs);
    }
    await this.backend.release(surplus);
    if (surplus.length > 0) this.log?.info({ partitions: surplus.length }, 'handed partitions over');

    // Take what is ours and free; what another replica still holds, it will release.
    held = new Set(this.backend.held());
    const free = [...target].filter((p) => !held.has(p) && !view.owners.has(p));
    if (free.length > 0) {
      const taken = await this.backend.acquire(free);
      if (taken.length > 0) this.log?.info({ partitions: taken.length }, 'took partitions');
      held = new Set(this.backend.held());
    }
    // Partitions of the target still held elsewhere come later: their release is a change too.
    await this.setFiring(intersect(held, target));
  }

  /** Tells the engine what it fires now; also reloads after a partition was lost and held again. */
  private async setFiring(next: ReadonlySet<number>): Promise<void> {
    const epoch = this.backend.heldEpoch();
    if (sameSet(next, this.firing) && epoch === this.firingEpoch) return;
    this.firing = next;
    this.firingEpoch = epoch;
    await this.engine.retainOnly(this.owns);
  }

  private onJobChange(change: JobChange): void {
    if (this.stopping) return;
    switch (change.kind) {
      case 'upsert':
        this.engine.upsert(change.record);
        return;
      case 'removed':
        this.engine.remove(change.key);
        return;
      case 'resync':
        void this.resync();
        return;
    }
  }

  /** Changes may have been missed: forget every job (deliveries in flight finish) and reload. */
  private async resync(): Promise<void> {
    const firing = this.firing;
    await this.engine.retainOnly(() => false);
    if (this.firing === firing) await this.engine.retainOnly(this.owns);
  }

  private partitionOf(key: JobKey): number {
    return partitionOf(key, this.backend.partitionCount);
  }
}

function intersect(a: ReadonlySet<number>, b: ReadonlySet<number>): Set<number> {
  return new Set([...a].filter((p) => b.has(p)));
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

