import { describe, expect, it } from 'vitest';
import { discardFinishedPayloads } from '../../../src/app/payloads/finished-payloads.js';
import { JobPayloads } from '../../../src/app/payloads/job-payloads.js';
import { payloadKey } from '../../../src/app/payloads/payload-key.js';
import { PayloadLoadingDeliverer } from '../../../src/app/payloads/payload-loading-deliverer.js';
import { UnavailableError } from '../../../src/core/errors.js';
import { TypedEmitter, type EngineEvents } from '../../../src/core/events.js';
import { DEFAULT_FAILURE_POLICY } from '../../../src/core/model/failure-policy.js';
import type { JobDefinition } from '../../../src/core/model/job.js';
import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';
import type { StateStore } from '../../../src/core/ports/state-store.js';

/** An in-memory state store that can be switched off. */
class MemoryStateStore implements StateStore {
  readonly values = new Map<string, string>();
  down = false;
  healthy = (): boolean => !this.down;
  lastError = (): string | undefined => undefined;
  async save(key: string, value: unknown): Promise<void> {
    this.check();
    this.values.set(key, JSON.stringify(value));
  }
  async get(key: string): Promise<unknown> {
    this.check();
    const text = this.values.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }
  async delete(key: string): Promise<void> {
    this.check();
    this.values.delete(key);
  }
  async close(): Promise<void> {}
  private check(): void {
    if (this.down) throw new Error('connection refused');
  }
}

const key = { namespace: 'ns', appId: 'app', name: 'job' };
const def = (extra: Partial<JobDefinition> = {}): JobDefinition => ({
  key,
  uid: 'u1',
  createdAt: 0,
  dueTime: '1s',
  dueAt: 1000,
  failurePolicy: DEFAULT_FAILURE_POLICY,
  failurePolicySource: {},
  target: { kind: 'app' },
  catchUp: 'all',
  ...extra,
});

function setup(): { store: MemoryStateStore; payloads: JobPayloads; warnings: string[] } {
  const store = new MemoryStateStore();
  const warnings: string[] = [];
  const payloads = new JobPayloads(new Map([['s', store]]), 's', (message) => warnings.push(message));
  return { store, payloads, warnings };
}

describe('JobPayloads', () => {
  it('moves data to the store under duetime||ns||app||name||uid and reads it back', async () => {
    const { store, payloads } = setup();
    const stored = await payloads.externalize(def({ data: { a: 1 } }), 'CODE');
    expect(stored.data).toBeUndefined();
    expect(stored.dataRef).toEqual({ store: 's', key: 'duetime||ns||app||job||u1' });
    expect(payloadKey(key, 'u1')).toBe('duetime||ns||app||job||u1');
    expect(store.values.get('duetime||ns||app||job||u1')).toBe('{"a":1}');
    expect((await payloads.inline(stored, 'CODE')).data).toEqual({ a: 1 });
  });

  it('keeps a job without payload (or without a jobStateStore) as it is', async () => {
    const { payloads } = setup();
    const plain = def();
    expect(await payloads.externalize(plain, 'CODE')).toBe(plain);
    const off = new JobPayloads(new Map(), undefined);
    const withData = def({ data: 1 });
    expect(await off.externalize(withData, 'CODE')).toBe(withData);
  });

  it('round-trips a gRPC raw payload', async () => {
    const { payloads } = setup();
    const stored = await payloads.externalize(def({ rawData: { typeUrl: 't', value: 'AAE=' } }), 'CODE');
    expect(stored.dataRef?.raw).toBe(true);
    expect(await payloads.load(stored.dataRef!)).toEqual({ rawData: { typeUrl: 't', value: 'AAE=' } });
  });

  it('turns store failures into 503s at schedule and GET time, and only warns on removal', async () => {
    const { store, payloads, warnings } = setup();
    const stored = await payloads.externalize(def({ data: 1 }), 'CODE');
    store.down = true;
    await expect(payloads.externalize(def({ data: 1 }), 'CODE')).rejects.toBeInstanceOf(UnavailableError);
    await expect(payloads.inline(stored, 'GET_CODE')).rejects.toMatchObject({ code: 'GET_CODE', message: expect.stringMatching(/could not read the job's data \(key duetime\|\|ns\|\|app\|\|job\|\|u1\): connection refused/) });
    await payloads.discard(stored.dataRef, 'deleted');
    expect(warnings).toEqual(["could not remove the payload of a deleted job; delete the key by hand"]);
  });
});

describe('PayloadLoadingDeliverer', () => {
  const trigger = (extra: Partial<Trigger>): Trigger => ({ key, uid: 'u1', triggerId: 't', scheduledAt: 0, attempt: 1, data: undefined, target: { kind: 'app' }, manual: false, ...extra });

  it('hands on the trigger with its data read back, or fails the attempt when it cannot be read', async () => {
    const { store, payloads } = setup();
    const seen: Trigger[] = [];
    const deliverer = new PayloadLoadingDeliverer({ deliver: async (t): Promise<Outcome> => (seen.push(t), { kind: 'done' }) }, payloads);
    const stored = await payloads.externalize(def({ data: { x: 1 } }), 'CODE');
    expect(await deliverer.deliver(trigger({ dataRef: stored.dataRef! }))).toEqual({ kind: 'done' });
    expect(seen[0]!.data).toEqual({ x: 1 });
    expect(seen[0]).not.toHaveProperty('dataRef');
    store.values.clear();
    expect(await deliverer.deliver(trigger({ dataRef: stored.dataRef! }))).toEqual({ kind: 'failed', detail: 'the job\'s data is missing from state store "s" (key duetime||ns||app||job||u1)' });
    expect(await deliverer.deliver(trigger({ dataRef: { store: 'gone', key: 'k' } }))).toMatchObject({ kind: 'failed', detail: expect.stringMatching(/state store "gone".*is not configured/) });
  });
});

describe('discardFinishedPayloads', () => {
  it('removes the payload the finished event names, and nothing for a job without one', async () => {
    const { store, payloads } = setup();
    const events = new TypedEmitter<EngineEvents>();
    discardFinishedPayloads(events, payloads);
    const first = await payloads.externalize(def({ data: 1 }), 'CODE');
    const second = await payloads.externalize(def({ uid: 'u2', data: 2 }), 'CODE');
    expect(store.values.size).toBe(2);
    events.emit('finished', { key, count: 1 }); // a job without a payload
    events.emit('finished', { key, count: 1, dataRef: first.dataRef! });
    await new Promise((resolve) => setImmediate(resolve));
    expect([...store.values.keys()]).toEqual([second.dataRef!.key]);
  });
});
