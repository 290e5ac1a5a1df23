// Holding one call of a store or a target at a chosen point, for the race tests: the call does
// its work (or not yet), waits until the test lets it go, and the test lands another operation
// in between.

import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';
import type { ScriptedDeliverer } from '../../../src/testing/scripted-deliverer.js';

/** One held call: `reached` resolves once the call waits in wait(); open() lets it go on. */
export interface Gate {
  reached: Promise<void>;
  open(): void;
}

export function gate(): Gate & { wait(): Promise<void> } {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    reached,
    open,
    wait: () => {
      reach();
      return opened;
    },
  };
}

/** A delivery answered later: `answer` settles it. */
export function pending(): { outcome: Promise<Outcome>; answer(outcome: Outcome): void } {
  let answer!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => (answer = resolve));
  return { outcome, answer };
}

/** Sets the target's answers (now, or a promise settled later), noting in maxOpen each job's most deliveries open at once. */
export function respondCounting(target: ScriptedDeliverer, maxOpen: Map<string, number>, answer: (trigger: Trigger) => Outcome | Promise<Outcome>): void {
  const open = new Map<string, number>();
  target.respond = async (trigger) => {
    const name = trigger.key.name;
    const now = (open.get(name) ?? 0) + 1;
    open.set(name, now);
    maxOpen.set(name, Math.max(maxOpen.get(name) ?? 0, now));
    try {
      return await answer(trigger);
    } finally {
      open.set(name, open.get(name)! - 1);
    }
  };
}
