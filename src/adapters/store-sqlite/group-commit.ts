// Group commit: many writers, one transaction, one fsync.
//
// State machine (per store):
//   idle     --submit-->               queued (a flush is armed on the next macrotask)
//   queued   --submit, batch < max-->  queued
//   queued   --batch reaches max / flushNow / setImmediate fires-->  flushing
//   flushing --COMMIT returned-->      idle; each item's promise settles with its own result
//   any      --close-->                closed (submit rejects)
// Flushing is synchronous (better-sqlite3 is), so no submit or read can interleave with it.
//
// Under load a write may also be deferrable (the engine's progress commits): when the previous
// batch was large (a burst of outcomes), a batch of only deferrable writes waits until
// deferMs after the previous flush began, so more join it. A COMMIT's cost grows with the pages
// it writes, and consecutive outcomes share pages: in a 20,000-job burst batches of about 60
// wrote 30 WAL frames each. Any other write flushes on the next macrotask as before, taking the
// deferred ones with it; nothing settles before its COMMIT.
//
// One item's failure (say, JobExistsError) must not fail the others. The fast path runs the
// batch without savepoints; if any item throws, the whole transaction is rolled back and the
// batch is run again with a SAVEPOINT around each item, so only the failing item's writes are
// undone and only its promise rejects. Items are pure functions of the database state, so
// running them twice is safe. Savepoints cost about a fifth of the write rate, hence only on
// the rare batch that needs them. Promises settle only after COMMIT returned.
//
// How durable a COMMIT is, is decided per batch (runBatch's `full`): a batch with any write a
// caller is answered for commits with synchronous = FULL (COMMIT returns after the WAL was
// fsync'd); a batch of only the engine's outcomes (write-ops.ts, needsFullSync) commits with
// synchronous = NORMAL, without the fsync. In WAL mode both survive a process crash; a power loss
// or an OS crash can take the unsynced tail, which is always after the last FULL commit (the WAL
// is one file and recovery stops at the first frame missing): the outcome is lost and the tick
// delivered again. Until an API write comes, the tail is synced at the next checkpoint at the
// latest (wal_autocheckpoint, 1,000 pages), which syncs the WAL first.

/** The transaction control the batch needs, as prepared statements run by the caller's db. */
export interface TransactionControl {
  begin(): void;
  commit(): void;
  rollback(): void;
  savepoint(): void;
  release(): void;
  rollbackTo(): void;
  inTransaction(): boolean;
  /**
   * synchronous = FULL (true) or NORMAL (false) for the transactions begun from now on. Only
   * outside a transaction (SQLite refuses to change it inside one).
   */
  synchronous(full: boolean): void;
}

interface Item {
  apply: () => unknown;
  /** The write needs a COMMIT with synchronous = FULL (see the top of this file). */
  full: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export type BatchResult = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface Deferral {
  /** The longest a deferrable write waits, counted from the start of the previous flush. */
  deferMs: number;
  /** Deferral applies only after a batch of at least this many writes. */
  afterBatch: number;
}

export const DEFAULT_DEFERRAL: Deferral = { deferMs: 10, afterBatch: 32 };

export class GroupCommit {
  private queue: Item[] = [];
  /** A flush is armed on the next macrotask. */
  private armed = false;
  /** A deferred flush is armed on a timer. */
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private lastBatch = 0;

  constructor(
    private readonly tx: TransactionControl,
    /** Flush as soon as this many writes are queued, without waiting for the next macrotask. */
    private readonly maxBatch: number,
    private readonly deferral: Deferral = DEFAULT_DEFERRAL,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /**
   * Queues a write; apply runs inside the batch's transaction and its result is the answer.
   * A deferrable write may wait up to deferMs under load; one that is not `full` may share a
   * COMMIT without fsync with others like it (see the top of this file).
   */
  submit<T>(apply: () => T, deferrable = false, full = true): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the SQLite job store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ apply, full, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length >= this.maxBatch) this.flushNow();
      else if (!this.armed) this.arm(deferrable);
    });
  }

  private arm(deferrable: boolean): void {
    const wait = deferrable && this.lastBatch >= this.deferral.afterBatch ? this.lastFlushAt + this.deferral.deferMs - performance.now() : 0;
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flushNow();
      }, wait);
      return;
    }
    this.armed = true;
    setImmediate(() => {
      this.armed = false;
      this.flushNow();
    });
  }

  /** Applies and commits everything queued, synchronously. */
  flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      this.lastFlushAt = performance.now();
      this.lastBatch = batch.length;
      this.commitBatch(batch);
    }
  }

  /** Flushes, then refuses further writes. */
  close(): void {
    this.flushNow();
    this.closed = true;
  }

  private commitBatch(batch: Item[]): void {
    let results: BatchResult[];
    try {
      results = runBatch(
        this.tx,
        batch.map((item) => item.apply),
        batch.some((item) => item.full),
      );
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const result = results[i];
      if (result?.ok) item.resolve(result.value);
      else item.reject(result?.error);
    });
  }
}

/**
 * Runs one batch in one transaction and returns each item's outcome, in order; `full`: the
 * COMMIT fsyncs (synchronous = FULL), else it does not (NORMAL). Throws (with nothing written)
 * when BEGIN or COMMIT fails: disk full, I/O error, lock timeout. Shared by the in-thread group
 * commit and the writer thread.
 */
export function runBatch(tx: TransactionControl, applies: readonly (() => unknown)[], full: boolean): BatchResult[] {
  try {
    tx.synchronous(full);
    return runFast(tx, applies) ?? runIsolated(tx, applies);
  } catch (error) {
    rollbackQuietly(tx);
    throw error;
  }
}

/** The whole batch in one transaction; undefined (and rolled back) if any item threw. */
function runFast(tx: TransactionControl, applies: readonly (() => unknown)[]): BatchResult[] | undefined {
  const results: BatchResult[] = [];
  tx.begin();
  for (const apply of applies) {
    try {
      results.push({ ok: true, value: apply() });
    } catch {
      rollbackQuietly(tx);
      return undefined;
    }
  }
  tx.commit();
  return results;
}

/** The batch again, each item under its own savepoint so a failure undoes only its writes. */
function runIsolated(tx: TransactionControl, applies: readonly (() => unknown)[]): BatchResult[] {
  const results: BatchResult[] = [];
  tx.begin();
  for (const apply of applies) {
    tx.savepoint();
    try {
      results.push({ ok: true, value: apply() });
    } catch (error) {
      // If SQLite already rolled the whole transaction back (I/O error, disk full), this
      // throws too and the batch fails as a whole.
      tx.rollbackTo();
      results.push({ ok: false, error });
    }
    tx.release();
  }
  tx.commit();
  return results;
}

function rollbackQuietly(tx: TransactionControl): void {
  if (!tx.inTransaction()) return;
  try {
    tx.rollback();
  } catch {
    // The error that led here is the one worth reporting.
  }
}
