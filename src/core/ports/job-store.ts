import type { HistoryEntry, JobDefinition, JobKey, JobRecord, Progress } from '../model/job.js';

export interface ListOptions {
  /** Only names starting with this. */
  prefix?: string;
  limit: number;
  /** Continue after this name (exclusive), as returned in `next`. */
  after?: string;
}

export interface ListPage {
  records: JobRecord[];
  /** The last name of this page when more may follow. */
  next?: string;
}

export interface ProgressCommit {
  key: JobKey;
  /**
   * keyString(key), when the caller holds it already (the engine does, per slot). A store keyed
   * by that form uses it instead of building the string again: a fresh string is copied and
   * hashed on every Map lookup, about three times the cost of the lookup itself, once per outcome.
   */
  keyString?: string;
  /** The definition the writer acted on: the commit is refused if the job was replaced or deleted. */
  uid: string;
  /** The progress revision the writer read: the commit is refused if someone wrote since. */
  expectedRev: number;
  /**
   * The new progress (its rev must be expectedRev + 1), or null to delete the finished job. A
   * finished progress (state completed or failed, with finishedAt) keeps the job as a tombstone:
   * in no due or staged index, filed by finishedAt for purgeFinished, its history kept.
   */
  progress: Progress | null;
  /** A tick's outcome to append to the job's history. */
  history?: HistoryEntry;
}

/** What a write that changes which job a name holds (create, delete, deleteByPrefix) may be told with. */
export interface WriteNotice {
  /**
   * Called once the write has taken effect (durable, as its answer would say), just before its
   * promise settles, and never for a write that failed. Calls come in the order the store applied
   * this process's writes to one job and its deletes by prefix (the order contract on JobStore),
   * whatever order the callers awaiting the promises resume in: an awaiting caller may resume a
   * few promise turns later than another (an async wrapper more or less on either path). The API
   * layer tells the engine of the change here, so the engine learns of one name's writes in the
   * store's order. If it throws, the write's promise rejects with that error.
   */
  written?: () => void;
}

export interface DeleteByPrefixOptions extends WriteNotice {
  /**
   * Told the definition of each job deleted, once the write that deleted it is durable (a store
   * that deletes in several writes tells each write's jobs as it lands, so a call that fails
   * part way has told those it did delete). For what the caller discards with the jobs (their
   * jobStateStore payloads): exactly the jobs deleted, not what a read before the call found.
   * @defaultValue none: the store does not read what it deletes
   */
  onDeleted?: (def: JobDefinition) => void;
}

/** What dueBetween read. */
export interface DueRead {
  records: JobRecord[];
  next: number;
}

/** How many staged jobs one app has. */
export interface StagedCount {
  namespace: string;
  appId: string;
  count: number;
}

/**
 * Where jobs live. Every method that answers has made its writes durable (fsync'd or committed
 * by a quorum) before its promise resolves.
 *
 * Implementations: store-memory (reference), store-sqlite (embedded default), store-etcd (cluster).
 * All pass test/conformance/job-store.suite.ts.
 */
/**
 * Order: the writes one process issues to one job (create, delete, progress commits) and its
 * deletes by prefix take effect in the order they were issued, and their WriteNotice calls come
 * in that order. A read of one job issued after a write to it sees that write.
 */
