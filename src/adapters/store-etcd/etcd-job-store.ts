// The cluster's JobStore on etcd (3.4+). Every write is one conditional transaction; the
// layout is in key-layout.ts. A job's progress key carries the etcd revision that guards it:
// a commit compares that revision (the job's uid and progress rev are in the value, so "the key
// is unchanged since I read rev r of uid u" is the conformance rule "uid and rev match"), and in
// cluster mode also the create revision of the partition's owner key: the fencing token. The
// due index holds one key per job with a next instant, ordered by partition then instant,
// written in the same transaction as the progress, so a replica reads only what is due soon in
// the partitions it owns.

import { systemClock, type Clock } from '../../core/clock.js';
import { JobExistsError, StoreConflictError } from '../../core/errors.js';
import { isFinished, type HistoryEntry, type JobDefinition, type JobKey, type JobRecord, type Progress } from '../../core/model/job.js';
import { appKeyString } from '../../core/model/job-key.js';
import { partitionOf } from '../../core/model/partition.js';
import { noticeWritten, type DeleteByPrefixOptions, type JobStore, type ListOptions, type ListPage, type ProgressCommit, type StagedCount, type WriteNotice } from '../../core/ports/job-store.js';
import { AppJobCounts } from './app-job-counts.js';
import type { KeyValue, RequestOp } from './etcd-api.js';
import { toStoreError, type EtcdClient } from './etcd-client.js';
import { IssueOrder } from './issue-order.js';
import type { KeyLayout } from './key-layout.js';
import { KnownProgressCache, type KnownProgress } from './known-progress.js';
import type { PartitionFence } from './partition-fence.js';
import { decodeDefinition, decodeHistory, decodeProgress, encodeDefinition, encodeHistory, encodeProgress, indexEntry, sameIndexEntry, type IndexEntry, type StoredProgress } from './records.js';
import { TxnBatcher, type BatchedResult } from './txn-batcher.js';
import { chunks, createRevisionIs, del, delRange, delReturningPrevious, firstKv, get, getRange, MAX_TXN_OPS, modRevisionIs, previousKv, put, putReturningPrevious, rangeOf } from './txn-ops.js';

export interface EtcdJobStoreOptions {
  client: EtcdClient;
  layout: KeyLayout;
  partitionCount: number;
  /** History entries kept per job, newest first. @defaultValue 20 */
  historyLimit?: number;
  /** Cluster mode: which partitions this replica owns, and their fencing tokens. */
  fence?: PartitionFence;
  /** Progress revisions remembered to make commits one round trip. @defaultValue 200000 */
  knownCapacity?: number;
  /** Close the client with the store (a store used on its own). @defaultValue false */
  ownsClient?: boolean;
  /** When each app's job count was read, for its refresh interval (app-job-counts.ts). @defaultValue systemClock */
  clock?: Clock;
}

export const ETCD_STORE_DEFAULTS = { historyLimit: 20, knownCapacity: 200_000 } as const;

/** Conditional writes retried this often when someone else wrote in between (then: give up). */
const MAX_ATTEMPTS = 20;
/** stagedCounts gives up past this many apps staged in one partition (it is a gauge, not a ledger). */
const STAGED_COUNT_ROUNDS = 1_000;
/** Partitions whose finished index one purge read covers (each answers at most the keys still wanted). */
const PURGE_PARTITIONS_PER_READ = 16;
/** Jobs per page when deleting by prefix: each costs up to 4 operations in one transaction. */
const DELETE_CHUNK = 30;
/**
 * Progress commits may wait this long for company while a batch is in flight (txn-batcher.ts):
 * under load bigger batches cost etcd and the client less per job; nothing is delivered later,
 * and a quiet store sends at once.
 */
const COMMIT_LINGER = { lingerMs: 50 } as const;

/** Keys of one job a write builds once and passes along. */
interface JobKeys {
  id: string;
  partition: number;
  progressKey: Buffer;
}

interface CurrentProgress extends KnownProgress {
  fromCache: boolean;
  /** Read from etcd (not the cache): the progress is a finished job's tombstone. */
  finished?: boolean;
}

export class EtcdJobStore implements JobStore {
  readonly known: KnownProgressCache;
  private readonly client: EtcdClient;
  private readonly layout: KeyLayout;
  private readonly partitionCount: number;
  private readonly historyLimit: number;
  private readonly fence: PartitionFence | undefined;
  private readonly ownsClient: boolean;
  private readonly order = new IssueOrder();
  /** Single-job writes issued together go to etcd as one transaction. */
  private readonly batch: TxnBatcher;
  /** Each app's job count for --max-jobs-per-app: read now and then, kept up by this replica's writes. */
  private readonly jobCounts: AppJobCounts;
  private closed = false;

