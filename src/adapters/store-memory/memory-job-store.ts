// The reference JobStore: plain Maps in memory, simple enough to be obviously right. The other
// stores are checked against the same conformance suite; unit tests of the engine and the use
// cases run on this one. Records are deep-copied in and out, so a caller holding a record it
// passed in or got back cannot change what is stored.

import { JobExistsError } from '../../core/errors.js';
import { indexedDueAt, indexedFinishedAt, indexedStagedAt, isFinished, type HistoryEntry, type JobDefinition, type JobKey, type JobRecord } from '../../core/model/job.js';
import type { DeleteByPrefixOptions, DueRead, JobStore, ListOptions, ListPage, ProgressCommit, StagedCount, WriteNotice } from '../../core/ports/job-store.js';
import { compareCodePoints } from '../../core/model/code-point-order.js';
import { appKeyString, keyString } from '../../core/model/job-key.js';

export interface MemoryJobStoreOptions {
  /** History entries kept per job, newest first. @defaultValue 20 */
  historyLimit?: number;
}

export const MEMORY_STORE_DEFAULTS = { historyLimit: 20 } as const;

interface Entry {
  record: JobRecord;
  /** Oldest first; trimmed from the front. */
  history: HistoryEntry[];
}

export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, Entry>();
  private readonly historyLimit: number;
  private closed = false;

  constructor(options: MemoryJobStoreOptions = {}) {
    const limit = options.historyLimit ?? MEMORY_STORE_DEFAULTS.historyLimit;
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`historyLimit must be a non-negative integer, got ${limit}`);
    this.historyLimit = limit;
  }

  async create(record: JobRecord, options: { overwrite: boolean } & WriteNotice): Promise<JobDefinition | undefined> {
    this.open();
    const id = keyString(record.def.key);
    const existing = this.jobs.get(id);
    // A tombstone does not hold the name: a new job replaces it as an overwrite would.
    if (!options.overwrite && existing && !isFinished(existing.record.progress)) throw new JobExistsError(record.def.key.name);
    // Overwriting makes a new job: its own progress and no history from the one it replaces.
    this.jobs.set(id, { record: structuredClone(record), history: [] });
    // Told in call order, as the write is made: this store writes in the caller's turn.
    options.written?.();
    // The replaced entry is no longer the store's: its definition is handed out without a copy.
    return existing?.record.def;
  }

  async get(key: JobKey): Promise<JobRecord | undefined> {
    this.open();
    const entry = this.jobs.get(keyString(key));
    return entry && structuredClone(entry.record);
  }

  async delete(key: JobKey, options: WriteNotice = {}): Promise<JobDefinition | undefined> {
    this.open();
    const id = keyString(key);
    const existing = this.jobs.get(id);
    this.jobs.delete(id);
    options.written?.();
    return existing?.record.def;
  }

  async deleteByPrefix(namespace: string, appId: string, prefix: string, options: DeleteByPrefixOptions = {}): Promise<number> {
    this.open();
    let count = 0;
    for (const [id, { record }] of this.jobs) {
      if (inApp(record, namespace, appId) && record.def.key.name.startsWith(prefix)) {
        this.jobs.delete(id);
        count++;
        options.onDeleted?.(record.def);
      }
    }
    options.written?.();
    return count;
  }

  async list(namespace: string, appId: string, options: ListOptions): Promise<ListPage> {
    this.open();
    const prefix = options.prefix ?? '';
    const after = options.after;
    const matching = [...this.jobs.values()]
      .map((entry) => entry.record)
      .filter(
        (record) =>
          inApp(record, namespace, appId) &&
          record.def.key.name.startsWith(prefix) &&
          (after === undefined || compareCodePoints(record.def.key.name, after) > 0),
      )
      .sort((a, b) => compareCodePoints(a.def.key.name, b.def.key.name));
    const limit = Math.max(0, Math.trunc(options.limit));
    const page = matching.slice(0, limit);
    const last = page[page.length - 1];
    const records = structuredClone(page);
    return matching.length > limit && last ? { records, next: last.def.key.name } : { records };
  }

  async commitProgress(commit: ProgressCommit): Promise<boolean> {
    this.open();
    return this.commitNow(commit);
  }

  /** A commit per entry, in order: the same answers as one call each, with one promise. */
  async commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    this.open();
    const results: boolean[] = [];
    for (const commit of commits) results.push(this.commitNow(commit));
    return results;
  }

  private commitNow(commit: ProgressCommit): boolean {
    const { progress } = commit;
    if (progress && progress.rev !== commit.expectedRev + 1) {
      throw new RangeError(`progress.rev must be expectedRev + 1 (${commit.expectedRev + 1}), got ${progress.rev}`);
    }
    const id = commit.keyString ?? keyString(commit.key);
    const entry = this.jobs.get(id);
    if (!entry || entry.record.def.uid !== commit.uid || entry.record.progress.rev !== commit.expectedRev) return false;
    if (progress === null) {
      this.jobs.delete(id);
      return true;
    }
    entry.record.progress = flatCopy(progress);
    if (commit.history && this.historyLimit > 0) {
      entry.history.push(flatCopy(commit.history));
      if (entry.history.length > this.historyLimit) entry.history.splice(0, entry.history.length - this.historyLimit);
    }
    return true;
  }

  async dueBefore(until: number, limit: number, held?: (key: JobKey) => boolean): Promise<JobRecord[]> {
    this.open();
    return this.due(-Infinity, until, limit, held).records;
  }

  async dueBetween(from: number, until: number, limit: number, held: (key: JobKey) => boolean): Promise<DueRead> {
    this.open();
    return this.due(from, until, limit, held);
  }

  private due(from: number, until: number, limit: number, held: ((key: JobKey) => boolean) | undefined): DueRead {
    // A scan: fine for a reference store. Ties are broken by key, as the SQLite index does.
    const due: Array<{ at: number; id: string; record: JobRecord }> = [];
    // forEach, not for...of with destructuring: no [key, value] array per stored job at each refill.
    this.jobs.forEach(({ record }, id) => {
      const at = indexedDueAt(record.progress);
      if (at !== undefined && at >= from && at <= until) due.push({ at, id, record });
    });
    due.sort((a, b) => a.at - b.at || compareCodePoints(a.id, b.id));
    const max = Math.max(0, Math.trunc(limit));
    const read = due.slice(0, max);
    const cut = due.length > max;
    // Held jobs count toward the limit but are not copied: the engine refills every few seconds
    // while it holds most of what is due, and cloning 50,000 held records cost it seconds of CPU
    // in a burst.
    const page = read.map((d) => d.record);
    const records = structuredClone(held ? page.filter((record) => !held(record.def.key)) : page);
    // Cut short: the jobs due at the last instant read may not all have been read.
    return { records, next: cut ? (read[read.length - 1]?.at ?? from) : until };
  }

  async staged(namespace: string, appId: string, limit: number): Promise<JobRecord[]> {
    this.open();
    const found: Array<{ at: number; id: string; record: JobRecord }> = [];
    for (const [id, { record }] of this.jobs) {
      const at = indexedStagedAt(record.progress);
      const k = record.def.key;
      if (at !== undefined && k.namespace === namespace && k.appId === appId) found.push({ at, id, record });
    }
    found.sort((a, b) => a.at - b.at || compareCodePoints(a.id, b.id));
    return structuredClone(found.slice(0, Math.max(0, Math.trunc(limit))).map((d) => d.record));
  }

  async stagedCounts(): Promise<StagedCount[]> {
    this.open();
    const counts = new Map<string, StagedCount>();
    for (const id of [...this.jobs.keys()].sort(compareCodePoints)) {
      const { def, progress } = this.jobs.get(id)!.record;
      if (indexedStagedAt(progress) === undefined) continue;
      const appKey = appKeyString(def.key.namespace, def.key.appId);
      const entry = counts.get(appKey) ?? { namespace: def.key.namespace, appId: def.key.appId, count: 0 };
      entry.count++;
      counts.set(appKey, entry);
    }
    return [...counts.values()];
  }

  async countLive(namespace: string, appId: string): Promise<number> {
    this.open();
    // A scan: fine for a reference store (only tests and the bench use it).
    let count = 0;
    for (const { record } of this.jobs.values()) if (inApp(record, namespace, appId) && !isFinished(record.progress)) count++;
    return count;
  }

  async liveCounts(): Promise<StagedCount[]> {
    this.open();
    // A scan: fine for a reference store.
    const counts = new Map<string, StagedCount>();
    for (const { record } of this.jobs.values()) {
      if (isFinished(record.progress)) continue;
      const { namespace, appId } = record.def.key;
      const appKey = appKeyString(namespace, appId);
      const entry = counts.get(appKey) ?? { namespace, appId, count: 0 };
      entry.count++;
      counts.set(appKey, entry);
    }
    return [...counts.values()].sort((a, b) => compareCodePoints(a.namespace, b.namespace) || compareCodePoints(a.appId, b.appId));
  }

  async purgeFinished(finishedBefore: number, limit: number): Promise<number> {
    this.open();
    // A scan: fine for a reference store. Oldest first, ties by key, as the SQLite index does.
    const found: Array<{ at: number; id: string }> = [];
    for (const [id, { record }] of this.jobs) {
      const at = indexedFinishedAt(record.progress);
      if (at !== undefined && at <= finishedBefore) found.push({ at, id });
    }
    found.sort((a, b) => a.at - b.at || compareCodePoints(a.id, b.id));
    const chosen = found.slice(0, Math.max(0, Math.trunc(limit)));
    for (const { id } of chosen) this.jobs.delete(id);
    return chosen.length;
  }

  async history(key: JobKey, limit: number): Promise<HistoryEntry[]> {
    this.open();
    const entry = this.jobs.get(keyString(key));
    if (!entry) return [];
    const newestFirst = [...entry.history].reverse();
    return structuredClone(newestFirst.slice(0, Math.max(0, Math.trunc(limit))));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw new Error('the memory job store is closed');
  }
}

function inApp(record: JobRecord, namespace: string, appId: string): boolean {
  return record.def.key.namespace === namespace && record.def.key.appId === appId;
}

/**
 * A copy of a record with only primitive fields (progress, a history entry): a shallow copy is a
 * deep one, and about ten times cheaper than structuredClone, which this store paid per outcome.
 * The type refuses an object whose fields are not all primitives.
 */
function flatCopy<T extends { [K in keyof T]: string | number | boolean | undefined }>(value: T): T {
  return { ...value };
}
