// The feed of job changes made through other replicas, for the jobs of partitions this replica
// owns. It watches the due and staged indexes, not the jobs themselves: their keys carry no value
// and name the partition at a fixed place, so a change in another owner's partition costs a
// small event dropped unparsed, not a definition and a progress decoded. Every write that can
// bring a job into memory or take it out (create, overwrite, delete, pause, resume, a manual
// trigger) puts or deletes the job's index key in the same transaction. Of the rest, a progress
// change that leaves the index key where it was, the owner learns when its next conditional
// commit is refused and it reloads the job, as before.
//
// For each job changed by someone else (its own writes are skipped, as is a state older than one
// this replica wrote or deleted since), the watch reads the job's current record and reports it,
// or its removal, except a new index key due beyond the horizon (the engine's look-ahead) with no
// key of the job removed in the same change: a job the engine does not hold and would not keep,
// which a refill loads in time. A watch that fell behind a compaction reports 'resync'.

import type { JobKey } from '../../core/model/job.js';
import type { JobChange } from '../../core/ports/cluster-membership.js';
import type { WatchEvent } from './etcd-api.js';
import type { EtcdClient } from './etcd-client.js';
import type { EtcdJobStore } from './etcd-job-store.js';
import type { KeyLayout } from './key-layout.js';
import type { PartitionFence } from './partition-fence.js';
import { RangeWatch } from './range-watch.js';

export interface EtcdJobWatchOptions {
  client: EtcdClient;
  layout: KeyLayout;
  fence: PartitionFence;
  store: EtcdJobStore;
  /** The first revision to hear of (the one after the view was loaded). */
  fromRevision: number;
  /**
   * New jobs due later than this many ms from now are not read: the engine's look-ahead, whose
   * refills (every quarter of it) load them before they are due. @defaultValue Infinity (read all)
   */
  horizonMs?: number;
  emit(change: JobChange): void;
  /** The watch's connection changed; an error when it broke. */
  onState(error: Error | undefined): void;
}

/** How often the store's record of its own writes is pruned up to what the watch has passed. */
const SEEN_PRUNE_MS = 5_000;

interface Touched {
  key: JobKey;
  /** The newest revision of the job's events here. */
  rev: number;
  /** An index key of the job was deleted: the engine may hold it and must hear what became of it. */
  removed: boolean;
  /** The earliest instant a new due key files it at (staged keys count as now: always read). */
  putAt: number;
}

export class EtcdJobWatch {
  private readonly watches: RangeWatch[];
  private readonly horizonMs: number;
  private lastPrune = 0;

  constructor(private readonly options: EtcdJobWatchOptions) {
    this.horizonMs = options.horizonMs ?? Number.POSITIVE_INFINITY;
    const ranges = [
      ['due index', options.layout.dueIndexRange],
      ['staged index', options.layout.stagedIndexRange],
    ] as const;
    this.watches = ranges.map(
      ([name, range]) =>
        new RangeWatch(options.client, {
          name,
          range,
          fromRevision: options.fromRevision,
          onEvents: (events) => this.applyIndexEvents(events),
          onCompacted: () => this.resyncJobs(),
          onState: (_connected, error) => options.onState(error),
        }),
    );
  }

  get connected(): boolean {
    return this.watches.every((w) => w.connected);
  }

  start(): void {
    for (const watch of this.watches) watch.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  private async applyIndexEvents(events: WatchEvent[]): Promise<void> {
    const { layout, store, fence } = this.options;
    const touched = new Map<string, Touched>();
    const until = Date.now() + this.horizonMs;
    for (const event of events) {
      const where = layout.partitionOfIndexKey(event.kv.key);
      // Another owner's partition: dropped without decoding the job. A partition in doubt still
      // hears of changes (its token is kept): the engine drops what they make stale.
      if (!where || fence.tokenFor(where.partition) === undefined) continue;
      const deleted = Number(event.type) === 1;
      const putAt = deleted || where.kind !== 'due' ? 0 : layout.instantOfDueKey(event.kv.key);
      // A new due key beyond the horizon is dropped before the job is decoded: alone it would be
      // dropped below, and with a removal of the same job in these events the removal has the job
      // read anyway (its current record, whatever the put). While jobs are scheduled ahead, most
      // events are new jobs due later.
      if (putAt > until) continue;
      const key = where.kind === 'due' ? layout.jobOfDueKey(event.kv.key) : layout.parseStagedKey(event.kv.key).key;
      const id = layout.jobId(key);
      const entry = touched.get(id) ?? { key, rev: 0, removed: false, putAt: Number.POSITIVE_INFINITY };
      entry.rev = Math.max(entry.rev, Number(event.kv.modRevision));
      if (deleted) entry.removed = true;
      else entry.putAt = Math.min(entry.putAt, putAt);
      touched.set(id, entry);
    }
    // New jobs beyond the horizon are not read. Of the rest, this replica's own writes are skipped
    // (the engine already has them): known once the writes in flight to those jobs have answered,
    // which under load is often after their events arrive (a trigger's commit waits its turn in a
    // batch); deciding before would read back every such job from etcd.
    // What is already known to be this replica's own (its write's answer came first: the check
    // below would skip it after the wait) is dropped before waiting on anything.
    const candidates = [...touched].filter(([id, entry]) => (entry.removed || entry.putAt <= until) && entry.rev > store.known.seenRevision(id));
    if (candidates.length > 0) await store.writesSettled(candidates.map(([, entry]) => entry.key));
    const toRead = candidates.filter(([id, entry]) => entry.rev > store.known.seenRevision(id)).map(([, entry]) => entry.key);
    if (toRead.length > 0) {
      for (const found of await store.getManyWithRevision(toRead)) {
        const id = layout.jobId(found.key);
        if (!found.record) {
          // This replica wrote the job again after the read (its own API call, answered while the
          // read was out: the engine holds the new job). A late removal would drop that job, and
          // own writes are not reported, so nothing would bring it back before a whole refill.
          if (found.revision < store.known.seenRevision(id)) continue;
          this.options.emit({ kind: 'removed', key: found.key });
          continue;
        }
        // A state older than one this replica wrote or deleted since (reads raced with its own
        // commits): the engine already has newer, or let the job go on purpose. Or its own write
        // after all: the event can arrive before the answer to the write that made it, and the
        // read waited for that write to be recorded.
        if (found.modRevision < store.known.engineKnownRevision(id) || found.modRevision <= store.known.seenRevision(id)) continue;
        this.options.emit({ kind: 'upsert', record: found.record });
      }
    }
    // Every event up to the last one here has been handed over, so own writes up to it can no
    // longer be seen again. (Not the header revision: etcd sends a lagging watcher its backlog
    // in batches, each with the current revision in the header.) The other index's watch may
    // lag behind: an own write it reports after the prune is read and handed over like another
    // replica's, which costs a read and changes nothing (the record is the one the engine has).
    const now = Date.now();
    if (now - this.lastPrune > SEEN_PRUNE_MS && events.length > 0) {
      this.lastPrune = now;
      store.known.pruneSeen(Number(events[events.length - 1]!.kv.modRevision));
    }
  }

  /** The watch fell behind a compaction: start over from the current state. */
  private async resyncJobs(): Promise<number> {
    const response = await this.options.client.range({ key: this.options.layout.partitionsKey, countOnly: true });
    this.options.emit({ kind: 'resync' });
    return Number(response.header.revision);
  }
}