  constructor(options: EtcdJobStoreOptions) {
    const limit = options.historyLimit ?? ETCD_STORE_DEFAULTS.historyLimit;
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`historyLimit must be a non-negative integer, got ${limit}`);
    this.client = options.client;
    this.batch = new TxnBatcher(options.client);
    this.layout = options.layout;
    this.partitionCount = options.partitionCount;
    this.historyLimit = limit;
    this.fence = options.fence;
    this.ownsClient = options.ownsClient ?? false;
    this.known = new KnownProgressCache(options.knownCapacity ?? ETCD_STORE_DEFAULTS.knownCapacity);
    this.jobCounts = new AppJobCounts((namespace, appId) => this.readJobCount(namespace, appId), options.clock ?? systemClock);
  }

  partitionOf(key: JobKey): number {
    return partitionOf(key, this.partitionCount);
  }

  async create(record: JobRecord, options: { overwrite: boolean } & WriteNotice): Promise<JobDefinition | undefined> {
    this.open();
    const def = encodeDefinition(record.def); // throws for values JSON cannot hold, before anything is sent
    const stored: StoredProgress = { uid: record.def.uid, progress: record.progress, history: [] };
    const key = record.def.key;
    // The job's keys share its id: built once here, not once per key and per attempt.
    const id = this.layout.jobId(key);
    const defKey = this.layout.defKeyOf(id);
    const progressKey = this.layout.progressKeyOf(id);
    // `replacing`: the definition's put answers the one it replaces (prev_kv, read by the put in
    // the transaction that replaces it: no Range of its own), the store's answer.
    const writes = (replacing: boolean): RequestOp[] => {
      const ops = [replacing ? putReturningPrevious(defKey, def) : put(defKey, def), put(progressKey, encodeProgress(stored))];
      const entry = indexEntry(record.progress);
      if (entry) ops.push(put(this.indexKey(key, entry, id), Buffer.alloc(0)));
      return ops;
    };
    const answer = this.order.writeJob(id, () =>
      guard(async () => {
        if (!options.overwrite) {
          // The name is free (the compare says so): nothing replaced, nothing asked back.
          const response = await this.batch.txn({ compare: [createRevisionIs(defKey, 0)], success: writes(false), failure: [get(progressKey)] });
          if (response.succeeded) {
            this.remember(id, stored, response.revision);
            this.jobCounts.note(key.namespace, key.appId, response.revision, +1);
            return undefined;
          }
          // Taken by a live job; a tombstone gives its name up (replaced below, as an overwrite).
          const taken = firstKv(response.responses[0]);
          if (taken && !isFinished(decodeProgress(taken.value).progress)) throw new JobExistsError(key.name);
        }
        // Overwrite: the old job's index entry and history go in the same transaction.
        let replaced: JobDefinition | undefined;
        await this.withCurrent(key, 'read', async (current) => {
          if (!options.overwrite && current && !current.finished) throw new JobExistsError(key.name);
          const ops: RequestOp[] = [];
          if (current) ops.push(...this.removalOps(key, current, { keepDefAndProgress: true }));
          ops.push(...writes(true));
          const success = dedupe(ops);
          const response = await this.batch.txn({ compare: [modRevisionIs(progressKey, current?.modRevision ?? 0)], success, failure: [] });
          if (!response.succeeded) return 'retry';
          this.remember(id, stored, response.revision);
          const previous = previousKv(response.responses[success.findIndex((op) => 'requestPut' in op && op.requestPut.key === defKey)]);
          replaced = previous && decodeDefinition(previous.value);
          // A job replaced (live or a tombstone) keeps its count; one where there was none adds to it.
          if (!current) this.jobCounts.note(key.namespace, key.appId, response.revision, +1);
          return 'done';
        });
        return replaced;
      }),
    );
    return noticeWritten(answer, options.written);
  }

  async get(key: JobKey): Promise<JobRecord | undefined> {
    this.open();
    return this.order.readJob(this.layout.jobId(key), () =>
      guard(async () => {
        const response = await this.client.txn({ compare: [], success: [get(this.layout.defKey(key)), get(this.layout.progressKey(key))], failure: [] });
        return this.toRecord(firstKv(response.responses[0]), firstKv(response.responses[1]), key);
      }),
    );
  }

  /** get(), with the mod revision of the progress it read (for the job watch's staleness check). */
  async getWithRevision(key: JobKey): Promise<{ record: JobRecord; modRevision: number } | undefined> {
    this.open();
    return this.order.readJob(this.layout.jobId(key), () =>
      guard(async () => {
        const response = await this.client.txn({ compare: [], success: [get(this.layout.defKey(key)), get(this.layout.progressKey(key))], failure: [] });
        const progress = firstKv(response.responses[1]);
        const record = this.toRecord(firstKv(response.responses[0]), progress, key);
        return record && progress ? { record, modRevision: Number(progress.modRevision) } : undefined;
      }),
    );
  }

  /**
   * Resolves once every write to these jobs issued so far has settled (and been remembered): the
   * job watch waits for it before deciding which changes are its own, since an event can arrive
   * before the answer to the write that made it.
   */
  async writesSettled(keys: readonly JobKey[]): Promise<void> {
    await Promise.all(keys.map((key) => this.order.readJob(this.layout.jobId(key), async () => undefined)));
  }

  /**
   * The current records of several jobs (for the job watch), each read after this replica's
   * earlier writes to it, in as few transactions as fit (64 jobs each) instead of one per job:
   * the mod revision of each progress key read, and the revision of the read (what a job that is
   * gone was gone at).
   */
  async getManyWithRevision(keys: JobKey[]): Promise<Array<{ key: JobKey; record?: JobRecord; modRevision: number; revision: number }>> {
    this.open();
    await Promise.all(keys.map((key) => this.order.readJob(this.layout.jobId(key), async () => undefined)));
    return guard(async () => {
      const groups = await Promise.all(
        chunks(keys, MAX_TXN_OPS / 2).map(async (group) => {
          const response = await this.client.txn({ compare: [], success: group.flatMap((key) => [get(this.layout.defKey(key)), get(this.layout.progressKey(key))]), failure: [] });
          const revision = revisionOf(response);
          return group.map((key, i) => {
            const progress = firstKv(response.responses[2 * i + 1]);
            const record = this.toRecord(firstKv(response.responses[2 * i]), progress, key);
            if (!record || !progress) this.known.noteDeleted(this.layout.jobId(key), revision);
            return record && progress ? { key, record, modRevision: Number(progress.modRevision), revision } : { key, modRevision: 0, revision };
          });
        }),
      );
      return groups.flat();
    });
  }

  async delete(key: JobKey, options: WriteNotice = {}): Promise<JobDefinition | undefined> {
    this.open();
    const answer = this.order.writeJob(this.layout.jobId(key), () =>
      guard(async () => {
        let deleted: JobDefinition | undefined;
        await this.withCurrent(key, 'cache', async (current) => {
          if (!current) return 'done';
          const response = await this.batch.txn({
            compare: [modRevisionIs(this.layout.progressKey(key), current.modRevision)],
            success: this.removalOps(key, current, { returnDefinition: true }),
            failure: [],
          });
          if (!response.succeeded) return 'retry';
          this.known.forget(this.layout.jobId(key), response.revision, true);
          this.jobCounts.note(key.namespace, key.appId, response.revision, -1);
          const previous = previousKv(response.responses[0]);
          deleted = previous && decodeDefinition(previous.value);
          return 'done';
        });
        return deleted;
      }),
    );
    return noticeWritten(answer, options.written);
  }

  async deleteByPrefix(namespace: string, appId: string, prefix: string, options: DeleteByPrefixOptions = {}): Promise<number> {
    this.open();
    const { onDeleted } = options;
    const answer = this.order.writeWide(() =>
      guard(async () => {
        const range = this.layout.appRange('progress', namespace, appId, prefix);
        let count = 0;
        for (let round = 0; ; round++) {
          const page = await this.client.range({ key: range.start, rangeEnd: range.end, limit: DELETE_CHUNK * 8 });
          if (page.kvs.length === 0) return count;
          if (round > 10_000) throw new Error('deleteByPrefix: jobs keep appearing under the prefix; try again');
          for (const chunk of chunks(page.kvs, DELETE_CHUNK)) {
            const jobs = chunk.map((kv) => ({ key: this.jobOfProgressKey(kv.key), current: this.currentFromKv(kv, false) }));
            // Where each job's operations start: its first is the definition's delete, whose
            // answer is the definition with onDeleted.
            const starts: number[] = [];
            const success: RequestOp[] = [];
            for (const j of jobs) {
              starts.push(success.length);
              success.push(...this.removalOps(j.key, j.current, { returnDefinition: onDeleted !== undefined }));
            }
            const response = await this.client.txn({
              compare: jobs.map((j) => modRevisionIs(this.layout.progressKey(j.key), j.current.modRevision)),
              success,
              failure: [],
            });
            // A job changed since the page was read: the next round reads it again.
            if (!response.succeeded) continue;
            count += jobs.length;
            for (const j of jobs) this.known.forget(this.layout.jobId(j.key), revisionOf(response), true);
            this.jobCounts.note(namespace, appId, revisionOf(response), -jobs.length);
            if (onDeleted) {
              for (const at of starts) {
                const previous = previousKv(response.responses[at]);
                if (previous) onDeleted(decodeDefinition(previous.value));
              }
            }
          }
        }
      }),
    );
    return noticeWritten(answer, options.written);
  }

  async list(namespace: string, appId: string, options: ListOptions): Promise<ListPage> {
    this.open();
    const limit = Math.max(0, Math.trunc(options.limit));
    if (limit === 0) return { records: [] };
    return this.order.readWide(() =>
      guard(async () => {
        const prefix = options.prefix ?? '';
        const defs = this.layout.appRange('def', namespace, appId, prefix, options.after);
        const progress = this.layout.appRange('progress', namespace, appId, prefix, options.after);
        // Both ranges in one transaction: one revision, so they name the same jobs.
        const response = await this.client.txn({ compare: [], success: [getRange(defs, { limit }), getRange(progress, { limit })], failure: [] });
        const defPage = rangeOf(response.responses[0]);
        const progressPage = rangeOf(response.responses[1]);
        const records: JobRecord[] = [];
        defPage.kvs.forEach((defKv, i) => {
          const key = this.jobOfDefKey(defKv.key);
          const record = this.toRecord(defKv, progressPage.kvs[i], key);
          if (record) records.push(record);
        });
        const last = records[records.length - 1];
        return defPage.more && last ? { records, next: last.def.key.name } : { records };
      }),
    );
  }

  async commitProgress(commit: ProgressCommit): Promise<boolean> {
    this.open();
    const { key, progress } = commit;
    if (progress && progress.rev !== commit.expectedRev + 1) {
      throw new RangeError(`progress.rev must be expectedRev + 1 (${commit.expectedRev + 1}), got ${progress.rev}`);
    }
    const id = this.layout.jobId(key);
    return this.order.writeJob(id, () => this.commitAttempts(commit, id).catch(rethrowAsStoreError));
  }

  /**
   * A progress commit's attempts as one async function: from the cached view of the job's
   * progress key first, then, while a refusal says that view was stale, from a read (as
   * withCurrent does for the other writes). One frame and one promise per commit where the
   * guard, withCurrent and its step made four, each with its closure and promise: less garbage
   * per trigger, which took 13-18% of a replica's time in a burst (2026-12-05).
   */
  private async commitAttempts(commit: ProgressCommit, id: string): Promise<boolean> {
    const { key, progress } = commit;
    const partition = this.partitionOf(key);
    const token = this.fence?.tokenFor(partition);
    const ownerKey = this.layout.ownerKey(partition);
    const progressKey = this.layout.progressKeyOf(id);
    const of = { id, partition, progressKey };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cached = attempt === 0 ? this.known.get(id) : undefined;
      const current = cached ?? (await this.readCurrent(key));
      if (!current || current.uid !== commit.uid || current.rev !== commit.expectedRev) {
        if (cached) continue; // the cache was behind: read the key and decide again
        return false;
      }
      const compare = [modRevisionIs(progressKey, current.modRevision)];
      if (token !== undefined) compare.push(createRevisionIs(ownerKey, token));
      const failure = token !== undefined ? [get(ownerKey)] : [];
      if (progress === null) {
        const response = await this.batch.txn({ compare, success: this.removalOps(key, current, {}, of), failure }, COMMIT_LINGER);
        if (response.succeeded) {
          this.known.forget(id, response.revision, true);
          return true;
        }
        if (this.afterRefusal(response, partition, token, cached !== undefined) === 'done') return false;
        continue;
      }
      const { ops, stored } = this.progressOps(key, current, progress, commit.history, of);
      const response = await this.batch.txn({ compare, success: ops, failure }, COMMIT_LINGER);
      if (response.succeeded) {
        this.remember(id, stored, response.revision);
        return true;
      }
      if (this.afterRefusal(response, partition, token, cached !== undefined) === 'done') return false;
    }
    throw new StoreConflictError(`job "${key.name}" changed repeatedly while being written; try again`);
  }

  /**
   * The outcomes that settled together: each is its own conditional transaction as in
   * commitProgress, issued in one turn so the batcher sends them as one request; the engine gets
   * one promise for them all instead of one (and its retry loop and timing) per trigger.
   */
  commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    return Promise.all(commits.map((commit) => this.commitProgress(commit)));
  }

  async dueBefore(until: number, limit: number, held?: (key: JobKey) => boolean): Promise<JobRecord[]> {
    this.open();
    const max = Math.max(0, Math.trunc(limit));
    if (max === 0) return [];
    return this.order.readWide(() =>
      guard(async () => {
        const partitions = this.readablePartitions();
        if (partitions.length === 0) return [];
        // One snapshot: the first transaction fixes the revision the others read at.
        let revision = 0;
        const due: Array<{ at: number; jobKey: Buffer; key: JobKey }> = [];
        for (const group of chunks(partitions, MAX_TXN_OPS)) {
          const response = await this.client.txn({
            compare: [],
            success: group.map((p) => getRange(this.layout.dueRange(p, until), { limit: max, keysOnly: true, ...(revision ? { revision } : {}) })),
            failure: [],
          });
          if (!revision) revision = revisionOf(response);
          for (const op of response.responses) {
            for (const kv of rangeOf(op).kvs) {
              const key = this.layout.jobOfDueKey(kv.key);
              due.push({ at: this.layout.instantOfDueKey(kv.key), jobKey: Buffer.from(this.layout.jobId(key)), key });
            }
          }
        }
        due.sort((a, b) => a.at - b.at || Buffer.compare(a.jobKey, b.jobKey));
        // Jobs the engine holds already are not read again: a refill of a full window costs
        // the index keys (keys only) plus the jobs that are new to it, not every job it holds.
        const chosen = due.slice(0, max);
        return this.fetchAt(held ? chosen.filter((d) => !held(d.key)) : chosen, revision);
      }),
    );
  }

  async staged(namespace: string, appId: string, limit: number, held?: (key: JobKey) => boolean): Promise<JobRecord[]> {
    this.open();
    const max = Math.max(0, Math.trunc(limit));
    if (max === 0) return [];
    return this.order.readWide(() =>
      guard(async () => {
        let revision = 0;
        const found: Array<{ at: number; jobKey: Buffer; key: JobKey }> = [];
        for (const group of chunks(this.readablePartitions(), MAX_TXN_OPS)) {
          const response = await this.client.txn({
            compare: [],
            success: group.map((p) => getRange(this.layout.stagedRange(p, { namespace, appId }), { limit: max, keysOnly: true, ...(revision ? { revision } : {}) })),
            failure: [],
          });
          if (!revision) revision = revisionOf(response);
          for (const op of response.responses) {
            for (const kv of rangeOf(op).kvs) {
              const { key, at } = this.layout.parseStagedKey(kv.key);
              found.push({ at, jobKey: Buffer.from(this.layout.jobId(key)), key });
            }
          }
        }
        found.sort((a, b) => a.at - b.at || Buffer.compare(a.jobKey, b.jobKey));
        const chosen = found.slice(0, max).filter((f) => !held?.(f.key));
        return this.fetchAt(chosen, revision);
      }),
    );
  }

  /**
   * Counts per app without reading every staged key: in each partition, the first staged key
   * names an app, a count-only range counts that app's entries, and the next round starts past
   * them. Rounds = the most apps staged in one partition, plus one.
   */
  async stagedCounts(): Promise<StagedCount[]> {
    this.open();
    return this.order.readWide(() =>
      guard(async () => {
        const counts = new Map<string, StagedCount>();
        let cursors = this.readablePartitions().map((p) => ({ p, range: this.layout.stagedRange(p) }));
        for (let round = 0; cursors.length > 0 && round < STAGED_COUNT_ROUNDS; round++) {
          const next: typeof cursors = [];
          for (const group of chunks(cursors, MAX_TXN_OPS)) {
            const firsts = await this.client.txn({ compare: [], success: group.map((c) => getRange(c.range, { limit: 1, keysOnly: true })), failure: [] });
            const apps: Array<{ p: number; range: { start: Buffer; end: Buffer }; app: { start: Buffer; end: Buffer }; ns: string; appId: string }> = [];
            group.forEach((c, i) => {
              const kv = firstKv(firsts.responses[i]);
              if (!kv) return;
              const { key } = this.layout.parseStagedKey(kv.key);
              apps.push({ ...c, app: this.layout.stagedRange(c.p, key), ns: key.namespace, appId: key.appId });
            });
            if (apps.length === 0) continue;
            const counted = await this.client.txn({
              compare: [],
              success: apps.map((a) => ({ requestRange: { key: a.app.start, rangeEnd: a.app.end, countOnly: true } })),
              failure: [],
            });
            apps.forEach((a, i) => {
              const k = appKeyString(a.ns, a.appId);
              const entry = counts.get(k) ?? { namespace: a.ns, appId: a.appId, count: 0 };
              entry.count += Number(rangeOf(counted.responses[i]).count);
              counts.set(k, entry);
              next.push({ p: a.p, range: { start: a.app.end, end: a.range.end } });
            });
          }
          cursors = next;
        }
        return [...counts.values()].sort((a, b) => (a.namespace === b.namespace ? compare(a.appId, b.appId) : compare(a.namespace, b.namespace)));
      }),
    );
  }

  /**
   * How many jobs the app holds in etcd, for --max-jobs-per-app: every stored definition,
   * tombstones included (they take etcd's space as live jobs do, and telling them apart would mean
   * reading every job's progress). Not the port's countLive, which counts live jobs exactly: this
   * count is read now and then with a count-only range and kept up by this replica's own creates
   * and deletes, so it is behind the other replicas' writes by at most one refresh interval
   * (app-job-counts.ts).
   */
  countJobs(namespace: string, appId: string): Promise<number> {
    this.open();
    return this.jobCounts.count(namespace, appId).catch(rethrowAsStoreError);
  }

  /** The app's definitions, counted by etcd (a walk of their keys in its index, no values sent). */
  private async readJobCount(namespace: string, appId: string): Promise<{ count: number; revision: number }> {
    const range = this.layout.appRange('def', namespace, appId, '');
    const response = await this.client.range({ key: range.start, rangeEnd: range.end, countOnly: true });
    return { count: Number(response.count), revision: revisionOf(response) };
  }

  /**
   * Tombstones of the partitions this replica reads, from the finished index, a few partitions
   * per read until `limit` are found (so a call reads about `limit` keys, not `limit` per
   * partition; oldest first within what it read, not across every partition). Each chunk is
   * deleted in one transaction conditional on every progress key being unchanged since it was
   * read (a job replaced meanwhile is not purged: the next sweep reads it again).
   */
  async purgeFinished(finishedBefore: number, limit: number): Promise<number> {
    this.open();
    const max = Math.max(0, Math.trunc(limit));
    if (max === 0) return 0;
    return this.order.writeWide(() =>
      guard(async () => {
        const found: Array<{ at: number; jobKey: Buffer; key: JobKey }> = [];
        for (const group of chunks(this.readablePartitions(), PURGE_PARTITIONS_PER_READ)) {
          if (found.length >= max) break;
          const response = await this.client.txn({
            compare: [],
            success: group.map((p) => getRange(this.layout.finishedRange(p, finishedBefore), { limit: max - found.length, keysOnly: true })),
            failure: [],
          });
          for (const op of response.responses) {
            for (const kv of rangeOf(op).kvs) {
              const { key, at } = this.layout.parseFinishedKey(kv.key);
              found.push({ at, jobKey: Buffer.from(this.layout.jobId(key)), key });
            }
          }
        }
        found.sort((a, b) => a.at - b.at || Buffer.compare(a.jobKey, b.jobKey));
        let count = 0;
        for (const chunk of chunks(found.slice(0, max), DELETE_CHUNK)) {
          const read = await this.client.txn({ compare: [], success: chunk.map((f) => get(this.layout.progressKey(f.key))), failure: [] });
          const jobs: Array<{ key: JobKey; current: CurrentProgress }> = [];
          chunk.forEach((f, i) => {
            const kv = firstKv(read.responses[i]);
            const current = kv && this.currentFromKv(kv, false);
            if (current?.finished && current.index !== undefined && current.index.at <= finishedBefore) jobs.push({ key: f.key, current });
          });
          if (jobs.length === 0) continue;
          const response = await this.client.txn({
            compare: jobs.map((j) => modRevisionIs(this.layout.progressKey(j.key), j.current.modRevision)),
            success: jobs.flatMap((j) => this.removalOps(j.key, j.current)),
            failure: [],
          });
          if (!response.succeeded) continue;
          count += jobs.length;
          for (const j of jobs) {
            this.known.forget(this.layout.jobId(j.key), revisionOf(response), true);
            this.jobCounts.note(j.key.namespace, j.key.appId, revisionOf(response), -1);
          }
        }
        return count;
      }),
    );
  }

  async history(key: JobKey, limit: number): Promise<HistoryEntry[]> {
    this.open();
    const max = Math.min(Math.max(0, Math.trunc(limit)), this.historyLimit);
    if (max === 0) return [];
    return this.order.readJob(this.layout.jobId(key), () =>
      guard(async () => {
        const range = this.layout.historyRange(key);
        const response = await this.client.range({ key: range.start, rangeEnd: range.end, limit: max, sortOrder: 2, sortTarget: 0 });
        return response.kvs.map((kv) => decodeHistory(kv.value));
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.order.drain();
    if (this.ownsClient) this.client.close();
  }

  // ---- helpers ----

  /** The partitions whose jobs this replica reads for refills and releases. */
  private readablePartitions(): number[] {
    return this.fence ? this.fence.ownedPartitions() : Array.from({ length: this.partitionCount }, (_, i) => i);
  }

  /** The definitions and progress of the chosen jobs, as of one revision (0: the latest). */
  private async fetchAt(chosen: Array<{ key: JobKey }>, revision: number): Promise<JobRecord[]> {
    const fetched = await Promise.all(
      chunks(chosen, MAX_TXN_OPS / 2).map(async (group) => {
        const response = await this.client.txn({
          compare: [],
          success: group.flatMap((d) => [get(this.layout.defKey(d.key), revision), get(this.layout.progressKey(d.key), revision)]),
          failure: [],
        });
        return group.map((d, i) => ({ key: d.key, def: firstKv(response.responses[2 * i]), progress: firstKv(response.responses[2 * i + 1]) }));
      }),
    );
    // Checked last, with nothing asynchronous between here and the caller: a job this replica
    // wrote, read or deleted at a newer revision while the snapshot was out is stale in it
    // (the engine has, or deliberately let go of, something newer).
    return fetched.flat().flatMap(({ key, def, progress }) => {
      if (progress && Number(progress.modRevision) < this.known.newestRevision(this.layout.jobId(key))) return [];
      const record = this.toRecord(def, progress, key);
      return record ? [record] : [];
    });
  }

  /** The key of a job's entry in the due or the staged index (id and partition: the job's, when the caller has them). */
  private indexKey(key: JobKey, entry: IndexEntry, id?: string, partition = this.partitionOf(key)): Buffer {
    if (entry.finished) return this.layout.finishedKeyOf(partition, entry.at, id ?? this.layout.jobId(key));
    return entry.staged ? this.layout.stagedKey(partition, entry.at, key) : this.layout.dueKeyOf(partition, entry.at, id ?? this.layout.jobId(key));
  }

  private open(): void {
    if (this.closed) throw new Error('the etcd job store is closed');
  }

  /**
   * Runs a conditional write against the job's current progress: from the cache when allowed
   * and present, else read. The step answers 'retry' when its transaction found the key moved
   * (read again), 'reread' when the cached view did not fit, 'done' otherwise.
   */
  private async withCurrent(
    key: JobKey,
    source: 'cache' | 'read',
    step: (current: CurrentProgress | undefined) => Promise<'done' | 'retry' | 'reread'>,
  ): Promise<void> {
    const id = this.layout.jobId(key);
    let useCache = source === 'cache';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cached = useCache ? this.known.get(id) : undefined;
      const current = cached ? { ...cached, fromCache: true } : await this.readCurrent(key);
      const outcome = await step(current);
      if (outcome === 'done') return;
      useCache = false;
    }
    throw new StoreConflictError(`job "${key.name}" changed repeatedly while being written; try again`);
  }

  private async readCurrent(key: JobKey): Promise<CurrentProgress | undefined> {
    const response = await this.client.range({ key: this.layout.progressKey(key) });
    const kv = response.kvs[0];
    const id = this.layout.jobId(key);
    if (!kv) {
      this.known.forget(id, Number(response.header.revision));
      return undefined;
    }
    const current = this.currentFromKv(kv, false);
    this.known.set(id, current);
    return current;
  }

  private currentFromKv(kv: KeyValue, fromCache: boolean): CurrentProgress {
    const stored = decodeProgress(kv.value);
    return {
      modRevision: Number(kv.modRevision),
      uid: stored.uid,
      rev: stored.progress.rev,
      index: indexEntry(stored.progress),
      history: stored.history,
      fromCache,
      finished: isFinished(stored.progress),
    };
  }

  /** A refused commit: was it the fence? Then the partition is no longer ours. */
  private afterRefusal(response: BatchedResult, partition: number, token: number | undefined, fromCache: boolean): 'done' | 'reread' {
    if (token !== undefined) {
      const owner = firstKv(response.responses[0]);
      if (!owner || Number(owner.createRevision) !== token) {
        this.fence?.fenceOff(partition);
        return 'done';
      }
    }
    // The progress key moved: with a cached view, read it and decide again; with a fresh one, stale.
    return fromCache ? 'reread' : 'done';
  }

  /**
   * Deletes a job's keys: definition and progress (unless kept), index entry and history. The
   * definition's delete comes first; with returnDefinition it answers the definition deleted.
   */
  private removalOps(key: JobKey, current: KnownProgress, options: { keepDefAndProgress?: boolean; returnDefinition?: boolean } = {}, of?: JobKeys): RequestOp[] {
    const ops: RequestOp[] = [];
    if (!options.keepDefAndProgress) {
      const defKey = of ? this.layout.defKeyOf(of.id) : this.layout.defKey(key);
      ops.push(options.returnDefinition ? delReturningPrevious(defKey) : del(defKey), del(of?.progressKey ?? this.layout.progressKey(key)));
    }
    if (current.index) ops.push(del(this.indexKey(key, current.index, of?.id, of?.partition)));
    if (current.history.length > 0) ops.push(delRange(this.layout.historyRange(key)));
    return ops;
  }

  /** A progress commit's writes; `of`: the job's id, partition and progress key, which the caller built. */
  private progressOps(key: JobKey, current: KnownProgress, progress: Progress, entry: HistoryEntry | undefined, of: JobKeys): { ops: RequestOp[]; stored: StoredProgress } {
    const ops: RequestOp[] = [];
    let history = current.history;
    if (entry && this.historyLimit > 0) {
      history = [...history, progress.rev];
      ops.push(put(this.layout.historyKeyOf(of.id, progress.rev), encodeHistory(entry)));
      while (history.length > this.historyLimit) ops.push(del(this.layout.historyKeyOf(of.id, history.shift()!)));
    }
    const stored: StoredProgress = { uid: current.uid, progress, history };
    ops.push(put(of.progressKey, encodeProgress(stored)));
    const filed = indexEntry(progress);
    if (!sameIndexEntry(filed, current.index)) {
      if (current.index) ops.push(del(this.indexKey(key, current.index, of.id, of.partition)));
      if (filed) ops.push(put(this.indexKey(key, filed, of.id, of.partition), Buffer.alloc(0)));
    }
    return { ops, stored };
  }

  private remember(id: string, stored: StoredProgress, revision: number): void {
    this.known.set(id, {
      modRevision: revision,
      uid: stored.uid,
      rev: stored.progress.rev,
      index: indexEntry(stored.progress),
      history: stored.history,
    }, true);
  }

  private toRecord(defKv: KeyValue | undefined, progressKv: KeyValue | undefined, key: JobKey): JobRecord | undefined {
    const id = this.layout.jobId(key);
    if (!defKv || !progressKv) return undefined;
    const def = decodeDefinition(defKv.value);
    const stored = decodeProgress(progressKv.value);
    this.known.set(id, this.currentFromKv(progressKv, false));
    return { def, progress: stored.progress };
  }

  private jobOfProgressKey(key: Buffer): JobKey {
    const found = this.layout.jobOfJobKey(key);
    if (!found || found.kind !== 'progress') throw new Error(`etcd store: unexpected key ${key.toString()}`);
    return found.key;
  }

  private jobOfDefKey(key: Buffer): JobKey {
    const found = this.layout.jobOfJobKey(key);
    if (!found || found.kind !== 'def') throw new Error(`etcd store: unexpected key ${key.toString()}`);
    return found.key;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function revisionOf(response: { header: { revision: string } }): number {
  return Number(response.header.revision);
}

/** etcd refuses a transaction that writes one key twice; keep the last write of each key. */
function dedupe(ops: RequestOp[]): RequestOp[] {
  const seen = new Set<string>();
  const out: RequestOp[] = [];
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    const key = 'requestPut' in op ? op.requestPut.key : 'requestDeleteRange' in op && !op.requestDeleteRange.rangeEnd ? op.requestDeleteRange.key : undefined;
    if (key) {
      const k = key.toString('latin1');
      if (seen.has(k)) continue;
      seen.add(k);
    }
    out.push(op);
  }
  return out.reverse();
}

/** A rejection handler giving the store's own error for what the etcd client threw. */
function rethrowAsStoreError(error: unknown): never {
  throw toStoreError(error);
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toStoreError(error);
  }
}
