// Every write the store makes, as plain data: the store builds these (with the definition's JSON
// already serialised and the progress as its columns) and either applies them in its own thread
// or posts them to the writer thread, which applies them with the same function. Plain data, not closures, is what lets a
// write cross a thread boundary.

import { JobExistsError } from '../../core/errors.js';
import type { JobDefinition } from '../../core/model/job.js';
import type { ProgressCommit } from '../../core/ports/job-store.js';
import { LiveCountChanges } from './live-count-changes.js';
import { type TransactionControl } from './group-commit.js';
import { decodeDefinition, uidArgument, uidColumn, uidOf, type ProgressArgs } from './row-codec.js';
import type { JobRowParams, KeyArgs, KeyParams, PositionalStmt, RemovedRow, Statements, UidColumn } from './statements.js';

interface Guard extends KeyParams {
  uid: string;
  expected_rev: number;
}

export type WriteOp =
  | { kind: 'create'; row: JobRowParams; overwrite: boolean }
  | { kind: 'delete'; key: KeyParams }
  /** `definitions`: answer the deleted jobs' definitions (JobDefinition[]) instead of their count. */
  | { kind: 'deleteByPrefix'; range: { namespace: string; app_id: string; lower: string }; upper: string | undefined; definitions?: boolean }
  | { kind: 'deleteIf'; guard: Guard; key: KeyParams }
  | { kind: 'progress'; guard: Guard; progress: ProgressArgs; key: KeyParams; entry: string | undefined }
  | { kind: 'progressBatch'; ops: ProgressOp[] }
  | ProgressWire
  | { kind: 'purgeFinished'; finishedBefore: number; limit: number };

/**
 * A progress batch as the writer thread decodes it: `count` progress and deleteIf writes in the
 * flat batch `wire` from `at` on (writer-codec.ts), applied there without an object per write.
 */
export interface ProgressWire {
  kind: 'progressWire';
  wire: readonly unknown[];
  at: number;
  count: number;
}

/** Tags and lengths of the writes a ProgressWire holds (writer-codec.ts lays them out). */
export const WIRE_PROGRESS = 1;
export const WIRE_DELETE_IF = 2;
/** Tag, the guard's five values, the entry, the other key, the 14 progress columns. */
export const WIRE_PROGRESS_LENGTH = 22;
/** Tag, the guard's five values, the other key. */
export const WIRE_DELETE_IF_LENGTH = 7;

/** One conditional progress write: an update with its history entry, or the delete of a finished job. */
export type ProgressOp = Extract<WriteOp, { kind: 'progress' | 'deleteIf' }>;

/**
 * Whether the write's COMMIT must be fsync'd before it is answered (synchronous = FULL). Every
 * write a caller is answered for must: a schedule, a delete, a pause, resume or manual trigger
 * (manual-operations.ts, through commitProgress: a 'progress' op). Not the engine's delivery
 * outcomes, which reach the store through commitProgressBatch only, nor the sweep's purge: nobody
 * is answered for them, and losing one to a power loss or an OS crash (never to a process crash) means a tick
 * is delivered again, which at-least-once allows, or a tombstone purged again. Since 2026-12-05 a
 * turn with one outcome also comes as a batch (of one). What the engine still writes through
 * commitProgress stays FULL, since a 'progress' op cannot be told from a pause: an outcome whose
 * job a manual operation held locked, a catch-up on load, a job staged or ended without a tick.
 */
export function needsFullSync(op: WriteOp): boolean {
  return op.kind !== 'progressBatch' && op.kind !== 'progressWire' && op.kind !== 'purgeFinished';
}

/** Refuses a commit whose new progress does not follow the revision it expects. */
export function checkProgressRev(commit: ProgressCommit): void {
  const { progress } = commit;
  if (progress && progress.rev !== commit.expectedRev + 1) {
    throw new RangeError(`progress.rev must be expectedRev + 1 (${commit.expectedRev + 1}), got ${progress.rev}`);
  }
}

/** Index of finished_at in ProgressArgs: null for a live job. */
const FINISHED_AT = 13;

