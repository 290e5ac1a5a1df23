import { describe, expect, it } from 'vitest';
import { ComponentDirectory } from '../../../src/app/targets/component-directory.js';
import { createTargetCheck } from '../../../src/app/targets/target-check.js';
import { decodeLegacyTarget } from '../../../src/core/model/target.js';
import { parseInvokeSpec, parsePubsubSpec } from '../../../src/core/model/target-specs.js';
import { InvalidRequestError } from '../../../src/core/errors.js';
import type { JobKey, Target } from '../../../src/core/model/job.js';
import type { OutputBinding } from '../../../src/core/ports/output-binding.js';
import type { Publisher } from '../../../src/core/ports/publisher.js';
import type { StateStore } from '../../../src/core/ports/state-store.js';

// Only names matter to the check: the ports are never called here.
const port = {} as Publisher & StateStore & OutputBinding;
const directory = new ComponentDirectory(
  {
    pubsubs: new Map([['events', port], ['internal', port]]),
    stateStores: new Map([['cache', port]]),
    bindings: new Map([['webhook', port]]),
    jobStateStoreName: 'cache',
  },
  new Map([
    ['events', { type: 'pubsub.redis', scopes: [] }],
    ['internal', { type: 'pubsub.nats', scopes: ['billing'] }],
    ['cache', { type: 'state.redis', scopes: [] }],
    ['webhook', { type: 'bindings.http', scopes: [] }],
  ]),
);
const apps = {
  endpoint: (namespace: string, appId: string) => (namespace === 'default' && ['app', 'billing'].includes(appId) ? {} : undefined),
  list: () => [
    { namespace: 'default', appId: 'billing' },
    { namespace: 'default', appId: 'app' },
    { namespace: 'other', appId: 'elsewhere' },
  ],
};
const key: JobKey = { namespace: 'default', appId: 'app', name: 'j' };
const check = createTargetCheck({ components: directory, apps });
// A target of the old `{kind:'other', type, spec}` form, as a store decodes it (a refused spec is `unreadable`).
const other = (type: string, spec: Record<string, unknown>): Target => decodeLegacyTarget(type, spec);

function refusal(target: Target, k: JobKey = key): InvalidRequestError {
  try {
    check(target, k);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('the target was accepted');
}

describe('target check', () => {
  it('accepts the app target and targets naming known components', () => {
    expect(() => check({ kind: 'app' }, key)).not.toThrow();
    expect(() => check(other('pubsub', { name: 'events', topic: 't', metadata: { a: 'b', n: 1 } }), key)).not.toThrow();
    expect(() => check(other('state', { store: 'cache', key: 'k' }), key)).not.toThrow();
    expect(() => check(other('binding', { name: 'webhook', operation: 'get' }), key)).not.toThrow();
    expect(() => check(other('invoke', { appId: 'billing', method: 'm' }), key)).not.toThrow();
  });

  it('names the unknown component, the field and the known ones', () => {
    const error = refusal(other('pubsub', { name: 'nope', topic: 't' }));
    expect(error.code).toBe('DAPR_SCHEDULER_SCHEDULE_JOB');
    expect(error.field).toBe('target.pubsub.name');
    expect(error.message).toBe('target.pubsub.name "nope" is not a pub/sub component; known pub/sub components: events, internal');
    expect(refusal(other('state', { store: 'x', key: 'k' })).message).toBe('target.state.store "x" is not a state store; known state stores: cache');
  });

  it('honours component scopes', () => {
    expect(refusal(other('pubsub', { name: 'internal', topic: 't' })).message).toMatch(/scoped to apps billing; app "app" cannot use it/);
    expect(() => check(other('pubsub', { name: 'internal', topic: 't' }), { ...key, appId: 'billing' })).not.toThrow();
  });

  it('allows invoke only to apps registered in the job\'s namespace', () => {
    expect(refusal(other('invoke', { appId: 'elsewhere', method: 'm' })).message).toBe(
      'target.invoke.appId "elsewhere" is not a registered app in namespace "default"; registered apps: app, billing (register it with PUT /v1.0/apps/{appId} or the config file)',
    );
  });

  it('refuses unknown fields, bad metadata, binding operations and payload keys of the jobStateStore', () => {
    expect(refusal(other('pubsub', { name: 'events', topic: 't', extra: 1 })).message).toMatch(/target\.pubsub\.extra is not a known field/);
    expect(refusal(other('pubsub', { name: 'events', topic: 't', metadata: { a: {} } })).field).toBe('target.pubsub.metadata.a');
    expect(refusal(other('binding', { name: 'webhook', operation: 'send' })).field).toBe('target.binding.operation');
    expect(refusal(other('state', { store: 'cache', key: 'duetime||x' })).field).toBe('target.state.key');
  });

  it('leaves other target types to the fallback, refusing them without one', () => {
    expect(refusal(other('actor', { type: 'T', id: '1' })).message).toBe('target "actor" is not supported by this server');
    const seen: string[] = [];
    const withFallback = createTargetCheck({ components: directory, apps, fallback: (t) => void seen.push(t.kind) });
    withFallback(other('actor', { type: 'T', id: '1' }), key);
    expect(seen).toEqual(['actor']);
  });
});

describe('target specs', () => {
  it('normalises the invoke verb and method, with POST by default', () => {
    expect(parseInvokeSpec({ appId: 'a', method: '/orders/close' })).toEqual({ appId: 'a', method: 'orders/close', verb: 'POST' });
    expect(parseInvokeSpec({ appId: 'a', method: 'x', verb: 'delete' }).verb).toBe('DELETE');
    for (const method of ['../admin', 'a/./b', 'a?b=1', 'a b', 'a#b']) expect(() => parseInvokeSpec({ appId: 'a', method })).toThrow(InvalidRequestError);
  });

  it('reads pubsub metadata values as text', () => {
    expect(parsePubsubSpec({ name: 'p', topic: 't', metadata: { ttlInSeconds: 60, rawPayload: true } }).metadata).toEqual({ ttlInSeconds: '60', rawPayload: 'true' });
  });
});
