import { describe, expect, it } from 'vitest';
import { decodeDefinition } from '../../../src/adapters/store-etcd/records.js';
import { DeliveryRouter } from '../../../src/app/delivery-router.js';
import { toJobView } from '../../../src/app/job-view.js';
import { InvalidRequestError } from '../../../src/core/errors.js';
import { initialProgress } from '../../../src/core/engine/progression.js';
import type { JobDefinition, JobKey } from '../../../src/core/model/job.js';
import { parseJobRequest } from '../../../src/core/model/job-request.js';
import { actorCallOf, decodeStoredDefinition, parseTargetRequest, targetJson, type Target } from '../../../src/core/model/target.js';
import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';
import type { Deliverer } from '../../../src/core/ports/deliverer.js';

const key: JobKey = { namespace: 'default', appId: 'app', name: 'j' };

function refusal(raw: unknown): InvalidRequestError {
  try {
    parseTargetRequest(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('the target was accepted');
}

/** A definition as a store held it before targets were typed. */
function oldDef(type: string, spec: Record<string, unknown>): JobDefinition {
  const { def } = parseJobRequest(key, { dueTime: '1h' }, 0, 'uid');
  return { ...def, target: { kind: 'other', type, spec } as unknown as Target };
}

describe('a job request\'s target, validated once', () => {
  it('is typed per kind, with the spec kept as written', () => {
    expect(parseTargetRequest(undefined)).toEqual({ target: { kind: 'app' } });
    expect(parseTargetRequest({ app: {} })).toEqual({ target: { kind: 'app' } });
    const pubsub = { name: 'events', topic: 'orders', metadata: { ttlInSeconds: 60 } };
    expect(parseTargetRequest({ pubsub })).toEqual({ target: { kind: 'pubsub', name: 'events', topic: 'orders', metadata: { ttlInSeconds: '60' } }, source: pubsub });
    expect(parseTargetRequest({ invoke: { appId: 'billing', method: '/close', verb: 'put' } }).target).toEqual({ kind: 'invoke', appId: 'billing', method: 'close', verb: 'PUT' });
    expect(parseTargetRequest({ state: { store: 's', key: 'k' } }).target).toEqual({ kind: 'state', store: 's', key: 'k' });
    expect(parseTargetRequest({ binding: { name: 'b', operation: 'create' } }).target).toEqual({ kind: 'binding', name: 'b', operation: 'create', metadata: {} });
    expect(parseTargetRequest({ actor: { type: 'Cart', id: '42' } }).target).toEqual({ kind: 'actor', type: 'Cart', id: '42' });
  });

  it('is refused with the field and the fix', () => {
    expect(refusal({ pubsub: { name: 'events' } })).toMatchObject({ code: 'DAPR_SCHEDULER_SCHEDULE_JOB', field: 'target.pubsub.topic', message: 'target.pubsub.topic is required: a non-empty string such as "orders"' });
    expect(refusal({ invoke: { appId: 'a', method: 'm', verb: 'FETCH' } }).field).toBe('target.invoke.verb');
    expect(refusal({ actor: { type: 'Cart' } }).field).toBe('target.actor.id');
    expect(refusal({ inputBinding: { name: 'n' } }).message).toBe('target takes exactly one of app, pubsub, invoke, state, binding, actor');
    expect(refusal({ state: 'x' }).field).toBe('target.state');
    expect(() => parseJobRequest(key, { dueTime: '1h', target: { state: { store: 's' } } }, 0, 'uid')).toThrow(/target\.state\.key is required/);
  });

  it('is shown back by GET as written, or from its fields when the server built it', () => {
    const { def } = parseJobRequest(key, { dueTime: '1h', target: { invoke: { appId: 'billing', method: '/close' } } }, 0, 'uid');
    expect(toJobView({ def, progress: initialProgress(def, undefined) }).target).toEqual({ invoke: { appId: 'billing', method: '/close' } });
    expect(targetJson({ kind: 'app' })).toBeUndefined();
    expect(targetJson({ kind: 'inputBinding', name: 'tick', route: '/tick' })).toEqual({ inputBinding: { name: 'tick', route: '/tick' } });
    expect(targetJson({ kind: 'actor', type: 'T', id: '1', reminder: { name: 'r', appId: 'a' } })).toEqual({ actor: { type: 'T', id: '1', reminder: { name: 'r', appId: 'a' } } });
    expect(targetJson({ kind: 'pubsub', name: 'p', topic: 't', metadata: {} })).toEqual({ pubsub: { name: 'p', topic: 't' } });
  });
});

describe('records stored before targets were typed', () => {
  it('decode into the union, the old spec becoming the source GET shows', () => {
    const spec = { name: 'events', topic: 'orders' };
    const def = decodeStoredDefinition(oldDef('pubsub', spec));
    expect(def.target).toEqual({ kind: 'pubsub', name: 'events', topic: 'orders', metadata: {} });
    expect(def.targetSource).toEqual(spec);
    expect(toJobView({ def, progress: initialProgress(def, undefined) }).target).toEqual({ pubsub: spec });

    expect(decodeStoredDefinition(oldDef('invoke', { appId: 'a', method: '/m' })).target).toEqual({ kind: 'invoke', appId: 'a', method: 'm', verb: 'POST' });
    expect(decodeStoredDefinition(oldDef('inputBinding', { name: 'tick', route: '/tick' })).target).toEqual({ kind: 'inputBinding', name: 'tick', route: '/tick' });
  });

  it('decode an actor reminder with its reminder, and read it as the actor deliverer did', () => {
    const reminder = { name: 'expire', appId: 'carts', dueTime: '10s', period: '1m' };
    const def = decodeStoredDefinition(oldDef('actor', { type: 'Cart', id: 'c-1', reminder }));
    expect(def.target).toEqual({ kind: 'actor', type: 'Cart', id: 'c-1', reminder });
    expect(actorCallOf(def.target, key)).toEqual({ actorType: 'Cart', actorId: 'c-1', reminderName: 'expire', ownerAppId: 'carts', dueTime: '10s', period: '1m' });
    // Without a reminder, the job's name and app.
    expect(actorCallOf({ kind: 'actor', type: 'Cart', id: 'c-1' }, key)).toMatchObject({ reminderName: 'j', ownerAppId: 'app', dueTime: '', period: '' });
  });

  it('keep a spec today\'s rules refuse as unreadable, with the reason and the field', () => {
    const def = decodeStoredDefinition(oldDef('pubsub', { pubsubName: 'orders', topic: 'due' }));
    expect(def.target).toEqual({
      kind: 'unreadable',
      type: 'pubsub',
      spec: { pubsubName: 'orders', topic: 'due' },
      problem: 'target.pubsub.pubsubName is not a known field; known: name, topic, metadata',
      field: 'target.pubsub.pubsubName',
    });
    expect(decodeStoredDefinition(oldDef('actor', { type: 'Cart' })).target).toMatchObject({ kind: 'unreadable', problem: 'target.actor needs a non-empty "type" and "id"' });
    expect(decodeStoredDefinition(oldDef('kafka', { topic: 't' })).target).toMatchObject({ kind: 'unreadable', type: 'kafka', problem: 'no deliverer for target "kafka"' });
  });

  it('leave records of today\'s shape as they are; the etcd store decodes its values the same way', () => {
    const { def } = parseJobRequest(key, { dueTime: '1h', target: { state: { store: 's', key: 'k' } } }, 0, 'uid');
    expect(decodeStoredDefinition(def)).toBe(def);
    expect(decodeDefinition(Buffer.from(JSON.stringify(def)))).toEqual(def);
    const old = decodeDefinition(Buffer.from(JSON.stringify(oldDef('state', { store: 's', key: 'k' }))));
    expect(old.target).toEqual({ kind: 'state', store: 's', key: 'k' });
    expect(old.targetSource).toEqual({ store: 's', key: 'k' });
  });
});

describe('delivery by kind', () => {
  class Recording implements Deliverer {
    readonly seen: string[] = [];
    constructor(private readonly label: string) {}
    deliver(trigger: Trigger): Promise<Outcome> {
      this.seen.push(`${this.label}:${trigger.target.kind}`);
      return Promise.resolve({ kind: 'done' });
    }
  }
  const trigger = (target: Target): Trigger => ({ key, uid: 'u', triggerId: 't', scheduledAt: 0, attempt: 1, data: undefined, target, manual: false });

  it('sends each kind to its deliverer, fails an unreadable target with its reason and a kind without a deliverer', async () => {
    const http = new Recording('http');
    const components = new Recording('routed');
    const router = new DeliveryRouter(http);
    router.route('state', components);
    router.route('actor', components);
    await router.deliver(trigger({ kind: 'app' }));
    await router.deliver(trigger({ kind: 'state', store: 's', key: 'k' }));
    await router.deliver(trigger({ kind: 'actor', type: 'T', id: '1' }));
    expect([...http.seen, ...components.seen]).toEqual(['http:app', 'routed:state', 'routed:actor']);
    expect(await router.deliver(trigger({ kind: 'unreadable', type: 'pubsub', spec: {}, problem: 'target.pubsub.name is required' }))).toEqual({ kind: 'failed', detail: 'target.pubsub.name is required' });
    expect(await router.deliver(trigger({ kind: 'binding', name: 'b', operation: 'create', metadata: {} }))).toEqual({ kind: 'failed', detail: 'no deliverer for target "binding"' });
  });
});
