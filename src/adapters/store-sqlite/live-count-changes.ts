// The changes a transaction makes to its apps' live job counts, added to app_jobs once per app
// just before its COMMIT (schema version 7) instead of by a trigger per row. The triggers ran an
// UPSERT of app_jobs for every schedule and every finished job and, being triggers, made every
// INSERT and progress UPDATE keep a statement journal (a copy of each page the statement touches,
// in case it must be undone alone): about 1.5 us of the writer thread's CPU per schedule and 1 us
// per finished job (2026-12-04, in-thread micro-benchmark, four pairs).
//
// The counts must follow the transaction exactly: a write undone (the batch rolled back, or one
// item's savepoint rolled back when it failed) must not count. So this follows the transaction
// control: cleared on BEGIN and ROLLBACK, marked at each SAVEPOINT and cut back to the mark on
// ROLLBACK TO, applied and cleared at COMMIT. Deletes still go through a trigger, which may run
// before a create's +1 is applied within the same transaction (an app's first job created and
// deleted in one batch): app_jobs may be off in between, never at COMMIT.

import type { PositionalStmt } from './statements.js';

/** app_jobs += change for one app (an UPSERT: the app's first job makes its row). */
export type AddLive = PositionalStmt<[namespace: string, appId: string, change: number]>;

export class LiveCountChanges {
  // Parallel arrays, one entry per change, in the order made.
  private readonly namespaces: string[] = [];
  private readonly appIds: string[] = [];
  private readonly changes: number[] = [];
  private mark = 0;

  /** A live job was added (+1: created, revived) or taken away (-1: finished) in the open transaction. */
  add(namespace: string, appId: string, change: 1 | -1): void {
    this.namespaces.push(namespace);
    this.appIds.push(appId);
    this.changes.push(change);
  }

  /** The transaction began or was rolled back: nothing of it counts. */
  clear(): void {
    this.namespaces.length = 0;
    this.appIds.length = 0;
    this.changes.length = 0;
    this.mark = 0;
  }

  /** A savepoint was opened: what is added after this point belongs to it. */
  savepoint(): void {
    this.mark = this.namespaces.length;
  }

  /** The savepoint was rolled back: its changes are undone. */
  rollbackToSavepoint(): void {
    this.namespaces.length = this.mark;
    this.appIds.length = this.mark;
    this.changes.length = this.mark;
  }

  /** Adds each app's changes to app_jobs (inside the transaction, before COMMIT), then clears. */
  apply(addLive: AddLive): void {
    const count = this.namespaces.length;
    let runStart = 0;
    let sum = 0;
    // A batch is nearly always one app's (a client scheduling for its app, a burst of its jobs):
    // sum runs of the same app and write once per run; apps that alternate are still exact, with
    // more UPSERTs.
    for (let i = 0; i < count; i++) {
      sum += this.changes[i] as number;
      const last = i + 1 === count || this.namespaces[i + 1] !== this.namespaces[runStart] || this.appIds[i + 1] !== this.appIds[runStart];
      if (!last) continue;
      if (sum !== 0) addLive.run(this.namespaces[runStart] as string, this.appIds[runStart] as string, sum);
      runStart = i + 1;
      sum = 0;
    }
    this.clear();
  }
}
