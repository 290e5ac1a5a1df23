import type { Outcome, Trigger } from '../model/trigger.js';

/** Takes the one outcome of a delivery handed over with deliverTo. */
export interface OutcomeReceiver {
  receive(outcome: Outcome): void;
}

/**
 * Hands a trigger to its target and reports the outcome. Never throws: a failure of any kind is
 * an Outcome, so the engine has one path for all of them.
 */
export interface Deliverer {
  deliver(trigger: Trigger): Promise<Outcome>;
  /**
   * The same delivery, its outcome handed to `receiver.receive` exactly once instead of answered
   * as a promise. Optional, for the deliverers of the hottest path (WatchJobs streams): the
   * engine runs it once per trigger, and the promise form costs a promise, its resolve closure
   * and the engine's `.then` link with two closures per delivery. The receiver may be called
   * before deliverTo returns.
   */
  deliverTo?(trigger: Trigger, receiver: OutcomeReceiver): void;
}

/**
 * Delivers through deliverTo when the deliverer has it, else through its promise. A wrapping
 * deliverer passes the callback form on with this, so the stream's deliverTo is reached.
 */
export function deliverVia(deliverer: Deliverer, trigger: Trigger, receiver: OutcomeReceiver): void {
  if (deliverer.deliverTo) {
    deliverer.deliverTo(trigger, receiver);
    return;
  }
  let answer: Promise<Outcome>;
  try {
    answer = deliverer.deliver(trigger);
  } catch (error) {
    answer = Promise.reject(error); // a deliverer that throws instead of rejecting fails the attempt the same way
  }
  answerWith(answer, receiver);
}

/** Hands a promised outcome to the receiver; a rejection is a failed attempt. */
export function answerWith(answer: Promise<Outcome>, receiver: OutcomeReceiver): void {
  // Callbacks are written inline rather than as named consts: a transform that keeps function
  // names (tsx, which the bench and tests run through) would name each one at every delivery.
  answer.then(
    (outcome) => receiver.receive(outcome),
    (error: unknown) => receiver.receive({ kind: 'failed', detail: String(error) }),
  );
}
