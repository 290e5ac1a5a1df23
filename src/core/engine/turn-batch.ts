/**
 * Collects the items added during one run of the microtask queue and hands them to `flush` as
 * one array, after the code that added them has finished. Every add of the same batch answers
 * the same promise, the one `flush` returns.
 *
 * The engine batches delivery outcomes with it: deliveries that settle together (a burst, a
 * stream's acks read from one network chunk) commit their progress with one store call and one
 * promise instead of a chain of promises per trigger. Nothing waits for a timer: the flush runs
 * in the same turn of the event loop, so a lone outcome is committed as early as before.
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
    // The first add of a batch queues the flush behind the microtasks already queued, so the
    // deliveries settling in this run of the queue all join it.
    return (this.pending ??= Promise.resolve().then(() => this.run()));
  }

  private run(): Promise<void> {
    const items = this.items;
    this.items = [];
    this.pending = undefined;
    return this.flush(items);
  }
}