/**
 * Applies one write inside the caller's transaction; its return value is the write's answer.
 * `live` is the transaction's (transactionControl's): a write that makes a job live (a create, a
 * revive) or finishes one is counted there and added to app_jobs at COMMIT (schema version 7).
 */
export function applyWriteOp(sql: Statements, historyLimit: number, op: WriteOp, live: LiveCountChanges): unknown {
  switch (op.kind) {
    case 'create': {
      const { namespace, app_id, name, def, progress } = op.row;
      // Encoded here, on the thread that applies the write: a Buffer posted to the writer thread
      // would arrive as a plain Uint8Array, which better-sqlite3 does not bind.
      const uid = uidColumn(op.row.uid);
      // The answer is the job replaced (JobStore.create), taken out of the file by this write's
      // own DELETE: a new job has no history from it, and a live one leaves app_jobs through
      // the delete trigger.
      let replaced: RemovedRow | undefined;
      if (op.overwrite) {
        replaced = removeRow(sql, sql.deleteJobReturning, namespace, app_id, name);
        sql.insertJob.run(namespace, app_id, name, uid, def, ...progress);
      } else if (sql.insertJob.run(namespace, app_id, name, uid, def, ...progress).changes === 0) {
        // Taken: by a tombstone, which gives its name up (and its history), or by a live job.
        replaced = removeRow(sql, sql.deleteFinishedReturning, namespace, app_id, name);
        if (!replaced) throw new JobExistsError(name);
        sql.insertJob.run(namespace, app_id, name, uid, def, ...progress);
      }
      if (progress[FINISHED_AT] === null) live.add(namespace, app_id, 1);
      return replaced && removedDefinition(namespace, app_id, name, replaced);
    }
    case 'delete': {
      const { namespace, app_id, name } = op.key;
      const removed = removeRow(sql, sql.deleteJobReturning, namespace, app_id, name);
      return removed && removedDefinition(namespace, app_id, name, removed);
    }
    case 'deleteByPrefix': {
      const bounded = op.upper === undefined ? undefined : { ...op.range, upper: op.upper };
      if (bounded) sql.deleteHistoryRange.run(bounded);
      else sql.deleteHistoryFrom.run(op.range);
      if (!op.definitions) return bounded ? sql.deleteJobRange.run(bounded).changes : sql.deleteJobsFrom.run(op.range).changes;
      // Decoded here: on the writer thread, off the event loop the caller's answer waits on.
      const rows = bounded ? sql.deleteJobRangeReturning.all(bounded) : sql.deleteJobsFromReturning.all(op.range);
      return rows.map((row) => removedDefinition(op.range.namespace, op.range.app_id, row.name, row));
    }
    case 'deleteIf': {
      const { namespace, app_id, name, uid, expected_rev } = op.guard;
      return applyDeleteIf(sql, namespace, app_id, name, uid, expected_rev, op.key);
    }
    case 'progress': {
      const { namespace, app_id, name, uid, expected_rev } = op.guard;
      return applyProgress(sql, historyLimit, live, namespace, app_id, name, uid, expected_rev, op.entry, op.key, op.progress, 0);
    }
    case 'progressBatch':
      // The engine's outcomes of one turn: one queued write (one message to the writer thread),
      // each answered as alone; a throw undoes the whole batch, which the engine retries.
      return op.ops.map((one) => applyWriteOp(sql, historyLimit, one, live));
    case 'progressWire':
      return applyProgressWire(sql, historyLimit, op, live);
    case 'purgeFinished': {
      // Read and deleted in the same transaction: a row found finished is still finished here.
      const keys = sql.finishedBefore.all(op.finishedBefore, Math.max(0, Math.trunc(op.limit)));
      for (const { namespace, app_id, name } of keys) {
        if (sql.deleteJob.get(namespace, app_id, name) != null) sql.deleteHistory.run(namespace, app_id, name);
      }
      return keys.length;
    }
  }
}

/** Deletes one job's row with the statement given and its history when it had any; the row deleted, if any. */
function removeRow(sql: Statements, stmt: PositionalStmt<KeyArgs, RemovedRow>, namespace: string, app_id: string, name: string): RemovedRow | undefined {
  const row = stmt.get(namespace, app_id, name);
  if (row && row.history_seq !== null) sql.deleteHistory.run(namespace, app_id, name);
  return row;
}

