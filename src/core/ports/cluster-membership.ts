// The cluster membership port: what the cluster member (app/cluster/cluster-member.ts) needs from
// the coordination store, in scheduler words. The etcd adapter implements it
// (adapters/store-etcd/etcd-cluster.ts); main.ts wires the two together.

import type { JobKey, JobRecord } from '../model/job.js';

export interface MemberInfo {
  id: string;
  /** Where this replica's HTTP API answers, for `duetime cluster status`. */
  url?: string;
  /** host:port of its gRPC scheduler API, which WatchHosts announces to sidecars. */
  schedulerAddress?: string;
  /** When the replica joined (ms since the epoch). */
  joinedAt: number;
}

export interface ClusterView {
  /** Live replicas, by id. */
  members: ReadonlyMap<string, MemberInfo>;
  /** The owner of each owned partition; absent partitions are free. */
  owners: ReadonlyMap<number, string>;
}

export interface BackendHealth {
  /** Registered under a lease that etcd still keeps alive, as far as this replica can tell. */
  registered: boolean;
  /** Following membership and job changes. */
  watching: boolean;
  /** The latest problem talking to etcd, if any. */
  error?: string;
}

/**
 * A job changed through another replica, in a partition this replica owns; or 'resync': changes
 * may have been missed (the watch fell behind a compaction), reload everything.
 */
export type JobChange = { kind: 'upsert'; record: JobRecord } | { kind: 'removed'; key: JobKey } | { kind: 'resync' };

export interface ClusterMembership {
  readonly memberId: string;
  readonly partitionCount: number;
  /** Registers this replica, loads the view and starts following changes. */
  join(info: Omit<MemberInfo, 'id'>): Promise<void>;
  view(): ClusterView;
  /** Partitions this replica holds now (owner keys it created and still has). */
  held(): number[];
  /**
   * Whether it holds this one now; false the moment its lease is in doubt, and the moment the
   * lease's deadline has passed (asking puts it in doubt then, before any timer of its own runs).
   */
  holds(partition: number): boolean;
  /** Changes whenever what is held changes (also when lost and reclaimed: the engine must reload). */
  heldEpoch(): number;
  /** Takes free partitions (create-if-absent under this replica's lease); returns those taken. */
  acquire(partitions: number[]): Promise<number[]>;
  /** Gives partitions up (deletes their owner keys), so others can take them at once; also retries deletes that failed before. */
  release(partitions: number[]): Promise<void>;
  /** Partitions lost without a release (lease in doubt, a refused commit) whose fencing tokens are kept. */
  lost(): number[];
  /** Forgets those tokens, once nothing of the old ownership can still be committing. */
  clearLost(partitions: number[]): void;
  health(): BackendHealth;
  /** Any change of the view, of the lease, or of what is held. */
  onChange(listener: () => void): () => void;
  onJobChange(listener: (change: JobChange) => void): () => void;
  /** Leaves the cluster: everything this replica held is free at once. */
  leave(): Promise<void>;
}
