import type { Outcome, Trigger } from '../model/trigger.js';

/**
 * Hands a trigger to its target and reports the outcome. Never throws: a failure of any kind is
 * an Outcome, so the engine has one path for all of them.
 */
export interface Deliverer {
  deliver(trigger: Trigger): Promise<Outcome>;
}