/**
 * The definition a deleted row held, decoded on the thread that deleted it (the writer thread
 * posts the object back): the uid as text, since a 16-byte column would cross as a Uint8Array.
 */
function removedDefinition(namespace: string, app_id: string, name: string, row: RemovedRow): JobDefinition {
  return decodeDefinition({ namespace, appId: app_id, name }, uidOf(row.uid), row.def);
}

/** A guarded delete of a finished job (and its history, when it has any). */
function applyDeleteIf(sql: Statements, namespace: string, app_id: string, name: string, uid: string, expected_rev: number, key: KeyParams | null): boolean {
  const historySeq = sql.deleteJobIf.get(namespace, app_id, name, uidArgument(uid), expected_rev);
  if (historySeq === undefined) return false;
  // A job that never wrote history (a one-shot delivered at its first attempt) has none to delete.
  if (historySeq !== null) {
    if (key) sql.deleteHistory.run(key.namespace, key.app_id, key.name);
    else sql.deleteHistory.run(namespace, app_id, name);
  }
  return true;
}

/**
 * A guarded progress write (and its history entry): the progress columns are the 14 values of
 * `cols` from `at` on (a ProgressArgs, or their place in a flat batch), bound one by one rather
 * than spread from an array of their own. `key` null: the guard's.
 */
function applyProgress(
  sql: Statements,
  historyLimit: number,
  live: LiveCountChanges,
  namespace: string,
  app_id: string,
  name: string,
  uid: string,
  expected_rev: number,
  entry: string | undefined,
  key: KeyParams | null,
  cols: ArrayLike<unknown>,
  at: number,
): boolean {
  // Bound by the runs below, before any other uidArgument call.
  const uidArg = uidArgument(uid);
  const finishes = cols[at + FINISHED_AT] !== null;
  // First as a write to a live row (nearly every commit is), then, only when that changed
  // nothing, to a finished one: which of the two landed says how the app's count moves.
  if (entry === undefined || historyLimit === 0) {
    if (runProgress(sql.updateLiveProgress, cols, at, namespace, app_id, name, uidArg, expected_rev).changes > 0) {
      if (finishes) live.add(namespace, app_id, -1);
      return true;
    }
    if (runProgress(sql.updateFinishedProgress, cols, at, namespace, app_id, name, uidArg, expected_rev).changes === 0) return false;
    if (!finishes) live.add(namespace, app_id, 1);
    return true;
  }
  let seq = getProgress(sql.updateLiveProgressWithHistory, cols, at, namespace, app_id, name, uidArg, expected_rev);
  if (seq !== undefined) {
    if (finishes) live.add(namespace, app_id, -1);
  } else {
    seq = getProgress(sql.updateFinishedProgressWithHistory, cols, at, namespace, app_id, name, uidArg, expected_rev);
    if (seq === undefined) return false;
    if (!finishes) live.add(namespace, app_id, 1);
  }
  appendHistory(sql, historyLimit, key ?? { namespace, app_id, name }, seq, entry);
  return true;
}

type ProgressStmt<R> = PositionalStmt<[...ProgressArgs, ...KeyArgs, uid: UidColumn, expectedRev: number], R>;

/** A progress statement run with the 14 columns of `cols` from `at`, then the guard. */
function runProgress(stmt: ProgressStmt<unknown>, cols: ArrayLike<unknown>, at: number, namespace: string, app_id: string, name: string, uid: UidColumn, rev: number): { changes: number } {
  const c = cols as ArrayLike<number>;
  return stmt.run(c[at]!, c[at + 1]!, c[at + 2]!, c[at + 3]!, c[at + 4]!, c[at + 5]!, c[at + 6]!, c[at + 7]!, c[at + 8]!, c[at + 9]!, c[at + 10]!, c[at + 11]!, c[at + 12]!, c[at + 13]!, namespace, app_id, name, uid, rev);
}

