// What one actor trigger calls, read from the job's target `{actor:{type, id, reminder?}}`: the
// reminders service writes `reminder` (name, owning app, the strings the user sent); a job
// scheduled with an actor target and no `reminder` is called by its job name.

import type { Trigger } from '../../core/model/trigger.js';

export interface ActorCall {
  actorType: string;
  actorId: string;
  reminderName: string;
  /** The app whose reminder this is: it gets the call when it hosts the type. */
  ownerAppId: string;
  dueTime: string;
  period: string;
}

export function readActorCall(trigger: Trigger): ActorCall | undefined {
  const target = trigger.target;
  if (target.kind !== 'other' || target.type !== 'actor') return undefined;
  const { type, id } = target.spec;
  if (typeof type !== 'string' || typeof id !== 'string' || type === '' || id === '') return undefined;
  const raw = target.spec.reminder;
  const reminder = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    actorType: type,
    actorId: id,
    reminderName: text(reminder.name) ?? trigger.key.name,
    ownerAppId: text(reminder.appId) ?? trigger.key.appId,
    dueTime: text(reminder.dueTime) ?? '',
    period: text(reminder.period) ?? '',
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
