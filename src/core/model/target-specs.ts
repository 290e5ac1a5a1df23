// The shapes of the extension targets (SPEC 5) as a request writes them: one parser per kind,
// run once when a job is written (target.ts parseTargetRequest) and when a record stored before
// targets were typed is decoded (target.ts decodeStoredTarget). Errors name the field and the fix.

import { InvalidRequestError } from '../errors.js';
import { checkSegmentName } from './segment-name.js';

export const SCHEDULE_CODE = 'DAPR_SCHEDULER_SCHEDULE_JOB';

/** `{"pubsub":{"name","topic","metadata"?}}`: publish the data to a topic. */
export interface PubsubSpec {
  name: string;
  topic: string;
  metadata: Record<string, string>;
}

/** `{"invoke":{"appId","method","verb"?}}`: call a registered app's method. */
export interface InvokeSpec {
  appId: string;
  method: string;
  verb: InvokeVerb;
}

/** `{"state":{"store","key"}}`: save the data under the key. */
export interface StateSpec {
  store: string;
  key: string;
}

/** `{"binding":{"name","operation","metadata"?}}`: invoke an output binding. */
export interface BindingSpec {
  name: string;
  operation: string;
  metadata: Record<string, string>;
}

/** `{"actor":{"type","id"}}`: call an actor (a reminder without one of the reminder APIs). */
export interface ActorSpec {
  type: string;
  id: string;
}

export const INVOKE_VERBS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type InvokeVerb = (typeof INVOKE_VERBS)[number];

/** The component target types (the other request kinds are app and actor). */
export const COMPONENT_TARGET_TYPES = ['pubsub', 'invoke', 'state', 'binding'] as const;

export function parsePubsubSpec(spec: Record<string, unknown>): PubsubSpec {
  allowOnly(spec, 'pubsub', ['name', 'topic', 'metadata']);
  return {
    name: requiredString(spec, 'pubsub', 'name', '"events" (a pubsub component\'s metadata.name)'),
    topic: requiredString(spec, 'pubsub', 'topic', '"orders"'),
    metadata: stringMap(spec.metadata, 'target.pubsub.metadata'),
  };
}

export function parseInvokeSpec(spec: Record<string, unknown>): InvokeSpec {
  allowOnly(spec, 'invoke', ['appId', 'method', 'verb']);
  const appId = requiredString(spec, 'invoke', 'appId', '"billing" (a registered app)');
  const method = requiredString(spec, 'invoke', 'method', '"orders/close"').replace(/^\/+/, '');
  // The method becomes the request path on the app: nothing that would leave it or add a query.
  // eslint-disable-next-line no-control-regex
  if (method === '' || /[?#\\\s\u0000-\u001f\u007f]/.test(method) || method.split('/').some((part) => part === '..' || part === '.')) {
    throw invalid('target.invoke.method', `target.invoke.method "${method}" must be a path such as "orders/close": no spaces, ?, #, \\ or . / .. segments`);
  }
  const verbRaw = spec.verb ?? 'POST';
  if (typeof verbRaw !== 'string' || !(INVOKE_VERBS as readonly string[]).includes(verbRaw.toUpperCase())) {
    throw invalid('target.invoke.verb', `target.invoke.verb must be one of ${INVOKE_VERBS.join(', ')} (default POST)`);
  }
  return { appId, method, verb: verbRaw.toUpperCase() as InvokeVerb };
}

export function parseStateSpec(spec: Record<string, unknown>): StateSpec {
  allowOnly(spec, 'state', ['store', 'key']);
  return {
    store: requiredString(spec, 'state', 'store', '"cache" (a state store component\'s metadata.name)'),
    key: requiredString(spec, 'state', 'key', '"report-latest"'),
  };
}

export function parseBindingSpec(spec: Record<string, unknown>): BindingSpec {
  allowOnly(spec, 'binding', ['name', 'operation', 'metadata']);
  return {
    name: requiredString(spec, 'binding', 'name', '"webhook" (a bindings component\'s metadata.name)'),
    operation: requiredString(spec, 'binding', 'operation', '"create"'),
    metadata: stringMap(spec.metadata, 'target.binding.metadata'),
  };
}

/** An actor target as a job request writes it: the reminder details belong to the reminder APIs. */
export function parseActorSpec(spec: Record<string, unknown>): ActorSpec {
  allowOnly(spec, 'actor', ['type', 'id']);
  const type = requiredString(spec, 'actor', 'type', '"Cart" (an actor type an app hosts)');
  const id = requiredString(spec, 'actor', 'id', '"cart-42"');
  // Both are segments of the actor's callback URL (Dapr's name rule).
  checkSegmentName(type, 'actor type', 'target.actor.type', SCHEDULE_CODE);
  checkSegmentName(id, 'actor id', 'target.actor.id', SCHEDULE_CODE);
  return { type, id };
}

function requiredString(spec: Record<string, unknown>, kind: string, field: string, example: string): string {
  const value = spec[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`target.${kind}.${field}`, `target.${kind}.${field} is required: a non-empty string such as ${example}`);
  }
  return value.trim();
}

function allowOnly(spec: Record<string, unknown>, kind: string, allowed: string[]): void {
  for (const key of Object.keys(spec)) {
    if (!allowed.includes(key)) throw invalid(`target.${kind}.${key}`, `target.${kind}.${key} is not a known field; known: ${allowed.join(', ')}`);
  }
}

/** Metadata is a map of strings, as Dapr's; numbers and booleans are taken as their text. */
function stringMap(raw: unknown, field: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid(field, `${field} must be an object of string values such as {"ttlInSeconds":"60"}`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    else throw invalid(`${field}.${key}`, `${field}.${key} must be a string`);
  }
  return out;
}

function invalid(field: string, message: string): InvalidRequestError {
  return new InvalidRequestError(SCHEDULE_CODE, message, field);
}
