// Where a reminder lives in the job store. Each reminder is a job of the app that created it, but
// filed under a reserved app id, "<appId>/actor-reminders". App ids with "/" are refused by every
// API (names.ts), so no caller can reach these jobs through the jobs API: they never show in its
// listings, cannot be created, overwritten or deleted there, and never collide with a job name.
// Within the reserved app, the job name is "<type>||<id>||<name>" (Dapr's own reminder key
// layout) with each part escaped so that "|" cannot appear in it: the mapping is one-to-one, and
// one actor's reminders share the prefix "<type>||<id>||".

import { InvalidRequestError } from '../../core/errors.js';
import type { JobKey } from '../../core/model/job.js';
import { MAX_NAME_LENGTH } from '../../core/model/names.js';
import { checkSegmentName } from '../../core/model/segment-name.js';

export const REMINDER_APP_SUFFIX = '/actor-reminders';
const SEPARATOR = '||';
// "%" (the escape itself), "|" (the separator), and what job names may not hold (names.ts).
// eslint-disable-next-line no-control-regex
const ESCAPED = /[%|/\\#?\u0000-\u001f\u007f]/g;

export interface ReminderRef {
  actorType: string;
  actorId: string;
  name: string;
}

export interface Owner {
  namespace: string;
  appId: string;
}

export const CREATE_CODE = 'ERR_ACTOR_REMINDER_CREATE';

/** The reserved app id under which an app's reminders are stored. */
export function reminderAppId(appId: string): string {
  return `${appId}${REMINDER_APP_SUFFIX}`;
}

/** The owning app of a reserved reminder app id, or undefined when it is not one. */
export function ownerOfReminderApp(appId: string): string | undefined {
  return appId.endsWith(REMINDER_APP_SUFFIX) ? appId.slice(0, -REMINDER_APP_SUFFIX.length) : undefined;
}

/** The job key of a reminder; throws InvalidRequestError for a blank part or a name too long. */
export function reminderJobKey(owner: Owner, ref: ReminderRef, code = CREATE_CODE): JobKey {
  const parts: Array<[string, string]> = [
    ['actor type', ref.actorType],
    ['actor id', ref.actorId],
    ['reminder name', ref.name],
  ];
  for (const [what, value] of parts) {
    if (value.trim() === '') throw new InvalidRequestError(code, `the ${what} is empty; give a non-blank ${what}`, what.replace(' ', ''));
  }
  const name = actorPrefix(ref.actorType, ref.actorId) + escapePart(ref.name);
  if (name.length > MAX_NAME_LENGTH) {
    throw new InvalidRequestError(
      code,
      `actor type, actor id and reminder name together take ${name.length} characters once stored; the limit is ${MAX_NAME_LENGTH}: shorten one of them`,
      'name',
    );
  }
  return { namespace: owner.namespace, appId: reminderAppId(owner.appId), name };
}

/**
 * Dapr's rules for a reminder being written (create, or ScheduleJob for an actor): its name, its
 * actor's id and type become segments of the app's URL path (segment-name.ts). Reads and deletes
 * do not check, so a reminder stored before the rule can still be found and removed.
 */
export function checkReminderRef(ref: ReminderRef, code = CREATE_CODE): void {
  checkSegmentName(ref.actorType, 'actor type', 'actorType', code);
  checkSegmentName(ref.actorId, 'actor id', 'actorId', code);
  checkSegmentName(ref.name, 'reminder name', 'name', code);
}

/** The job-name prefix shared by every reminder of one actor. */
export function actorPrefix(actorType: string, actorId: string): string {
  return escapePart(actorType) + SEPARATOR + escapePart(actorId) + SEPARATOR;
}

/**
 * The job-name prefix of a set of reminders, as Dapr's scheduler selects them by JobMetadata:
 * every reminder of an actor type (no `actorId`), of one actor, of the actors whose ids start with
 * `actorId` (`idIsPrefix`), or of one actor's reminders whose names start with `namePrefix`.
 * Escaping maps each character on its own, so the escaped prefix is a prefix of every escaped
 * key it should match, and of no other.
 */
export function reminderPrefix(actorType: string, actorId = '', options: { idIsPrefix?: boolean; namePrefix?: string } = {}): string {
  if (actorType.trim() === '') throw new InvalidRequestError(CREATE_CODE, 'the actor type is empty; give a non-blank actor type', 'actorType');
  const typePart = escapePart(actorType) + SEPARATOR;
  if (options.idIsPrefix) return typePart + escapePart(actorId);
  if (actorId === '') return typePart;
  return actorPrefix(actorType, actorId) + escapePart(options.namePrefix ?? '');
}

/** Reads a reminder's job name back into its parts; undefined when it is not one. */
export function parseReminderJobName(jobName: string): ReminderRef | undefined {
  const parts = jobName.split(SEPARATOR);
  if (parts.length !== 3) return undefined;
  const [actorType, actorId, name] = parts.map(unescapePart) as [string, string, string];
  return { actorType, actorId, name };
}

export function escapePart(part: string): string {
  return part.replace(ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function unescapePart(part: string): string {
  return part.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
