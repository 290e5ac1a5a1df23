// The feed of job changes made through other replicas: one etcd watch over job/ (definitions and
// progress), turned into upserts and removals for the jobs of partitions this replica owns. A
// replica's own writes are skipped (its engine has them already), and so is a state older than one
// this replica wrote or deleted since; a watch that fell behind a compaction reports 'resync'.

import type { JobKey } from '../../core/model/job.js';
import type { JobChange } from '../../core/ports/cluster-membership.js';
import type { WatchEvent } from './etcd-api.js';
import type { EtcdClient } from './etcd-client.js';
import type { EtcdJobStore } from './etcd-job-store.js';
import type { KeyLayout } from './key-layout.js';
import type { PartitionFence } from './partition-fence.js';
import { RangeWatch } from './range-watch.js';
import { decodeDefinition, decodeProgress } from './records.js';

export interface EtcdJobWatchOptions {
  client: EtcdClient;
  layout: KeyLayout;
  fence: PartitionFence;
  store: EtcdJobStore;
  /** The first revision to hear of (the one after the view was loaded). */
  fromRevision: number;
  emit(change: JobChange): void;
  /** The watch's connection changed; an error when it broke. */
  onState(error: Error | undefined): void;
}

/** How often the store's record of its own writes is pruned up to what the watch has passed. */
const SEEN_PRUNE_MS = 5_000;

export class EtcdJobWatch {
  private readonly watch: RangeWatch;
  private lastPrune = 0;

  constructor(private readonly options: EtcdJobWatchOptions) {
    this.watch = new RangeWatch(options.client, {
      name: 'jobs',
      range: options.layout.jobsRange,
      fromRevision: options.fromRevision,
      onEvents: (events) => this.applyJobEvents(events),
      onCompacted: () => this.resyncJobs(),
      onState: (_connected, error) => options.onState(error),
    });
  }

  get connected(): boolean {
    return this.watch.connected;
  }

  start(): void {
    this.watch.start();
  }

  stop(): Promise<void> {
    return this.watch.stop();
  }

  private async applyJobEvents(events: WatchEvent[]): Promise<void> {
    const { layout, store, fence } = this.options;
    const byJob = new Map<string, { key: JobKey; def?: WatchEvent; progress?: WatchEvent; rev: number }>();
    for (const event of events) {
      const found = layout.jobOfJobKey(event.kv.key);
      if (!found) continue;
      const id = layout.jobId(found.key);
      const entry = byJob.get(id) ?? { key: found.key, rev: 0 };
      if (found.kind === 'def') entry.def = event;
      else entry.progress = event;
      // A delete, whoever made it: a refill that read before it must not bring the job back.
      if (found.kind === 'progress' && Number(event.type) === 1) store.known.noteDeleted(id, Number(event.kv.modRevision));
      entry.rev = Math.max(entry.rev, Number(event.kv.modRevision));
      byJob.set(id, entry);
    }
    const relevant = [...byJob]
      // Skip this replica's own writes (the engine already has them) and other owners' jobs. A
      // partition in doubt still hears of changes: the engine drops what they make stale.
      .filter(([id, entry]) => entry.rev > store.known.seenRevision(id) && fence.tokenFor(store.partitionOf(entry.key)) !== undefined)
      .map(([, entry]) => entry);
    const changes = await Promise.all(relevant.map((entry) => this.changeOf(entry)));
    for (const { change, modRevision } of changes) {
      // A state older than one this replica wrote or deleted since (reads raced with its own
      // commits): the engine already has newer, or let the job go on purpose.
      if (change.kind === 'upsert' && modRevision < store.known.engineKnownRevision(layout.jobId(change.record.def.key))) continue;
      this.options.emit(change);
    }
    // Every event up to the last one here has been handed over, so own writes up to it can no
    // longer be seen again. (Not the header revision: etcd sends a lagging watcher its backlog
    // in batches, each with the current revision in the header.)
    const now = Date.now();
    if (now - this.lastPrune > SEEN_PRUNE_MS && events.length > 0) {
      this.lastPrune = now;
      store.known.pruneSeen(Number(events[events.length - 1]!.kv.modRevision));
    }
  }

  private async changeOf(entry: { key: JobKey; def?: WatchEvent; progress?: WatchEvent }): Promise<{ change: JobChange; modRevision: number }> {
    const { def, progress } = entry;
    if (def && Number(def.type) === 1) return { change: { kind: 'removed', key: entry.key }, modRevision: Number(def.kv.modRevision) };
    if (def && progress && Number(progress.type) === 0) {
      const record = { def: decodeDefinition(def.kv.value), progress: decodeProgress(progress.kv.value).progress };
      return { change: { kind: 'upsert', record }, modRevision: Number(progress.kv.modRevision) };
    }
    // Progress alone (pause, resume, trigger served elsewhere): read the definition with it.
    const found = await this.options.store.getWithRevision(entry.key);
    return found ? { change: { kind: 'upsert', record: found.record }, modRevision: found.modRevision } : { change: { kind: 'removed', key: entry.key }, modRevision: 0 };
  }

  /** The job watch fell behind a compaction: start over from the current state. */
  private async resyncJobs(): Promise<number> {
    const response = await this.options.client.range({ key: this.options.layout.partitionsKey, countOnly: true });
    this.options.emit({ kind: 'resync' });
    return Number(response.header.revision);
  }
}
