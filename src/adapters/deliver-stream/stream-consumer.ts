/*
 * One connected consumer: a WatchJobs stream that sent its initial message. It numbers the
 * triggers it sends (a per-stream counter, the `id` of Dapr's protocol), waits for a result per
 * id, and gives each trigger up as failed when no result comes within the delivery timeout.
 *
 * State machine of the stream:
 *
 *   open --take--> open (trigger in flight under a new id; written now, or held back while the
 *        sink's buffer is full until drained(), in id order)
 *   open --result SUCCESS|FAILED for an id in flight--> open (outcome done|failed)
 *   open --the sink cannot encode one trigger (UnsendableTriggerError)--> open (that outcome failed)
 *   open --timeout of an id--> open (outcome failed; a later result for that id is ignored)
 *   open --close (stream ended, cancelled, broke, a write failed, or the server stops)--> closed:
 *        timers cleared, every trigger still in flight handed back to the channel
 *   closed: take hands the trigger straight back; results are ignored
 *
 * The consumer knows nothing of gRPC: the sink writes the wire message.
 *
 * Costs per trigger are kept to a Map entry: the delivery timeout is one timer per stream, armed
 * for the oldest trigger in flight (ids are sent in order and share one timeout, so the Map's
 * insertion order is deadline order), not a timer per trigger; a burst of 20,000 set and
 * cleared 20,000 timers before.
 */

import type { Outcome, Trigger } from '../../core/model/trigger.js';
import { Fifo } from '../../core/engine/fifo.js';
import { UnsendableTriggerError, type ConnectedConsumer, type ConsumerInfo, type ConsumerSink, type ResultStatus } from '../../core/ports/stream-consumers.js';

export type { ConsumerInfo, ConsumerSink, ResultStatus };

/** A trigger handed to delivery, waiting for its one outcome. */
export interface PendingDelivery {
  trigger: Trigger;
  /** When the consumer holding it gives up waiting (performance.now() ms); set by take(). */
  deadline: number;
  settle(outcome: Outcome): void;
}

export class StreamConsumer implements ConnectedConsumer {
  private nextId = 0;
  /** In flight by id, in id order (= deadline order: every trigger gets the same timeout). */
  private readonly inFlight = new Map<number, PendingDelivery>();
  /** Ids taken while the sink was full, not written yet. */
  private readonly held = new Fifo<number>();
  private full = false;
  private timer: NodeJS.Timeout | undefined;
  private open = true;

  constructor(
    readonly info: ConsumerInfo,
    private readonly sink: ConsumerSink,
    private readonly timeoutMs: number,
    /** Called once, on close, with the triggers that were still in flight. */
    private readonly onClosed: (consumer: StreamConsumer, orphans: PendingDelivery[]) => void,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  take(pending: PendingDelivery): void {
    if (!this.open) {
      this.onClosed(this, [pending]);
      return;
    }
    const id = ++this.nextId;
    pending.deadline = performance.now() + this.timeoutMs; // on the delivery itself: no entry object per trigger
    this.inFlight.set(id, pending);
    this.timer ??= this.armTimer(this.timeoutMs);
    if (this.full) this.held.push(id);
    else this.write(id, pending);
  }

  /** The sink has room again: triggers held back go out in order, until it is full again. */
  drained(): void {
    this.full = false;
    while (this.open && !this.full) {
      const id = this.held.shift();
      if (id === undefined) return;
      const pending = this.inFlight.get(id);
      if (pending) this.write(id, pending); // else it timed out while held back
    }
  }

  /** A result from the client; false when the id is unknown (never sent, timed out, or answered). */
  result(id: number, status: ResultStatus): boolean {
    return this.answer(id, status === 'FAILED');
  }

  /** A batch of results (one read of the stream); how many ids were unknown. */
  results(ids: readonly number[], failed: readonly boolean[], count: number): number {
    let unknown = 0;
    for (let i = 0; i < count; i++) if (!this.answer(ids[i]!, failed[i]!)) unknown++;
    return unknown;
  }

  /** Settles the trigger sent under this id; false when the id is unknown (never sent, timed out, or answered). */
  private answer(id: number, failed: boolean): boolean {
    const pending = this.inFlight.get(id);
    if (!pending) return false;
    this.inFlight.delete(id);
    pending.settle(failed ? FAILED : SUCCESS);
    return true;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    const orphans = [...this.inFlight.values()];
    this.inFlight.clear();
    this.onClosed(this, orphans);
  }

  private write(id: number, pending: PendingDelivery): void {
    try {
      if (this.sink.send(id, pending.trigger) === false) this.full = true;
    } catch (error) {
      if (error instanceof UnsendableTriggerError) {
        // This trigger alone cannot go out: its attempt fails with the reason, the stream stays.
        this.inFlight.delete(id);
        pending.settle({ kind: 'failed', detail: error.message });
        return;
      }
      this.close(); // the stream broke under us: the trigger goes back with the others
    }
  }

  private armTimer(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(delayMs)));
    timer.unref();
    return timer;
  }

  /** Fails every trigger past its deadline (the oldest ones), then waits for the next oldest. */
  private expire(): void {
    this.timer = undefined;
    if (!this.open) return;
    const now = performance.now();
    for (const [id, pending] of this.inFlight) {
      if (pending.deadline > now) {
        this.timer = this.armTimer(pending.deadline - now);
        return;
      }
      this.inFlight.delete(id);
      pending.settle({ kind: 'failed', detail: `no result on the WatchJobs stream within ${this.timeoutMs} ms` });
    }
  }
}

// Shared: a burst settles thousands of deliveries with the same answer.
const SUCCESS: Outcome = Object.freeze({ kind: 'done', detail: 'stream SUCCESS' });
const FAILED: Outcome = Object.freeze({ kind: 'failed', detail: 'stream result FAILED' });
