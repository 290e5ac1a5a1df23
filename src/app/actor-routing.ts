// Actor reminders go to a WatchJobs consumer that hosts the actor type when one is connected
// (SPEC 5/7: apps without an inbound port), else to an HTTP app hosting it.

import { actorCallOf } from '../core/model/target.js';
import type { Outcome, Trigger } from '../core/model/trigger.js';
import type { Deliverer } from '../core/ports/deliverer.js';

export interface ActorHostStreams {
  hasActorHost(namespace: string, actorType: string): boolean;
  deliverToActorHost(trigger: Trigger, actorType: string): Promise<Outcome>;
}

export class ActorRouting implements Deliverer {
  constructor(
    private readonly http: Deliverer,
    private readonly streams: ActorHostStreams,
  ) {}

  deliver(trigger: Trigger): Promise<Outcome> {
    const actorType = actorCallOf(trigger.target, trigger.key)?.actorType;
    if (actorType && this.streams.hasActorHost(trigger.key.namespace, actorType)) return this.streams.deliverToActorHost(trigger, actorType);
    return this.http.deliver(trigger);
  }
}
