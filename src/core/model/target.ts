// Where a trigger goes (SPEC 5), as a discriminated union on `kind`. A target is validated once,
// when the job is written (parseTargetRequest, from the request's `{ [kind]: spec }`), or decoded
// once when a store reads a record written before targets were typed (decodeStoredDefinition).
// Delivery then switches on `kind` (app/delivery-router.ts, exhaustively) and never parses again.
//
// Stored shapes. Since this module, a definition holds the typed target plus `targetSource`, the
// spec as the user wrote it, which GET shows back unchanged (as failurePolicySource does for the
// policy). Records written before hold `{kind:'other', type, spec}`; they are decoded here, the
// spec becoming the source. A stored spec that today's rules refuse (a rule added since it was
// written) decodes as `unreadable`: the job still loads, lists and deletes, and each attempt fails
// with the reason, as it did when the spec was read at every trigger.

import { DuetimeError, InvalidRequestError } from '../errors.js';
import { isObject } from './failure-policy.js';
import type { JobDefinition, JobKey } from './job.js';
import {
  parseActorSpec,
  parseBindingSpec,
  parseInvokeSpec,
  parsePubsubSpec,
  parseStateSpec,
  SCHEDULE_CODE,
  type BindingSpec,
  type InvokeSpec,
  type PubsubSpec,
  type StateSpec,
} from './target-specs.js';

/** The job's own app: `POST {appUrl}/job/{name}`, or a connected stream consumer. The default. */
export interface AppTarget {
  kind: 'app';
}

/** The app target, one object shared by every job that has it (as DEFAULT_FAILURE_POLICY is), so frozen. */
export const APP_TARGET: AppTarget = Object.freeze({ kind: 'app' });

/** What the reminder APIs add to an actor target: the reminder as the user wrote it. */
export interface ActorReminder {
  name: string;
  /** The app that created the reminder: tried first when it hosts the actor type. */
  appId: string;
  dueTime?: string;
  period?: string;
  ttl?: string;
}

/** `{"actor":{"type","id"}}`: an actor call; the reminder APIs write it with `reminder`. */
export interface ActorTarget {
  kind: 'actor';
  type: string;
  id: string;
  reminder?: ActorReminder;
}

export interface PubsubTarget extends PubsubSpec {
  kind: 'pubsub';
}

export interface InvokeTarget extends InvokeSpec {
  kind: 'invoke';
}

export interface StateTarget extends StateSpec {
  kind: 'state';
}

export interface BindingTarget extends BindingSpec {
  kind: 'binding';
}

/** A bindings.cron component's job (app/targets/cron-binding-jobs.ts): `POST {appUrl}{route}`. Not accepted from requests. */
export interface InputBindingTarget {
  kind: 'inputBinding';
  name: string;
  /** Path on the app, starting with "/". */
  route: string;
}

/** A stored target that today's rules refuse (see the top of this file): every attempt fails with `problem`. */
export interface UnreadableTarget {
  kind: 'unreadable';
  /** The key it was written under (`pubsub`, ...) and its spec, shown back by GET. */
  type: string;
  spec: Record<string, unknown>;
  problem: string;
  /** The field the problem is about (target.pubsub.topic, ...), when known. */
  field?: string;
}

export type Target = AppTarget | ActorTarget | PubsubTarget | InvokeTarget | StateTarget | BindingTarget | InputBindingTarget | UnreadableTarget;
export type TargetKind = Target['kind'];
/** The target of one kind. */
export type TargetOf<K extends TargetKind> = Extract<Target, { kind: K }>;

/** The `target` keys a job request may use. */
export const REQUEST_TARGET_KINDS = ['app', 'pubsub', 'invoke', 'state', 'binding', 'actor'] as const;

/** A target as a job request wrote it, validated, with its spec as written (GET shows it back). */
export interface ParsedTarget {
  target: Target;
  /** The spec as sent; absent for the app target. */
  source?: Record<string, unknown>;
}

/** The request's `target` (`{"pubsub":{...}}`, absent for the app), or InvalidRequestError naming the field and the fix. */
export function parseTargetRequest(raw: unknown): ParsedTarget {
  if (raw === undefined || raw === null) return { target: APP_TARGET };
  if (!isObject(raw)) throw invalid('target must be an object such as {"app":{}} or {"pubsub":{"name":"p","topic":"t"}}', 'target');
  const kinds = Object.keys(raw);
  const kind = kinds[0];
  if (kinds.length !== 1 || kind === undefined || !(REQUEST_TARGET_KINDS as readonly string[]).includes(kind)) {
    throw invalid(`target takes exactly one of ${REQUEST_TARGET_KINDS.join(', ')}`, 'target');
  }
  const spec = raw[kind] ?? {};
  if (!isObject(spec)) throw invalid(`target.${kind} must be an object`, `target.${kind}`);
  const target = fromRequestSpec(kind as (typeof REQUEST_TARGET_KINDS)[number], spec);
  return target.kind === 'app' ? { target } : { target, source: spec };
}

function fromRequestSpec(kind: (typeof REQUEST_TARGET_KINDS)[number], spec: Record<string, unknown>): Target {
  switch (kind) {
    case 'app':
      return APP_TARGET;
    case 'pubsub':
      return { kind, ...parsePubsubSpec(spec) };
    case 'invoke':
      return { kind, ...parseInvokeSpec(spec) };
    case 'state':
      return { kind, ...parseStateSpec(spec) };
    case 'binding':
      return { kind, ...parseBindingSpec(spec) };
    case 'actor':
      return { kind, ...parseActorSpec(spec) };
    default:
      return unhandledTarget(kind);
  }
}

