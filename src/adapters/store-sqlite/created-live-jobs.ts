// The live jobs a transaction creates, per app, added to app_jobs once per app just before its
// COMMIT (schema version 7) instead of by a trigger per inserted row. The trigger ran an UPSERT
// of app_jobs for every schedule and, being a trigger, made every INSERT keep a statement journal
// (a copy of each page it touches, in case the statement must be undone alone): about 1.5 us of
// the writer thread's CPU per schedule (2026-12-04, in-thread micro-benchmark, four pairs).
//
// The count must follow the transaction exactly: a create undone (the batch rolled back, or one
// item's savepoint rolled back when it failed) must not be counted. So this follows the
// transaction control: cleared on BEGIN and ROLLBACK, marked at each SAVEPOINT and cut back to
// the mark on ROLLBACK TO, added and cleared at COMMIT. Deletes and finishes still go through
// triggers, which may run before the create's count is added within the same transaction (an
// app's first job created and deleted in one batch): app_jobs may be below its true count in
// between, never at COMMIT.

import type { PositionalStmt } from './statements.js';

/** app_jobs += live for one app (an UPSERT: the app's first job makes its row). */
export type AddLive = PositionalStmt<[namespace: string, appId: string, live: number]>;

export class CreatedLiveJobs {
  // Two parallel arrays, one entry per created live job, in creation order.
  private readonly namespaces: string[] = [];
  private readonly appIds: string[] = [];
  private mark = 0;

  /** A live row was inserted in the open transaction. */
  add(namespace: string, appId: string): void {
    this.namespaces.push(namespace);
    this.appIds.push(appId);
  }

  /** The transaction began or was rolled back: nothing of it counts. */
  clear(): void {
    this.namespaces.length = 0;
    this.appIds.length = 0;
    this.mark = 0;
  }

  /** A savepoint was opened: what is added after this point belongs to it. */
  savepoint(): void {
    this.mark = this.namespaces.length;
  }

  /** The savepoint was rolled back: its creates are undone. */
  rollbackToSavepoint(): void {
    this.namespaces.length = this.mark;
    this.appIds.length = this.mark;
  }

  /** Adds each app's creates to app_jobs (inside the transaction, before COMMIT), then clears. */
  apply(addLive: AddLive): void {
    const count = this.namespaces.length;
    let runStart = 0;
    // A batch is nearly always one app's (a client scheduling for its app): count runs of the same
    // app and write once per run; apps that alternate still end up exact, only with more UPSERTs.
    for (let i = 1; i <= count; i++) {
      if (i < count && this.namespaces[i] === this.namespaces[runStart] && this.appIds[i] === this.appIds[runStart]) continue;
      addLive.run(this.namespaces[runStart] as string, this.appIds[runStart] as string, i - runStart);
      runStart = i;
    }
    this.clear();
  }
}
