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
 */
export class TurnBatch<T> {
  private items: T[] = [];
  private pending: Promise<void> | undefined;

  constructor(private readonly flush: (items: T[]) => Promise<void>) {}

  /** Items waiting for the flush. */
  get size(): number {
    return this.items.length;
  }

  add(item: T): Promise<void> {
    this.items.push(item);
    // The first add of a batch queues the flush for the check phase, so the deliveries settling
    // in the rest of this turn's callbacks all join it.
    return (this.pending ??= new Promise<void>((resolve) => setImmediate(flushBatch, this, resolve)));
  }

  /** Runs the flush; called by flushBatch. */
  run(resolve: (done: Promise<void>) => void): void {
    const items = this.items;
    this.items = [];
    this.pending = undefined;
    let done: Promise<void>;
    try {
      done = this.flush(items);
    } catch (error) {
      done = Promise.reject(error);
    }
    resolve(done);
  }
}

/** setImmediate's callback, with the batch as its argument: no closure per batch. */
function flushBatch<T>(batch: TurnBatch<T>, resolve: (done: Promise<void>) => void): void {
  batch.run(resolve);
}

