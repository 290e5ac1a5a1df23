// How job records are written as etcd values: JSON. The progress value also carries the uid of
// the definition it belongs to (so a progress key alone tells whose it is) and the seqs of the
// history entries kept for the job, oldest first (so a commit knows which entry to drop when
// it appends one past the limit, without reading the history).

import { indexedFinishedAt, progressDueAt, type HistoryEntry, type JobDefinition, type Progress } from '../../core/model/job.js';
import { withSharedDefaults } from '../../core/model/shared-defaults.js';
import { decodeStoredDefinition } from '../../core/model/target.js';

export interface StoredProgress {
  uid: string;
  progress: Progress;
  /** Seqs of the history entries kept, oldest first. */
  history: number[];
}

interface ProgressJson {
  u: string;
  p: Progress;
  h: number[];
}

export function encodeDefinition(def: JobDefinition): Buffer {
  return Buffer.from(JSON.stringify(def));
}

/**
 * Values written before targets were typed are decoded into today's target (core/model/target.ts);
 * the default policy and app target become the shared objects (core/model/shared-defaults.ts).
 */
export function decodeDefinition(value: Buffer): JobDefinition {
  return withSharedDefaults(decodeStoredDefinition(JSON.parse(value.toString('utf8')) as JobDefinition));
}

export function encodeProgress(stored: StoredProgress): Buffer {
  const json: ProgressJson = { u: stored.uid, p: stored.progress, h: stored.history };
  return Buffer.from(JSON.stringify(json));
}

export function decodeProgress(value: Buffer): StoredProgress {
  const json = JSON.parse(value.toString('utf8')) as ProgressJson;
  return { uid: json.u, progress: json.p, history: json.h };
}

export function encodeHistory(entry: HistoryEntry): Buffer {
  return Buffer.from(JSON.stringify(entry));
}

export function decodeHistory(value: Buffer): HistoryEntry {
  return JSON.parse(value.toString('utf8')) as HistoryEntry;
}

/**
 * Where a progress is filed: the due index, the staged index (SPEC: staging), or, for a finished
 * job's tombstone, the finished index, at an instant.
 */
export interface IndexEntry {
  at: number;
  staged: boolean;
  finished?: true;
}

/** The index entry of a progress, or undefined when it is in no index. */
export function indexEntry(progress: Progress): IndexEntry | undefined {
  const finishedAt = indexedFinishedAt(progress);
  if (finishedAt !== undefined) return { at: finishedAt, staged: false, finished: true };
  const at = progressDueAt(progress);
  return at === undefined ? undefined : { at, staged: progress.staged === true };
}

export function sameIndexEntry(a: IndexEntry | undefined, b: IndexEntry | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.at === b.at && a.staged === b.staged && a.finished === b.finished);
}
