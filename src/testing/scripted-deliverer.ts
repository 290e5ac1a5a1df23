import type { Clock } from '../core/clock.js';
import type { Outcome, Trigger } from '../core/model/trigger.js';
import type { Deliverer } from '../core/ports/deliverer.js';

export interface Delivery {
  trigger: Trigger;
  /** Clock time when delivery was asked for. */
  at: number;
}

/**
 * An in-process target for engine unit tests: records every trigger with the clock's time and
 * answers with whatever the test's `respond` returns (default: done).
 */
export class ScriptedDeliverer implements Deliverer {
  readonly deliveries: Delivery[] = [];
  respond: (trigger: Trigger) => Outcome | Promise<Outcome> = () => ({ kind: 'done' });

  constructor(private readonly clock: Clock) {}

  async deliver(trigger: Trigger): Promise<Outcome> {
    this.deliveries.push({ trigger, at: this.clock.now() });
    return this.respond(trigger);
  }

  /** Deliveries of one job, by name. */
  of(name: string): Delivery[] {
    return this.deliveries.filter((d) => d.trigger.key.name === name);
  }
}
