// One delivery of one trigger, from its dispatch to the commit of its outcome. It is the receiver
// the deliverer answers (Deliverer.deliverTo), then the item of the turn's outcome batch: one
// object per delivery where there were the deliverer's promise, its resolve closure, the engine's
// `.then` link with two closures, and an object built for the outcome when it came.

import type { DataRef } from '../model/job.js';
import type { Outcome, Trigger } from '../model/trigger.js';
import type { OutcomeReceiver } from '../ports/deliverer.js';
import type { Lane } from './fair-queue.js';
import type { Slot } from './slot.js';

export class Attempt implements OutcomeReceiver {
  /** PENDING until the deliverer answers. */
  outcome: Outcome = PENDING;
  /** The final count of the job its commit may finish, written by the engine's commitOutcomes (the commit carries its progress). */
  finalCount: number | undefined = undefined;
  /** When the engine decided the outcome (its clock; NaN until then): the history entry's instant, kept for a commit of it anew. */
  finishedAt = Number.NaN;
  /**
   * Which attempt went out, kept past takeTrigger (numbers, no object): an outcome refused as
   * stale is applied to the store's newer version only while that still has this attempt pending.
   */
  readonly scheduledAt: number;
  readonly attemptNumber: number;
  readonly manualTick: boolean;
  /**
   * The job's jobStateStore payload reference, kept past takeTrigger: when the job is overwritten
   * while this outcome's commit finishes it, the engine no longer holds its definition, and the
   * 'finished' event still names what to discard.
   */
  readonly dataRef: DataRef | undefined;
  /**
   * True while the deliverer's deliverTo runs: an answer given then (a stream with no consumer
   * stages at once) is settled on a microtask, so the engine never settles inside its own dispatch.
   */
  dispatching = true;
  /** Callers of whenCommitted before the outcome came (rare: a cluster hand-over). */
  private waiters: Array<() => void> | undefined;
  private committed: Promise<void> | undefined;
  /** The trigger until the engine decided the outcome (takeTrigger); undefined after. */
  private delivered: Trigger | undefined;

  constructor(
    readonly slot: Slot,
    readonly lane: Lane<Slot>,
    trigger: Trigger,
    /** When it was dispatched (the engine's clock). */
    readonly startedAt: number,
    /** The instant its attempt was due. */
    readonly dueAt: number,
    private readonly settle: (attempt: Attempt) => void,
  ) {
    this.delivered = trigger;
    this.scheduledAt = trigger.scheduledAt;
    this.attemptNumber = trigger.attempt;
    this.manualTick = trigger.manual;
    this.dataRef = trigger.dataRef;
  }

  /**
   * The trigger, handed over once to decide the outcome and then let go. An outcome waits for
   * its commit well after it is decided (in a burst thousands wait for the SQLite writer thread
   * at once, each surviving the young generation's collections until then), and its trigger
   * (the object and its triggerId string, about a fifth of what a waiting outcome holds) is not
   * needed for the commit.
   */
  takeTrigger(): Trigger {
    const trigger = this.delivered;
    if (trigger === undefined) throw new Error('the trigger of this attempt was taken already');
    this.delivered = undefined;
    return trigger;
  }

  /** Whether the trigger is a manual one; undefined once the outcome was decided. */
  get manual(): boolean | undefined {
    return this.delivered?.manual;
  }

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
