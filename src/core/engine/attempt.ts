// One delivery of one trigger, from its dispatch to the commit of its outcome. It is the receiver
// the deliverer answers (Deliverer.deliverTo), then the item of the turn's outcome batch: one
// object per delivery where there were the deliverer's promise, its resolve closure, the engine's
// `.then` link with two closures, and an object built for the outcome when it came.

import type { Outcome, Trigger } from '../model/trigger.js';
import type { Progress } from '../model/job.js';
import type { OutcomeReceiver } from '../ports/deliverer.js';
import type { Lane } from './fair-queue.js';
import type { Slot } from './slot.js';

export class Attempt implements OutcomeReceiver {
  /** PENDING until the deliverer answers. */
  outcome: Outcome = PENDING;
  /** The progress to commit (null: the job is deleted) and the final count, written by the engine's commitOutcomes. */
  progress: Progress | null = null;
  finalCount: number | undefined = undefined;
  /**
   * True while the deliverer's deliverTo runs: an answer given then (a stream with no consumer
   * stages at once) is settled on a microtask, so the engine never settles inside its own dispatch.
   */
  dispatching = true;
  /** Callers of whenCommitted before the outcome came (rare: a cluster hand-over). */
  private waiters: Array<() => void> | undefined;
  private committed: Promise<void> | undefined;

  constructor(
    readonly slot: Slot,
    readonly lane: Lane<Slot>,
    readonly trigger: Trigger,
    /** When it was dispatched (the engine's clock). */
    readonly startedAt: number,
    /** The instant its attempt was due. */
    readonly dueAt: number,
    private readonly settle: (attempt: Attempt) => void,
  ) {}

  get lateMs(): number {
    return this.startedAt - this.dueAt;
  }

  /** The deliverer's answer; later answers of the same delivery are ignored. */
  receive(outcome: Outcome): void {
    if (this.outcome !== PENDING) return;
    this.outcome = outcome;
    if (this.dispatching) queueMicrotask(() => this.settle(this));
    else this.settle(this);
  }

  /** The engine settled the outcome: `committed` answers once it is committed (never rejects). */
  settledAs(committed: Promise<void>): void {
    this.committed = committed;
    const waiters = this.waiters;
    if (!waiters) return;
    this.waiters = undefined;
    for (const resolve of waiters) void committed.then(resolve);
  }

  /** Answers once the outcome is known and committed. */
  whenCommitted(): Promise<void> {
    if (this.committed) return this.committed;
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }
}

/** No outcome yet (an object no deliverer returns). */
const PENDING: Outcome = Object.freeze({ kind: 'failed', detail: 'pending' });
