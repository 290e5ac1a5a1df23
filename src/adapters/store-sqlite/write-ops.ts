// Every write the store makes, as plain data: the store builds these (with the JSON strings
// already serialised) and either applies them in its own thread or posts them to the writer
// thread, which applies them with the same function. Plain data, not closures, is what lets a
// write cross a thread boundary.

import { JobExistsError } from '../../core/errors.js';
import { type TransactionControl } from './group-commit.js';
import type { JobRowParams, KeyParams, Statements } from './statements.js';

interface Guard extends KeyParams {
  uid: string;
  expected_rev: number;
}

export type WriteOp =
  | { kind: 'create'; row: JobRowParams; overwrite: boolean }
  | { kind: 'delete'; key: KeyParams }
  | { kind: 'deleteByPrefix'; range: { namespace: string; app_id: string; lower: string }; upper: string | undefined }
  | { kind: 'deleteIf'; guard: Guard; key: KeyParams }
  | { kind: 'progress'; update: Guard & { rev: number; progress: string; due_at: number | null }; key: KeyParams; entry: string | undefined };

/** Applies one write inside the caller's transaction; its return value is the write's answer. */
export function applyWriteOp(sql: Statements, historyLimit: number, op: WriteOp): unknown {
  switch (op.kind) {
    case 'create':
      if (op.overwrite) {
        // A new job: new definition, the given progress, no history from the one it replaces.
        sql.replaceJob.run(op.row);
        sql.deleteHistory.run(op.row);
      } else if (sql.insertJob.run(op.row).changes === 0) {
        throw new JobExistsError(op.row.name);
      }
      return undefined;
    case 'delete':
      if (sql.deleteJob.run(op.key).changes === 0) return false;
      sql.deleteHistory.run(op.key);
      return true;
    case 'deleteByPrefix':
      if (op.upper === undefined) {
        sql.deleteHistoryFrom.run(op.range);
        return sql.deleteJobsFrom.run(op.range).changes;
      }
      sql.deleteHistoryRange.run({ ...op.range, upper: op.upper });
      return sql.deleteJobRange.run({ ...op.range, upper: op.upper }).changes;
    case 'deleteIf':
      if (sql.deleteJobIf.run(op.guard).changes === 0) return false;
      sql.deleteHistory.run(op.key);
      return true;
    case 'progress':
      if (sql.updateProgress.run(op.update).changes === 0) return false;
      if (op.entry !== undefined) appendHistory(sql, historyLimit, op.key, op.entry);
      return true;
  }
}

function appendHistory(sql: Statements, historyLimit: number, key: KeyParams, entry: string): void {
  if (historyLimit === 0) return;
  const seq = (sql.lastHistorySeq.get(key) ?? 0) + 1;
  // Written out, not spread: see jobRow in sqlite-job-store.ts.
  const { namespace, app_id, name } = key;
  sql.insertHistory.run({ namespace, app_id, name, seq, entry });
  // seq counts up by one per entry, so the newest historyLimit are exactly those above this.
  if (seq > historyLimit) sql.trimHistory.run({ namespace, app_id, name, keep_after: seq - historyLimit });
}

/** The group commit's transaction control, from the prepared statements of one connection. */
export function transactionControl(sql: Statements, inTransaction: () => boolean): TransactionControl {
  const { begin, commit, rollback, savepoint, release, rollbackTo } = sql;
  return {
    begin: () => begin.run(),
    commit: () => commit.run(),
    rollback: () => rollback.run(),
    savepoint: () => savepoint.run(),
    release: () => release.run(),
    rollbackTo: () => rollbackTo.run(),
    inTransaction,
  };
}
