// Which attempt of a job is due now, as the trigger delivery gets: the pending manual trigger or
// the regular tick (the earlier of the two; a paused job has only manual ones), with its
// scheduled instant, attempt number and idempotency key. Pure: the engine calls it per dispatch.

import type { JobRecord } from '../model/job.js';
import { triggerId, type Trigger } from '../model/trigger.js';

/** The trigger due at `now` and the instant its attempt was due; undefined when none is due yet. */
export function dueTrigger(record: JobRecord, now: number): { trigger: Trigger; dueAt: number } | undefined {
  const { def, progress } = record;
  const manualDue = progress.manualNextAt ?? progress.manualAt;
  const regularDue = progress.state === 'active' ? progress.nextAt : undefined;
  const manual = manualDue !== undefined && manualDue <= now && (regularDue === undefined || manualDue <= regularDue);
  const dueAt = manual ? manualDue : regularDue;
  if (dueAt === undefined || dueAt > now) return undefined;
  const scheduledAt = manual ? progress.manualAt! : (progress.tickAt ?? dueAt);
  // The optional fields are added after the literal, not spread into it: a spread after the
  // first property is a runtime copy, and this runs once per delivery.
  const trigger: Trigger = {
    key: def.key,
    uid: def.uid,
    triggerId: triggerId(def.uid, scheduledAt, manual),
    scheduledAt,
    attempt: (manual ? (progress.manualAttempts ?? 0) : progress.attempts) + 1,
    data: def.data,
    target: def.target,
    manual,
  };
  if (def.rawData) trigger.rawData = def.rawData;
  if (def.dataRef) trigger.dataRef = def.dataRef;
  if (def.trace) trigger.trace = def.trace;
  return { trigger, dueAt };
}