export interface JobStore {
  /**
   * Stores a new job. Throws JobExistsError when the name is taken by a live job and overwrite is
   * false; a finished job's tombstone does not take its name (it is replaced, its history dropped).
   * Answers the definition of the job it replaced (a live job, or a tombstone), undefined when the
   * name was free: read by the same write, so of two writes of one job at once (on one replica
   * or two) each answers the job that it, and not the other, took out of the store. What the
   * caller discards with the replaced job (its jobStateStore payload) is then exactly that job's.
   */
  create(record: JobRecord, options: { overwrite: boolean } & WriteNotice): Promise<JobDefinition | undefined>;
  get(key: JobKey): Promise<JobRecord | undefined>;
  /**
   * Deletes a job with its progress and history. Answers the definition of the job it deleted,
   * read by the same write as create's answer is; undefined when there was none.
   */
  delete(key: JobKey, options?: WriteNotice): Promise<JobDefinition | undefined>;
  /** Deletes every job of the app whose name starts with prefix (all of the app's when empty); answers how many. */
  deleteByPrefix(namespace: string, appId: string, prefix: string, options?: DeleteByPrefixOptions): Promise<number>;
  /** Jobs of one app in name order. */
  list(namespace: string, appId: string, options: ListOptions): Promise<ListPage>;
  /** Conditional progress write; false (and nothing written) when uid or rev do not match. */
  commitProgress(commit: ProgressCommit): Promise<boolean>;
  /**
   * Several conditional progress writes in one call, each as commitProgress alone would do it
   * (answers in order; false: that one was refused, the others are not affected). Optional: a
   * store that can do them with one promise and one transaction has it, and the engine then
   * commits the outcomes that settle together in one call; without it the engine calls
   * commitProgress for each. A rejection says nothing about which were written: the caller
   * retries them all, and one already written is then refused as stale (its rev moved on).
   * For the engine's delivery outcomes only, which no caller is answered for: a store may commit
   * them less durably (the SQLite store without an fsync: a power loss may lose the last of them,
   * and those ticks are delivered again). A write the API acknowledges goes through commitProgress.
   */
  commitProgressBatch?(commits: readonly ProgressCommit[]): Promise<boolean[]>;
  /**
   * Jobs whose progressDueAt(progress) is at or before `until`, earliest first, at most `limit`.
   * `held`, when given, tells which of them the caller already holds: a store may leave those
   * out of the answer (they still count toward `limit`) rather than read and parse them again,
   * or return them anyway.
   */
  dueBefore(until: number, limit: number, held?: (key: JobKey) => boolean): Promise<JobRecord[]>;
  /**
   * The part of dueBefore's answer due at or after `from`, and how far the read went: the engine
   * holds what an earlier refill read, so a refill reads only what entered the look-ahead window
   * since (reading the 50,000 held keys of a steady 5,000/s again at every refill was the lateness
   * stall of issue 12). `held` and `limit` as in dueBefore. `next`: every job due before it was
   * read (returned, or held); `until` when the read reached the end of the range, the due instant
   * of the last job read when `limit` cut it short. Optional: without it the engine reads every
   * refill whole with dueBefore.
   */
  dueBetween?(from: number, until: number, limit: number, held: (key: JobKey) => boolean): Promise<DueRead>;
  /**
   * Staged jobs (progress.staged: their trigger waits for a consumer) of one app, earliest due
   * first, at most `limit`; `held` as in dueBefore. A namespace is released app by app, from
   * stagedCounts. Staged jobs are never in dueBefore's answer: they wait here until released.
   * A store serving a cluster answers for the partitions this replica owns.
   */
  staged(namespace: string, appId: string, limit: number, held?: (key: JobKey) => boolean): Promise<JobRecord[]>;
  /** Staged jobs per app (apps with none are left out); in a cluster, of the partitions owned. */
  stagedCounts(): Promise<StagedCount[]>;
  /**
   * How many live jobs (tombstones left out) the app has, exactly, for --max-jobs-per-app. Only a
   * store that keeps the count cheaply (one read, not a walk over the app's jobs) has it: SQLite
   * keeps it in a table its triggers maintain, memory in a map. etcd has none: counting an app's
   * keys is a walk in etcd, and telling tombstones apart means reading every job's progress. Its
   * quota count is its own (EtcdJobStore.countJobs: the app's stored jobs, tombstones included,
   * read now and then and behind the other replicas' writes), wired by main.ts, not this method.
   */
  countLive?(namespace: string, appId: string): Promise<number>;
  /**
   * Live jobs (tombstones left out) of every app that has any, ordered by namespace and app id,
   * for the duetime_live_jobs gauge. Only where countLive is cheap, and as cheap: one row per app.
   * In a cluster it would have to answer for the partitions owned; etcd has none (the gauge is
   * SQLite's and memory's only).
   */
  liveCounts?(): Promise<StagedCount[]>;
  /**
   * Deletes at most `limit` tombstones (finished jobs, isFinished(progress)) whose finishedAt is at
   * or before `finishedBefore`, with their history; answers how many, fewer than `limit` only when
   * it found no more (or lost a race with a writer: the next call sees those again). Memory and
   * SQLite take the oldest first; etcd the oldest of the partitions it read. A store serving a
   * cluster purges the partitions this replica owns. Each call is one bounded page of work.
   */
  purgeFinished(finishedBefore: number, limit: number): Promise<number>;
  /** The latest history entries of a job, newest first. */
  history(key: JobKey, limit: number): Promise<HistoryEntry[]>;
  close(): Promise<void>;
}

/**
 * A store's answer with its WriteNotice attached: `written` runs as the answer's first reaction,
 * so the notices of answers settled in the store's order run in that order.
 */
export function noticeWritten<T>(answer: Promise<T>, written: (() => void) | undefined): Promise<T> {
  if (!written) return answer;
  return answer.then((value) => {
    written();
    return value;
  });
}
