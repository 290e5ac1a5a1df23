// What one actor trigger calls, read from the job's typed actor target (core/model/target.ts
// actorCallOf, the one reader): the reminders service writes its `reminder` (name, owning app,
// the strings the user sent); an actor target without one is called by its job name.

import { actorCallOf, type ActorCall } from '../../core/model/target.js';
import type { Trigger } from '../../core/model/trigger.js';

export type { ActorCall };

export function readActorCall(trigger: Trigger): ActorCall | undefined {
  return actorCallOf(trigger.target, trigger.key);
}
