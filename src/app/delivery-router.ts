// Picks the channel for each trigger: a connected stream consumer of the app (gRPC WatchJobs)
// first, else the app's HTTP endpoint, else the trigger is staged until one appears. Targets
// other than the app go to the channel registered for their kind (components, actors).

import type { Outcome, Trigger } from '../core/model/trigger.js';
import type { Deliverer } from '../core/ports/deliverer.js';

/** A consumer channel that may or may not have a live consumer for an app right now. */
export interface ConsumerChannel extends Deliverer {
  hasConsumer(namespace: string, appId: string): boolean;
}

export class DeliveryRouter implements Deliverer {
  private readonly byTargetType = new Map<string, Deliverer>();
  private stream: ConsumerChannel | undefined;

  constructor(private readonly http: Deliverer) {}

  /** Stream consumers (WatchJobs) take an app's triggers while connected. */
  useStream(stream: ConsumerChannel): void {
    this.stream = stream;
  }

  /** Triggers whose target is `{ [type]: ... }` go to this deliverer. */
  route(targetType: string, deliverer: Deliverer): void {
    this.byTargetType.set(targetType, deliverer);
  }

  deliver(trigger: Trigger): Promise<Outcome> {
    const target = trigger.target;
    if (target.kind === 'app') {
      if (this.stream?.hasConsumer(trigger.key.namespace, trigger.key.appId)) return this.stream.deliver(trigger);
      return this.http.deliver(trigger);
    }
    const deliverer = this.byTargetType.get(target.type);
    if (!deliverer) return Promise.resolve({ kind: 'failed', detail: `no deliverer for target "${target.type}"` });
    return deliverer.deliver(trigger);
  }
}
