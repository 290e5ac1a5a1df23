/*
 * One connected consumer: a WatchJobs stream that sent its initial message. It numbers the
 * triggers it sends (a per-stream counter, the `id` of Dapr's protocol), waits for a result per
 * id, and gives each trigger up as failed when no result comes within the delivery timeout.
 *
 * State machine of the stream:
 *
 *   open --take--> open (trigger in flight under a new id)
 *   open --result SUCCESS|FAILED for an id in flight--> open (outcome done|failed)
 *   open --the sink cannot encode one trigger (UnsendableTriggerError)--> open (that outcome failed)
 *   open --timeout of an id--> open (outcome failed; a later result for that id is ignored)
 *   open --close (stream ended, cancelled, broke, a write failed, or the server stops)--> closed:
 *        timers cleared, every trigger still in flight handed back to the channel
 *   closed: take hands the trigger straight back; results are ignored
 *
 * The consumer knows nothing of gRPC: the sink writes the wire message.
 */

import type { Outcome, Trigger } from '../../core/model/trigger.js';
import { UnsendableTriggerError, type ConnectedConsumer, type ConsumerInfo, type ConsumerSink, type ResultStatus } from '../../core/ports/stream-consumers.js';

export type { ConsumerInfo, ConsumerSink, ResultStatus };

/** A trigger handed to delivery, waiting for its one outcome. */
export interface PendingDelivery {
  trigger: Trigger;
  settle(outcome: Outcome): void;
}

export class StreamConsumer implements ConnectedConsumer {
  private nextId = 0;
  private readonly inFlight = new Map<number, { pending: PendingDelivery; timer: NodeJS.Timeout }>();
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
    const timer = setTimeout(() => {
      if (!this.inFlight.delete(id)) return;
      pending.settle({ kind: 'failed', detail: `no result on the WatchJobs stream within ${this.timeoutMs} ms` });
    }, this.timeoutMs);
    timer.unref();
    this.inFlight.set(id, { pending, timer });
    try {
      this.sink.send(id, pending.trigger);
    } catch (error) {
      if (error instanceof UnsendableTriggerError) {
        // This trigger alone cannot go out: its attempt fails with the reason, the stream stays.
        this.inFlight.delete(id);
        clearTimeout(timer);
        pending.settle({ kind: 'failed', detail: error.message });
        return;
      }
      this.close(); // the stream broke under us: the trigger goes back with the others
    }
  }

  /** A result from the client; false when the id is unknown (never sent, timed out, or answered). */
  result(id: number, status: ResultStatus): boolean {
    const entry = this.inFlight.get(id);
    if (!entry) return false;
    this.inFlight.delete(id);
    clearTimeout(entry.timer);
    entry.pending.settle(status === 'SUCCESS' ? { kind: 'done', detail: 'stream SUCCESS' } : { kind: 'failed', detail: 'stream result FAILED' });
    return true;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    const orphans = [...this.inFlight.values()].map(({ pending, timer }) => {
      clearTimeout(timer);
      return pending;
    });
    this.inFlight.clear();
    this.onClosed(this, orphans);
  }
}