/** The same, answering the RETURNING column (undefined: no row written). */
function getProgress(stmt: ProgressStmt<number>, cols: ArrayLike<unknown>, at: number, namespace: string, app_id: string, name: string, uid: UidColumn, rev: number): number | undefined {
  const c = cols as ArrayLike<number>;
  return stmt.get(c[at]!, c[at + 1]!, c[at + 2]!, c[at + 3]!, c[at + 4]!, c[at + 5]!, c[at + 6]!, c[at + 7]!, c[at + 8]!, c[at + 9]!, c[at + 10]!, c[at + 11]!, c[at + 12]!, c[at + 13]!, namespace, app_id, name, uid, rev);
}

/**
 * The engine's outcomes as the writer thread received them (writer-codec.ts): applied from the
 * flat batch in place, each as its 'progress' or 'deleteIf' write would be, without decoding an
 * object per write first. Positions as encodeOp writes them.
 */
function applyProgressWire(sql: Statements, historyLimit: number, op: ProgressWire, live: LiveCountChanges): boolean[] {
  const w = op.wire;
  const results: boolean[] = [];
  for (let i = 0, p = op.at; i < op.count; i++) {
    const namespace = w[p + 1] as string;
    const app_id = w[p + 2] as string;
    const name = w[p + 3] as string;
    const uid = w[p + 4] as string;
    const rev = w[p + 5] as number;
    if (w[p] === WIRE_DELETE_IF) {
      results.push(applyDeleteIf(sql, namespace, app_id, name, uid, rev, wireKey(w[p + 6])));
      p += WIRE_DELETE_IF_LENGTH;
    } else {
      const entry = w[p + 6] as string | null;
      results.push(applyProgress(sql, historyLimit, live, namespace, app_id, name, uid, rev, entry ?? undefined, wireKey(w[p + 7]), w, p + 8));
      p += WIRE_PROGRESS_LENGTH;
    }
  }
  return results;
}

function wireKey(other: unknown): KeyParams | null {
  if (other === null) return null;
  const [namespace, app_id, name] = other as [string, string, string];
  return { namespace, app_id, name };
}

/** Appends the entry numbered seq (the job row's history_seq, just counted up) and trims. */
function appendHistory(sql: Statements, historyLimit: number, key: KeyParams, seq: number, entry: string): void {
  const { namespace, app_id, name } = key;
  sql.insertHistory.run(namespace, app_id, name, seq, entry);
  // seq counts up by one per entry, so the newest historyLimit are exactly those above this.
  if (seq > historyLimit) sql.trimHistory.run(namespace, app_id, name, seq - historyLimit);
}

/** What transactionControl needs of the connection itself (a better-sqlite3 Database). */
export interface Connection {
  readonly inTransaction: boolean;
  exec(source: string): unknown;
}

/**
 * The group commit's transaction control, from one connection (applyPragmas left it at
 * synchronous = FULL) and its prepared statements, and the live count changes of its
 * transaction (pass `live` to applyWriteOp): added to app_jobs just before COMMIT, forgotten on
 * ROLLBACK and cut back on ROLLBACK TO.
 */
export function transactionControl(sql: Statements, conn: Connection): TransactionControl & { live: LiveCountChanges } {
  const { begin, commit, rollback, savepoint, release, rollbackTo, addLive } = sql;
  const live = new LiveCountChanges();
  let full = true;
  return {
    live,
    synchronous: (wanted) => {
      if (wanted === full) return;
      // exec, not a prepared statement: SQLite applies this pragma when it compiles it.
      conn.exec(wanted ? 'PRAGMA synchronous = FULL' : 'PRAGMA synchronous = NORMAL');
      full = wanted;
    },
    begin: () => {
      live.clear();
      begin.run();
    },
    commit: () => {
      live.apply(addLive);
      commit.run();
    },
    rollback: () => {
      live.clear();
      rollback.run();
    },
    savepoint: () => {
      savepoint.run();
      live.savepoint();
    },
    release: () => release.run(),
    rollbackTo: () => {
      rollbackTo.run();
      live.rollbackToSavepoint();
    },
    inTransaction: () => conn.inTransaction,
  };
}