/**
 * A definition as a store read it back: records written before targets were typed
 * (`{kind:'other', type, spec}`) get the typed target and their spec as targetSource. The one
 * place old records are decoded; every store calls it on what it parses.
 */
export function decodeStoredDefinition(def: JobDefinition): JobDefinition {
  const stored = def.target as unknown;
  if (isObject(stored) && stored.kind === 'other') {
    const type = typeof stored.type === 'string' ? stored.type : '';
    const spec = isObject(stored.spec) ? stored.spec : {};
    return { ...def, target: decodeLegacyTarget(type, spec), targetSource: spec };
  }
  if (!isObject(stored) || typeof stored.kind !== 'string' || !STORED_KINDS.has(stored.kind)) {
    const kind = isObject(stored) && typeof stored.kind === 'string' ? stored.kind : '';
    return { ...def, target: { kind: 'unreadable', type: kind, spec: {}, problem: `the stored target kind "${kind}" is not one this server delivers to` } };
  }
  return def;
}

const STORED_KINDS = new Set<string>(['app', 'actor', 'pubsub', 'invoke', 'state', 'binding', 'inputBinding', 'unreadable']);

/** `{kind:'other', type, spec}` as the typed target; the rules are today's, a refusal becomes `unreadable`. */
export function decodeLegacyTarget(type: string, spec: Record<string, unknown>): Target {
  try {
    switch (type) {
      case 'pubsub':
        return { kind: type, ...parsePubsubSpec(spec) };
      case 'invoke':
        return { kind: type, ...parseInvokeSpec(spec) };
      case 'state':
        return { kind: type, ...parseStateSpec(spec) };
      case 'binding':
        return { kind: type, ...parseBindingSpec(spec) };
      case 'actor':
        return decodeLegacyActor(spec);
      case 'inputBinding': {
        const name = typeof spec.name === 'string' ? spec.name : '';
        const route = typeof spec.route === 'string' && spec.route.startsWith('/') ? spec.route : `/${name}`;
        return { kind: 'inputBinding', name, route };
      }
      default:
        return { kind: 'unreadable', type, spec, problem: `no deliverer for target "${type}"` };
    }
  } catch (error) {
    if (error instanceof DuetimeError) return { kind: 'unreadable', type, spec, problem: error.message, ...(error.field !== undefined ? { field: error.field } : {}) };
    throw error;
  }
}

/** As the actor deliverer read it at each trigger: type and id non-empty, the reminder's strings kept. */
function decodeLegacyActor(spec: Record<string, unknown>): Target {
  const { type, id } = spec;
  if (typeof type !== 'string' || typeof id !== 'string' || type === '' || id === '') {
    return { kind: 'unreadable', type: 'actor', spec, problem: 'target.actor needs a non-empty "type" and "id"' };
  }
  const raw = spec.reminder;
  if (!isObject(raw) || typeof raw.name !== 'string') return { kind: 'actor', type, id };
  const reminder: ActorReminder = { name: raw.name, appId: typeof raw.appId === 'string' ? raw.appId : '' };
  for (const field of ['dueTime', 'period', 'ttl'] as const) {
    const value = raw[field];
    if (typeof value === 'string') reminder[field] = value;
  }
  return { kind: 'actor', type, id, reminder };
}

/**
 * The target as the API shows it (`{ [kind]: spec }`), or undefined for the app target (GET
 * leaves it out): the spec as written when the job has one, else the typed fields.
 */
export function targetJson(target: Target, source?: Record<string, unknown>): Record<string, Record<string, unknown>> | undefined {
  if (target.kind === 'app') return undefined;
  if (target.kind === 'unreadable') return { [target.type]: target.spec };
  return { [target.kind]: source ?? specFields(target) };
}

function specFields(target: Exclude<Target, AppTarget | UnreadableTarget>): Record<string, unknown> {
  switch (target.kind) {
    case 'actor':
      return { type: target.type, id: target.id, ...(target.reminder ? { reminder: target.reminder } : {}) };
    case 'pubsub':
      return { name: target.name, topic: target.topic, ...(Object.keys(target.metadata).length > 0 ? { metadata: target.metadata } : {}) };
    case 'invoke':
      return { appId: target.appId, method: target.method, verb: target.verb };
    case 'state':
      return { store: target.store, key: target.key };
    case 'binding':
      return { name: target.name, operation: target.operation, ...(Object.keys(target.metadata).length > 0 ? { metadata: target.metadata } : {}) };
    case 'inputBinding':
      return { name: target.name, route: target.route };
    default:
      return unhandledTarget(target);
  }
}

/** What one actor trigger calls. */
export interface ActorCall {
  actorType: string;
  actorId: string;
  reminderName: string;
  /** The app whose reminder this is: it gets the call when it hosts the type. */
  ownerAppId: string;
  dueTime: string;
  period: string;
}

/**
 * The actor call of an actor target, the one place it is read (actor deliverer, actor routing,
 * WatchJobs): an actor target without a reminder (a job's) is called under the job's name, as
 * its app's.
 */
export function actorCallOf(target: Target, key: JobKey): ActorCall | undefined {
  if (target.kind !== 'actor') return undefined;
  const reminder = target.reminder;
  return {
    actorType: target.type,
    actorId: target.id,
    reminderName: reminder?.name ?? key.name,
    ownerAppId: reminder?.appId || key.appId,
    dueTime: reminder?.dueTime ?? '',
    period: reminder?.period ?? '',
  };
}

/** The exhaustive check of a switch on a target's kind: a kind added and not handled fails to compile. */
export function unhandledTarget(target: never): never {
  throw new Error(`unhandled target ${JSON.stringify(target)}`);
}

function invalid(message: string, field: string): InvalidRequestError {
  return new InvalidRequestError(SCHEDULE_CODE, message, field);
}
