/**
 * Collects the items added during one turn of the event loop and hands them to `flush` as one
 * array, after the code that added them has finished. Every add of the same batch answers the
 * same promise, the one `flush` returns.
 *
 * The engine batches delivery outcomes with it: deliveries that settle together (a burst, a
 * stream's acks) commit their progress with one store call and one promise instead of a chain
 * per trigger. The flush is a setImmediate, which runs once the poll phase has handled every
 * socket that was ready: each HTTP response is read in an I/O callback of its own, and a flush
 * on the microtask queue (as this was) made a batch of each. In a 20,000-job burst over HTTP
 * that was 22,000 batches for 22,000 outcomes; with the setImmediate about 25 outcomes share
 * one. Nothing waits for a timer: a lone outcome is committed in the same turn, after its I/O.
 *
 * A batch that reaches `limit` items flushes at once, on the microtask queue, without waiting
 * for the turn to end. Deliveries that answer without I/O (an in-process deliverer) settle in
 * microtasks, each freeing the slot that dispatches the next, so a whole burst settles inside
 * one turn: before the limit, its 100,000 outcomes waited in one batch, all alive at once and
 * promoted by the GC (a third of the engine's CPU in that burst), and committed together only
 * after the last delivery.
 */
export class TurnBatch<T> {
  private current: Batch<T> | undefined;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly limit = OUTCOME_BATCH_LIMIT,
  ) {}

  /** Items waiting for the flush. */
  get size(): number {
    return this.current?.items.length ?? 0;
  }

  add(item: T): Promise<void> {
    let batch = this.current;
    if (batch === undefined) {
      // The first add of a batch queues the flush for the check phase, so the deliveries settling
      // in the rest of this turn's callbacks all join it.
      batch = this.current = new Batch<T>(this);
      setImmediate(flushBatch, batch);
    }
    batch.items.push(item);
    if (batch.items.length >= this.limit) {
      this.current = undefined; // later adds start the next batch; the setImmediate finds this one done
      queueMicrotask(() => flushBatch(batch));
    }
    return batch.done;
  }

  /** Runs the flush of `batch` once; called by flushBatch. */
  run(batch: Batch<T>): void {
    if (batch.flushed) return;
    batch.flushed = true;
    if (this.current === batch) this.current = undefined;
    let done: Promise<void>;
    try {
      done = this.flush(batch.items);
    } catch (error) {
      done = Promise.reject(error);
    }
    batch.resolve(done);
  }
}

/** One batch's items and the promise its adds answer. */
class Batch<T> {
  readonly items: T[] = [];
  flushed = false;
  readonly done: Promise<void>;
  resolve!: (done: Promise<void>) => void;

  constructor(readonly owner: TurnBatch<T>) {
    this.done = new Promise<void>((resolve) => (this.resolve = resolve));
  }
}

/** setImmediate's callback, with the batch as its argument: no closure per batch. */
function flushBatch<T>(batch: Batch<T>): void {
  batch.owner.run(batch);
}

/**
 * Outcomes per batch before it flushes without waiting for the turn's end. An HTTP burst's
 * batches hold about 25 and never reach it; a commit of 256 to SQLite is one message to the
 * writer and one transaction, and its GC cost is that of short-lived objects.
 */
export const OUTCOME_BATCH_LIMIT = 256;
