// The JobStore contract, run against every adapter (memory, SQLite, etcd): each adapter's test
// file calls jobStoreConformance with a factory for a fresh, empty store. What a store must do
// is written here once; an adapter passes or it is wrong.
//
// Names are ordered by Unicode code point (the order of their UTF-8 bytes), which is what
// SQLite's BINARY collation and etcd's byte-ordered keys give.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobExistsError } from '../../src/core/errors.js';
import type { HistoryEntry, JobDefinition, JobKey, JobRecord, Progress } from '../../src/core/model/job.js';
import type { JobStore, ListPage } from '../../src/core/ports/job-store.js';

export interface ConformanceOptions {
  /** The history limit the factory's stores were made with. @defaultValue 20 */
  historyLimit?: number;
}

const NS = 'default';
const APP = 'app-a';

let uidCounter = 0;

export function key(name: string, appId = APP, namespace = NS): JobKey {
  return { namespace, appId, name };
}

/** A job with only the required fields; optional ones are left undefined. */
export function minimalRecord(k: JobKey, progress: Partial<Progress> = {}): JobRecord {
  const def: JobDefinition = {
    key: k,
    uid: `uid-${++uidCounter}`,
    createdAt: 1_700_000_000_000,
    failurePolicy: { kind: 'drop' },
    failurePolicySource: { drop: {} },
    target: { kind: 'app' },
    catchUp: 'all',
  };
  return { def, progress: { rev: 1, count: 0, attempts: 0, state: 'active', ...progress } };
}

/** A job due at `nextAt` (or never, when undefined). */
function dueRecord(k: JobKey, nextAt: number | undefined, extra: Partial<Progress> = {}): JobRecord {
  return minimalRecord(k, { nextAt, tickAt: nextAt, ...extra });
}

function fullRecord(k: JobKey): JobRecord {
  return {
    def: {
      key: k,
      uid: `uid-${++uidCounter}`,
      createdAt: 1_700_000_000_123,
      schedule: '@every 1h30m',
      dueTime: '2026-12-01T10:00:00Z',
      dueAt: 1_796_119_200_000,
      repeats: 7,
      ttl: '72h',
      expiresAt: 1_796_378_400_000,
      data: {
        '@type': 'type.googleapis.com/google.protobuf.StringValue',
        value: 'hé "quoted" \\ \n ✓ 🚀',
        nested: { list: [1, 2.5, -3, null, true, false, '', { deep: [[{}]] }], empty: {} },
        big: Number.MAX_SAFE_INTEGER,
        nothing: null,
      },
      failurePolicy: { kind: 'exponential', initialIntervalMs: 500, maxIntervalMs: 60_000, multiplier: 2, maxRetries: 5, jitter: 0.25 },
      failurePolicySource: { exponential: { initialInterval: '0.5s', maxRetries: 5 } },
      target: { kind: 'pubsub', name: 'orders', topic: 'due', metadata: { ttlInSeconds: '60' } },
      targetSource: { name: 'orders', topic: 'due', metadata: { ttlInSeconds: 60 } },
      catchUp: 'one',
      // W3C trace context of the caller, continued on every delivery (issue 11).
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
    },
    progress: {
      rev: 3,
      count: 12,
      attempts: 2,
      lastTrigger: 1_796_000_000_000,
      tickAt: 1_796_005_400_000,
      nextAt: 1_796_005_401_000,
      state: 'active',
      manualAt: 1_796_005_300_000,
    },
  };
}

/** The record with its payload in a state store (jobStateStore): data replaced by a reference, as the app layer stores it. */
function withDataRef(record: JobRecord, raw = false): JobRecord {
  const { data: _data, ...def } = record.def;
  const { namespace, appId, name } = def.key;
  return { ...record, def: { ...def, dataRef: { store: 'payloads', key: `duetime||${namespace}||${appId}||${name}||${def.uid}`, ...(raw ? { raw: true } : {}) } } };
}

function entry(n: number, detail?: string): HistoryEntry {
  const e: HistoryEntry = { scheduledAt: 1_000 * n, at: 1_000 * n + 7, attempt: 1, outcome: n % 2 ? 'success' : 'failed', manual: n % 3 === 0 };
  if (detail !== undefined) e.detail = detail;
  return e;
}

/** The next progress after `p`, as the engine would write it. */
function bump(p: Progress, changes: Partial<Progress> = {}): Progress {
  return { ...p, rev: p.rev + 1, count: p.count + 1, ...changes };
}

async function listAll(store: JobStore, namespace: string, appId: string, prefix?: string, limit = 7): Promise<string[]> {
  const names: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page: ListPage = await store.list(namespace, appId, { limit, prefix, after });
    names.push(...page.records.map((r) => r.def.key.name));
    if (page.next === undefined) return names;
    after = page.next;
  }
  throw new Error('list did not terminate');
}

export function jobStoreConformance(
  name: string,
  make: () => Promise<{ store: JobStore; cleanup(): Promise<void> }>,
  options: ConformanceOptions = {},
): void {
  const historyLimit = options.historyLimit ?? 20;

  describe(`JobStore conformance: ${name}`, () => {
    let store: JobStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('create and get', () => {
      it('round-trips every field of the definition and progress', async () => {
        const record = fullRecord(key('full'));
        await store.create(record, { overwrite: false });
        expect(await store.get(record.def.key)).toStrictEqual(record);
      });

      it('round-trips a job whose optional fields are undefined', async () => {
        const record = minimalRecord(key('minimal'));
        await store.create(record, { overwrite: false });
        const got = await store.get(record.def.key);
        expect(got).toEqual(record);
        for (const field of ['schedule', 'dueTime', 'dueAt', 'repeats', 'ttl', 'expiresAt', 'data'] as const) {
          expect(got?.def[field]).toBeUndefined();
        }
        for (const field of ['lastTrigger', 'tickAt', 'nextAt', 'manualAt'] as const) {
          expect(got?.progress[field]).toBeUndefined();
        }
      });

      it.each([
        ['null', null],
        ['a string', 'plain ✓'],
        ['zero', 0],
        ['false', false],
        ['an empty object', {}],
        ['an array', [1, 'two', { three: [null] }]],
      ])('keeps data that is %s', async (_label, data) => {
        const record = minimalRecord(key('data'));
        record.def.data = data;
        await store.create(record, { overwrite: false });
        const got = await store.get(record.def.key);
        expect(got?.def.data).toStrictEqual(data);
      });

      it('keeps unicode names, app ids and namespaces apart and intact', async () => {
        const keys = [key('日本語/ジョブ'), key('🚀-launch'), key('naïve'), key('naïve', 'アプリ'), key('naïve', APP, 'espacé')];
        for (const k of keys) await store.create(minimalRecord(k), { overwrite: false });
        for (const k of keys) expect((await store.get(k))?.def.key).toStrictEqual(k);
        expect(await listAll(store, NS, APP)).toEqual(['naïve', '日本語/ジョブ', '🚀-launch']);
      });

      it('returns undefined for a missing job', async () => {
        expect(await store.get(key('missing'))).toBeUndefined();
      });

      it('keeps what was stored when the caller changes its objects afterwards', async () => {
        const record = fullRecord(key('copied'));
        const snapshot = structuredClone(record);
        await store.create(record, { overwrite: false });
        record.progress.count = 99;
        (record.def.data as { nested: { empty: Record<string, unknown> } }).nested.empty.x = 1;
        const got = await store.get(snapshot.def.key);
        expect(got).toStrictEqual(snapshot);
        if (got) {
          got.progress.count = 42;
          got.def.key.name = 'renamed';
        }
        expect(await store.get(snapshot.def.key)).toStrictEqual(snapshot);
      });

      it('refuses a taken name without overwrite and changes nothing', async () => {
        const first = fullRecord(key('taken'));
        await store.create(first, { overwrite: false });
        await store.commitProgress({ key: first.def.key, uid: first.def.uid, expectedRev: 3, progress: bump(first.progress), history: entry(1) });
        const before = await store.get(first.def.key);

        const second = minimalRecord(key('taken'));
        const error = await store.create(second, { overwrite: false }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(JobExistsError);
        expect((error as JobExistsError).kind).toBe('conflict');
        expect(await store.get(first.def.key)).toStrictEqual(before);
        expect(await store.history(first.def.key, 10)).toStrictEqual([entry(1)]);
      });

      it('overwrite replaces the definition, resets progress and drops the history', async () => {
        const old = fullRecord(key('replaced'));
        await store.create(old, { overwrite: false });
        await store.commitProgress({ key: old.def.key, uid: old.def.uid, expectedRev: 3, progress: bump(old.progress), history: entry(1) });

        const fresh = minimalRecord(key('replaced'));
        expect(await store.create(fresh, { overwrite: true })).toStrictEqual(old.def);
        expect(await store.get(fresh.def.key)).toEqual(fresh);
        expect(await store.history(fresh.def.key, 10)).toEqual([]);
        // The old job's writer is now fenced off, even at the rev it would have matched.
        expect(await store.commitProgress({ key: old.def.key, uid: old.def.uid, expectedRev: 1, progress: bump(fresh.progress) })).toBe(false);
        expect(await store.get(fresh.def.key)).toEqual(fresh);
      });

      it('overwrite of a missing job creates it and answers undefined: it replaced nothing', async () => {
        const record = minimalRecord(key('new'));
        expect(await store.create(record, { overwrite: true })).toBeUndefined();
        expect(await store.get(record.def.key)).toEqual(record);
        expect(await store.create(minimalRecord(key('new-2')), { overwrite: false })).toBeUndefined();
      });

      it('a create and a get issued back to back see each other', async () => {
        const record = minimalRecord(key('back-to-back'));
        const created = store.create(record, { overwrite: false });
        const got = store.get(record.def.key);
        await created;
        expect(await got).toEqual(record);

        const deleted = store.delete(record.def.key);
        const gone = store.get(record.def.key);
        expect(await deleted).toStrictEqual(record.def);
        expect(await gone).toBeUndefined();
      });
    });

    describe('delete', () => {
      it('deletes the job and its history, and answers the definition it deleted (undefined: there was none)', async () => {
        const record = withDataRef(fullRecord(key('doomed')));
        await store.create(record, { overwrite: false });
        await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 3, progress: bump(record.progress), history: entry(1) });
        expect(await store.delete(record.def.key)).toStrictEqual(record.def);
        expect(await store.get(record.def.key)).toBeUndefined();
        expect(await store.history(record.def.key, 10)).toEqual([]);
        expect(await store.delete(record.def.key)).toBeUndefined();

        // A new job under the same name starts without the old one's history.
        await store.create(minimalRecord(key('doomed')), { overwrite: false });
        expect(await store.history(record.def.key, 10)).toEqual([]);
      });

      it('touches only the named app and namespace', async () => {
        const keys = [key('same'), key('same', 'app-b'), key('same', APP, 'other-ns')];
        for (const k of keys) await store.create(minimalRecord(k), { overwrite: false });
        expect((await store.delete(key('same')))?.key).toStrictEqual(key('same'));
        expect(await store.get(keys[1] as JobKey)).toBeDefined();
        expect(await store.get(keys[2] as JobKey)).toBeDefined();
      });
    });

    // What a create replaced or a delete removed is what the app layer discards with it (a
    // jobStateStore payload): the store's own answer, so two writes of one job at once (on one
    // replica or two) each discard exactly the job they took out of the store.
    describe('the answer of create and delete: the job the store no longer holds', () => {
      it('an overwrite answers the definition it replaced with every field, its payload reference included', async () => {
        const old = withDataRef(fullRecord(key('ref')), true);
        await store.create(old, { overwrite: false });
        await store.commitProgress({ key: old.def.key, uid: old.def.uid, expectedRev: 3, progress: bump(old.progress), history: entry(1) });
        const fresh = withDataRef(minimalRecord(key('ref')));
        expect(await store.create(fresh, { overwrite: true })).toStrictEqual(old.def);
        expect(await store.delete(fresh.def.key)).toStrictEqual(fresh.def);
      });

      it('a refused create answers nothing: the job it did not replace stays', async () => {
        const first = withDataRef(minimalRecord(key('kept')));
        await store.create(first, { overwrite: false });
        await expect(store.create(withDataRef(minimalRecord(key('kept'))), { overwrite: false })).rejects.toBeInstanceOf(JobExistsError);
        expect(await store.delete(first.def.key)).toStrictEqual(first.def);
      });

      it('two overwrites of one job issued together: each answers the job it replaced, in issue order', async () => {
        const v1 = withDataRef(minimalRecord(key('twice')));
        const v2 = withDataRef(minimalRecord(key('twice')));
        const v3 = withDataRef(minimalRecord(key('twice')));
        await store.create(v1, { overwrite: false });
        const answers = await Promise.all([store.create(v2, { overwrite: true }), store.create(v3, { overwrite: true })]);
        expect(answers).toStrictEqual([v1.def, v2.def]);
        expect((await store.get(v3.def.key))?.def).toStrictEqual(v3.def);
      });

      it('an overwrite and a delete of one job issued together: the delete answers what the overwrite wrote', async () => {
        const v1 = withDataRef(minimalRecord(key('raced')));
        const v2 = withDataRef(minimalRecord(key('raced')));
        await store.create(v1, { overwrite: false });
        const [replaced, deleted] = await Promise.all([store.create(v2, { overwrite: true }), store.delete(v1.def.key)]);
        expect(replaced).toStrictEqual(v1.def);
        expect(deleted).toStrictEqual(v2.def);
        expect(await store.get(v1.def.key)).toBeUndefined();
      });

      it('overwrites and deletes of many jobs issued together each answer their own job', async () => {
        const olds = Array.from({ length: 40 }, (_, i) => withDataRef(dueRecord(key(`many-${String(i).padStart(2, '0')}`), 5_000 + i)));
        await Promise.all(olds.map((r) => store.create(r, { overwrite: false })));
        const news = olds.map((r) => withDataRef(dueRecord(r.def.key, 9_000)));
        const answers = await Promise.all(news.map((r, i) => (i % 4 === 3 ? store.delete(r.def.key) : store.create(r, { overwrite: true }))));
        expect(answers).toStrictEqual(olds.map((r) => r.def));
        const left = await Promise.all(news.map((r) => store.delete(r.def.key)));
        expect(left).toStrictEqual(news.map((r, i) => (i % 4 === 3 ? undefined : r.def)));
      });

      it('deleteByPrefix reports the definition of each job it deleted (tombstones too), and of no other', async () => {
        const records = Array.from({ length: 70 }, (_, i) => withDataRef(dueRecord(key(`pre-${String(i).padStart(2, '0')}`), 1_000 + i)));
        for (const r of records) await store.create(r, { overwrite: false });
        for (const k of [key('pre-x', 'app-b'), key('other'), key('pre-y', APP, 'other-ns')]) await store.create(withDataRef(minimalRecord(k)), { overwrite: false });
        const first = records[0]!;
        const finish = { rev: 2, count: 1, attempts: 0, state: 'completed' as const, finishedAt: 2_000, lastTrigger: 1_000 };
        expect(await store.commitProgress({ key: first.def.key, uid: first.def.uid, expectedRev: 1, progress: finish, history: entry(1) })).toBe(true);
        const reported: JobDefinition[] = [];
        expect(await store.deleteByPrefix(NS, APP, 'pre-', { onDeleted: (def) => reported.push(def) })).toBe(70);
        const byName = (a: JobDefinition, b: JobDefinition): number => (a.key.name < b.key.name ? -1 : a.key.name > b.key.name ? 1 : 0);
        expect(reported.sort(byName)).toStrictEqual(records.map((r) => r.def));
        const none: JobDefinition[] = [];
        expect(await store.deleteByPrefix(NS, APP, 'pre-', { onDeleted: (def) => none.push(def) })).toBe(0);
        expect(none).toEqual([]);
      });
    });

    describe('deleteByPrefix', () => {
      const names = ['a', 'a-1', 'ab', 'abc', 'b', 'ba', '`a', 'é1', 'é2', 'ê', '🚀x', '🚀', '🚁'];

      beforeEach(async () => {
        for (const n of names) {
          for (const k of [key(n), key(n, 'app-b'), key(n, APP, 'other-ns')]) await store.create(minimalRecord(k), { overwrite: false });
        }
      });

      it('deletes only names with the prefix, in that app, and counts them', async () => {
        expect(await store.deleteByPrefix(NS, APP, 'a')).toBe(4);
        expect(await listAll(store, NS, APP)).toEqual(['`a', 'b', 'ba', 'é1', 'é2', 'ê', '🚀', '🚀x', '🚁']);
        expect(await listAll(store, NS, 'app-b')).toHaveLength(names.length);
        expect(await listAll(store, 'other-ns', APP)).toHaveLength(names.length);
        expect(await store.get(key('abc'))).toBeUndefined();
      });

      it('matches whole code points at the end of the prefix', async () => {
        expect(await store.deleteByPrefix(NS, APP, 'é')).toBe(2);
        expect(await store.deleteByPrefix(NS, APP, '🚀')).toBe(2);
        expect(await listAll(store, NS, APP)).toEqual(['`a', 'a', 'a-1', 'ab', 'abc', 'b', 'ba', 'ê', '🚁']);
      });

      it('an exact name is its own prefix', async () => {
        expect(await store.deleteByPrefix(NS, APP, 'abc')).toBe(1);
        expect(await store.get(key('ab'))).toBeDefined();
      });

      it('returns 0 when nothing matches', async () => {
        expect(await store.deleteByPrefix(NS, APP, 'zzz')).toBe(0);
        expect(await store.deleteByPrefix(NS, 'no-such-app', '')).toBe(0);
        expect(await listAll(store, NS, APP)).toHaveLength(names.length);
      });

      it('an empty prefix deletes all of that app only', async () => {
        expect(await store.deleteByPrefix(NS, APP, '')).toBe(names.length);
        expect(await listAll(store, NS, APP)).toEqual([]);
        expect(await listAll(store, NS, 'app-b')).toHaveLength(names.length);
        expect(await listAll(store, 'other-ns', APP)).toHaveLength(names.length);
      });

      it('deletes the history of the jobs it deletes, and no other', async () => {
        for (const k of [key('ab'), key('b'), key('ab', 'app-b')]) {
          const rec = await store.get(k);
          if (!rec) throw new Error('missing fixture');
          await store.commitProgress({ key: k, uid: rec.def.uid, expectedRev: 1, progress: bump(rec.progress), history: entry(1) });
        }
        await store.deleteByPrefix(NS, APP, 'a');
        await store.create(minimalRecord(key('ab')), { overwrite: false });
        expect(await store.history(key('ab'), 10)).toEqual([]);
        expect(await store.history(key('b'), 10)).toEqual([entry(1)]);
        expect(await store.history(key('ab', 'app-b'), 10)).toEqual([entry(1)]);
      });
    });

    describe('list', () => {
      it('lists one app in code point order', async () => {
        const names = ['b', 'a', 'é', '\uFFFD', '🚀', 'A', 'a0', 'a-'];
        for (const n of names) await store.create(minimalRecord(key(n)), { overwrite: false });
        await store.create(minimalRecord(key('zz', 'app-b')), { overwrite: false });
        await store.create(minimalRecord(key('zz', APP, 'other-ns')), { overwrite: false });
        const page = await store.list(NS, APP, { limit: 100 });
        expect(page.records.map((r) => r.def.key.name)).toEqual(['A', 'a', 'a-', 'a0', 'b', 'é', '\uFFFD', '🚀']);
        expect(page.next).toBeUndefined();
        expect(page.records[0]).toEqual(await store.get(key('A')));
      });

      it('pages with limit, next and after', async () => {
        const names = Array.from({ length: 25 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
        for (const n of [...names].reverse()) await store.create(minimalRecord(key(n)), { overwrite: false });

        const first = await store.list(NS, APP, { limit: 10 });
        expect(first.records.map((r) => r.def.key.name)).toEqual(names.slice(0, 10));
        expect(first.next).toBe('job-09');
        const second = await store.list(NS, APP, { limit: 10, after: first.next });
        expect(second.records.map((r) => r.def.key.name)).toEqual(names.slice(10, 20));
        expect(second.next).toBe('job-19');
        const third = await store.list(NS, APP, { limit: 10, after: second.next });
        expect(third.records.map((r) => r.def.key.name)).toEqual(names.slice(20));
        expect(third.next).toBeUndefined();

        expect(await listAll(store, NS, APP, undefined, 5)).toEqual(names);
        expect(await listAll(store, NS, APP, undefined, 1)).toEqual(names);
      });

      it('after need not be a stored name', async () => {
        for (const n of ['a', 'b', 'd']) await store.create(minimalRecord(key(n)), { overwrite: false });
        expect((await store.list(NS, APP, { limit: 10, after: 'c' })).records.map((r) => r.def.key.name)).toEqual(['d']);
        expect((await store.list(NS, APP, { limit: 10, after: '' })).records).toHaveLength(3);
        expect((await store.list(NS, APP, { limit: 10, after: 'd' })).records).toEqual([]);
      });

      it('filters by prefix, with paging', async () => {
        const names = ['x', 'order-1', 'order-2', 'order-3', 'order-4', 'order', 'orders', 'ordeR', 'p'];
        for (const n of names) await store.create(minimalRecord(key(n)), { overwrite: false });
        await store.create(minimalRecord(key('order-9', 'app-b')), { overwrite: false });
        expect(await listAll(store, NS, APP, 'order-', 2)).toEqual(['order-1', 'order-2', 'order-3', 'order-4']);
        expect(await listAll(store, NS, APP, 'order', 3)).toEqual(['order', 'order-1', 'order-2', 'order-3', 'order-4', 'orders']);
        const page = await store.list(NS, APP, { limit: 10, prefix: 'order-', after: 'order-2' });
        expect(page.records.map((r) => r.def.key.name)).toEqual(['order-3', 'order-4']);
        // A cursor before the prefix's range starts at the range.
        const early = await store.list(NS, APP, { limit: 10, prefix: 'order-', after: 'a' });
        expect(early.records.map((r) => r.def.key.name)).toEqual(['order-1', 'order-2', 'order-3', 'order-4']);
        expect((await store.list(NS, APP, { limit: 10, prefix: 'q' })).records).toEqual([]);
      });

      it('returns an empty page for an app with no jobs', async () => {
        await store.create(minimalRecord(key('only')), { overwrite: false });
        expect(await store.list(NS, 'app-b', { limit: 10 })).toEqual({ records: [] });
        expect(await store.list('other-ns', APP, { limit: 10 })).toEqual({ records: [] });
      });
    });

    describe('commitProgress', () => {
      let record: JobRecord;
      beforeEach(async () => {
        record = minimalRecord(key('ticking'), { nextAt: 1_000, tickAt: 1_000 });
        await store.create(record, { overwrite: false });
      });

      it('writes the new progress and bumps the revision', async () => {
        const p2 = bump(record.progress, { lastTrigger: 1_000, tickAt: 2_000, nextAt: 2_000 });
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: p2 })).toBe(true);
        expect(await store.get(record.def.key)).toEqual({ def: record.def, progress: p2 });
        const p3 = bump(p2, { attempts: 1, nextAt: 2_500 });
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 2, progress: p3 })).toBe(true);
        expect((await store.get(record.def.key))?.progress).toEqual(p3);
        expect(await store.history(record.def.key, 10)).toEqual([]);
      });

      it('can clear optional progress fields', async () => {
        const p2: Progress = { rev: 2, count: 1, attempts: 0, state: 'active', lastTrigger: 1_000 };
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: p2 })).toBe(true);
        const got = await store.get(record.def.key);
        expect(got?.progress).toEqual(p2);
        expect(got?.progress.nextAt).toBeUndefined();
        expect(await store.dueBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      });

      it('refuses a stale revision and writes nothing', async () => {
        await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress) });
        const stale = bump(record.progress, { count: 50 });
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: stale, history: entry(9) })).toBe(false);
        expect((await store.get(record.def.key))?.progress).toEqual(bump(record.progress));
        expect(await store.history(record.def.key, 10)).toEqual([]);
        // Ahead of the stored revision is refused too.
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 5, progress: { ...stale, rev: 6 } })).toBe(false);
      });

      it('refuses a writer whose job was replaced', async () => {
        const replacement = minimalRecord(key('ticking'));
        await store.create(replacement, { overwrite: true });
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress), history: entry(1) })).toBe(false);
        expect(await store.get(record.def.key)).toEqual(replacement);
        expect(await store.history(record.def.key, 10)).toEqual([]);
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: null })).toBe(false);
        expect(await store.get(record.def.key)).toEqual(replacement);
      });

      it('refuses a writer whose job was deleted, and does not bring it back', async () => {
        await store.delete(record.def.key);
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress), history: entry(1) })).toBe(false);
        expect(await store.get(record.def.key)).toBeUndefined();
        expect(await store.history(record.def.key, 10)).toEqual([]);
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: null })).toBe(false);
      });

      it('null progress deletes the job and its history', async () => {
        await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress), history: entry(1) });
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: null })).toBe(false);
        expect(await store.get(record.def.key)).toBeDefined();
        expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 2, progress: null, history: entry(2) })).toBe(true);
        expect(await store.get(record.def.key)).toBeUndefined();
        expect(await store.history(record.def.key, 10)).toEqual([]);
        expect(await store.dueBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      });

      it('rejects a progress whose rev is not expectedRev + 1', async () => {
        await expect(store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: record.progress })).rejects.toThrow();
        expect(await store.get(record.def.key)).toEqual(record);
      });

      it('appends history newest first, trimmed to the history limit', async () => {
        let progress = record.progress;
        const total = historyLimit + 5;
        for (let i = 1; i <= total; i++) {
          const next = bump(progress);
          const detail = i % 2 ? `attempt ${i}: ✗ "500"` : undefined;
          expect(await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: progress.rev, progress: next, history: entry(i, detail) })).toBe(true);
          progress = next;
          // A commit without an outcome appends nothing.
          const quiet = bump(progress);
          await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: progress.rev, progress: quiet });
          progress = quiet;
        }
        const expected = Array.from({ length: historyLimit }, (_, i) => total - i).map((n) => entry(n, n % 2 ? `attempt ${n}: ✗ "500"` : undefined));
        expect(await store.history(record.def.key, 1_000)).toEqual(expected);
        expect(await store.history(record.def.key, 3)).toEqual(expected.slice(0, 3));
        const first = (await store.history(record.def.key, 1))[0];
        expect(first?.detail).toBe(`attempt ${total}: ✗ "500"`);
      });

      it('keeps each job its own history', async () => {
        const other = minimalRecord(key('ticking', 'app-b'));
        await store.create(other, { overwrite: false });
        await store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress), history: entry(1) });
        await store.commitProgress({ key: other.def.key, uid: other.def.uid, expectedRev: 1, progress: bump(other.progress), history: entry(2) });
        expect(await store.history(record.def.key, 10)).toEqual([entry(1)]);
        expect(await store.history(other.def.key, 10)).toEqual([entry(2)]);
        expect(await store.history(key('nobody'), 10)).toEqual([]);
      });

      it('lets exactly one of two writers at the same revision win', async () => {
        const results = await Promise.all([
          store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress, { count: 10 }) }),
          store.commitProgress({ key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress, { count: 20 }) }),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.get(record.def.key))?.progress.count).toBe(results[0] ? 10 : 20);
      });

      it('commitProgressBatch (where the store has it) answers each commit as commitProgress alone would', async () => {
        if (!store.commitProgressBatch) return; // optional: the engine then commits one by one
        const other = minimalRecord(key('other'));
        const gone = minimalRecord(key('gone'));
        await store.create(other, { overwrite: false });
        await store.create(gone, { overwrite: false });
        const answers = await store.commitProgressBatch([
          { key: record.def.key, uid: record.def.uid, expectedRev: 1, progress: bump(record.progress), history: entry(1) },
          { key: other.def.key, uid: other.def.uid, expectedRev: 7, progress: { ...bump(other.progress), rev: 8 } }, // stale
          { key: gone.def.key, uid: gone.def.uid, expectedRev: 1, progress: null },
          { key: record.def.key, uid: record.def.uid, expectedRev: 2, progress: bump(bump(record.progress)), history: entry(2) }, // sees the first
        ]);
        expect(answers).toEqual([true, false, true, true]);
        expect((await store.get(record.def.key))?.progress).toEqual(bump(bump(record.progress)));
        expect(await store.history(record.def.key, 10)).toEqual([entry(2), entry(1)]);
        expect(await store.get(other.def.key)).toEqual(other);
        expect(await store.get(gone.def.key)).toBeUndefined();
        expect(await store.commitProgressBatch([])).toEqual([]);
      });
    });

    describe('dueBefore', () => {
      it('returns due jobs earliest first, at most limit, across apps and namespaces', async () => {
        await store.create(dueRecord(key('late'), 5_000), { overwrite: false });
        await store.create(dueRecord(key('first', 'app-b'), 1_000), { overwrite: false });
        await store.create(dueRecord(key('second', APP, 'other-ns'), 2_000), { overwrite: false });
        await store.create(dueRecord(key('third'), 3_000), { overwrite: false });
        await store.create(dueRecord(key('never'), undefined), { overwrite: false });

        const names = async (until: number, limit: number) => (await store.dueBefore(until, limit)).map((r) => r.def.key.name);
        expect(await names(3_000, 10)).toEqual(['first', 'second', 'third']);
        expect(await names(2_999, 10)).toEqual(['first', 'second']);
        expect(await names(10_000, 2)).toEqual(['first', 'second']);
        expect(await names(999, 10)).toEqual([]);
        expect(await names(Number.MAX_SAFE_INTEGER, 100)).toEqual(['first', 'second', 'third', 'late']);
        const [first] = await store.dueBefore(1_000, 1);
        expect(first).toEqual(await store.get(key('first', 'app-b')));
      });

      it('breaks ties by key, the same way every time', async () => {
        for (const n of ['c', 'a', 'b']) await store.create(dueRecord(key(n), 1_000), { overwrite: false });
        const once = (await store.dueBefore(1_000, 10)).map((r) => r.def.key.name);
        expect(once).toEqual(['a', 'b', 'c']);
      });

      it('skips paused jobs unless a manual trigger is waiting', async () => {
        await store.create(dueRecord(key('paused'), 1_000, { state: 'paused' }), { overwrite: false });
        await store.create(dueRecord(key('paused-manual'), 1_000, { state: 'paused', manualAt: 2_000 }), { overwrite: false });
        await store.create(dueRecord(key('paused-manual-later'), 1_000, { state: 'paused', manualAt: 9_000 }), { overwrite: false });
        const names = (await store.dueBefore(5_000, 10)).map((r) => r.def.key.name);
        expect(names).toEqual(['paused-manual']);
      });

      it('orders by the earlier of the next attempt and a manual trigger', async () => {
        await store.create(dueRecord(key('regular'), 2_000), { overwrite: false });
        await store.create(dueRecord(key('manual-first'), 8_000, { manualAt: 1_000 }), { overwrite: false });
        await store.create(dueRecord(key('manual-only'), undefined, { manualAt: 3_000 }), { overwrite: false });
        await store.create(dueRecord(key('manual-later'), 4_000, { manualAt: 9_000 }), { overwrite: false });
        const names = (await store.dueBefore(5_000, 10)).map((r) => r.def.key.name);
        expect(names).toEqual(['manual-first', 'regular', 'manual-only', 'manual-later']);
      });

      it('follows progress commits, overwrites and deletes', async () => {
        const a = dueRecord(key('a'), 1_000);
        const b = dueRecord(key('b'), 2_000);
        await store.create(a, { overwrite: false });
        await store.create(b, { overwrite: false });
        await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 1, progress: bump(a.progress, { nextAt: 3_000, tickAt: 3_000 }) });
        expect((await store.dueBefore(5_000, 10)).map((r) => r.def.key.name)).toEqual(['b', 'a']);
        await store.create(dueRecord(key('b'), 4_000), { overwrite: true });
        expect((await store.dueBefore(5_000, 10)).map((r) => r.def.key.name)).toEqual(['a', 'b']);
        await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 2, progress: bump(bump(a.progress), { state: 'paused' }) });
        expect((await store.dueBefore(5_000, 10)).map((r) => r.def.key.name)).toEqual(['b']);
        await store.delete(key('b'));
        expect(await store.dueBefore(5_000, 10)).toEqual([]);
      });

      it('may leave out the jobs the caller says it holds; the others come as without it', async () => {
        for (let i = 0; i < 10; i++) await store.create(dueRecord(key(`h${i}`), 1_000 + i), { overwrite: false });
        const all = await store.dueBefore(5_000, 8);
        for (const held of [new Set(['h1', 'h3']), new Set(['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']), new Set<string>()]) {
          const got = await store.dueBefore(5_000, 8, (k) => held.has(k.name));
          // Held jobs still count toward the limit: h8 and h9 never appear.
          expect(got.filter((r) => !held.has(r.def.key.name))).toEqual(all.filter((r) => !held.has(r.def.key.name)));
          expect(got.every((r) => all.some((a) => a.def.key.name === r.def.key.name))).toBe(true);
        }
      });

      it('dueBetween (where a store has it): from `from` on, saying where the next read starts', async (ctx) => {
        if (!store.dueBetween) return ctx.skip();
        for (const [n, at] of [['a', 1_000], ['b', 2_000], ['c', 2_000], ['d', 3_000], ['e', 9_000]] as const) await store.create(dueRecord(key(n), at), { overwrite: false });
        const read = async (from: number, until: number, limit: number, held: string[] = []) => {
          const got = await store.dueBetween!(from, until, limit, (k) => held.includes(k.name));
          return { names: got.records.map((r) => r.def.key.name), next: got.next };
        };
        expect(await read(2_000, 5_000, 10)).toEqual({ names: ['b', 'c', 'd'], next: 5_000 });
        expect(await read(2_001, 5_000, 10)).toEqual({ names: ['d'], next: 5_000 });
        expect(await read(0, 5_000, 10, ['a', 'c'])).toEqual({ names: ['b', 'd'], next: 5_000 });
        // Cut short between b and c (both due at 2,000): the next read starts at 2,000 again.
        expect(await read(0, 5_000, 2, ['a'])).toEqual({ names: ['b'], next: 2_000 });
        expect(await read(2_000, 5_000, 2, ['b'])).toEqual({ names: ['c'], next: 2_000 });
        expect(await read(0, 5_000, 0)).toEqual({ names: [], next: 0 });
        expect(await read(9_001, 9_500, 10)).toEqual({ names: [], next: 9_500 });
      });

      it('returns copies', async () => {
        await store.create(dueRecord(key('a'), 1_000), { overwrite: false });
        const [got] = await store.dueBefore(1_000, 1);
        if (got) got.progress.nextAt = 9_999;
        expect((await store.get(key('a')))?.progress.nextAt).toBe(1_000);
      });
    });

    describe('staged', () => {
      const stagedNames = async (namespace: string, appId: string, limit = 100) =>
        (await store.staged(namespace, appId, limit)).map((r) => `${r.def.key.appId}/${r.def.key.name}`);

      it('keeps staged jobs out of dueBefore and lists them per app in due order', async () => {
        await store.create(dueRecord(key('s3'), 3_000, { staged: true }), { overwrite: false });
        await store.create(dueRecord(key('s1'), 1_000, { staged: true }), { overwrite: false });
        await store.create(dueRecord(key('other', 'app-b'), 500, { staged: true }), { overwrite: false });
        await store.create(dueRecord(key('elsewhere', APP, 'ns-2'), 500, { staged: true }), { overwrite: false });
        await store.create(dueRecord(key('live'), 2_000), { overwrite: false });
        expect((await store.dueBefore(10_000, 10)).map((r) => r.def.key.name)).toEqual(['live']);
        expect(await stagedNames(NS, APP)).toEqual([`${APP}/s1`, `${APP}/s3`]);
        expect(await stagedNames(NS, APP, 1)).toEqual([`${APP}/s1`]);
        expect(await stagedNames(NS, 'app-b')).toEqual(['app-b/other']);
        expect(await stagedNames('ns-2', APP)).toEqual([`${APP}/elsewhere`]);
        expect(await stagedNames('none', APP)).toEqual([]);
        const [first] = await store.staged(NS, APP, 1);
        expect(first).toEqual(await store.get(key('s1')));
      });

      it('counts staged jobs per app', async () => {
        for (let i = 0; i < 3; i++) await store.create(dueRecord(key(`a${i}`), 1_000 + i, { staged: true }), { overwrite: false });
        await store.create(dueRecord(key('b', 'app-b'), 1_000, { staged: true }), { overwrite: false });
        await store.create(dueRecord(key('c', 'app-c'), 1_000), { overwrite: false });
        await store.create(dueRecord(key('d', APP, 'ns-2'), 1_000, { staged: true }), { overwrite: false });
        const counts = (await store.stagedCounts()).map((c) => `${c.namespace}/${c.appId}=${c.count}`).sort();
        expect(counts).toEqual([`${NS}/${APP}=3`, `${NS}/app-b=1`, `ns-2/${APP}=1`]);
      });

      it('moves a job between the indexes as its progress is committed, and forgets it on delete', async () => {
        const a = dueRecord(key('a'), 1_000);
        await store.create(a, { overwrite: false });
        const staged = bump(a.progress, { staged: true });
        expect(await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 1, progress: staged })).toBe(true);
        expect(await store.dueBefore(5_000, 10)).toEqual([]);
        expect(await stagedNames(NS, APP)).toEqual([`${APP}/a`]);
        const released = bump(staged, { staged: undefined, nextAt: 2_000, tickAt: 2_000 });
        expect(await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 2, progress: released })).toBe(true);
        expect(await stagedNames(NS, APP)).toEqual([]);
        expect((await store.dueBefore(5_000, 10)).map((r) => r.def.key.name)).toEqual(['a']);
        expect(await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 3, progress: bump(released, { staged: true }) })).toBe(true);
        expect(await store.stagedCounts()).toHaveLength(1);
        await store.delete(key('a'));
        expect(await stagedNames(NS, APP)).toEqual([]);
        expect(await store.stagedCounts()).toEqual([]);
        await store.create(dueRecord(key('b'), 1_000, { staged: true }), { overwrite: false });
        await store.create(dueRecord(key('b'), 1_000), { overwrite: true });
        expect(await stagedNames(NS, APP)).toEqual([]);
        await store.create(dueRecord(key('c'), 1_000, { staged: true }), { overwrite: false });
        expect(await store.deleteByPrefix(NS, APP, 'c')).toBe(1);
        expect(await store.stagedCounts()).toEqual([]);
      });

      it('a paused staged job is in neither index; resumed, it is staged again', async () => {
        const a = dueRecord(key('a'), 1_000, { staged: true });
        await store.create(a, { overwrite: false });
        const paused = bump(a.progress, { state: 'paused' });
        await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 1, progress: paused });
        expect(await stagedNames(NS, APP)).toEqual([]);
        expect(await store.dueBefore(5_000, 10)).toEqual([]);
        await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 2, progress: bump(paused, { state: 'active' }) });
        expect(await stagedNames(NS, APP)).toEqual([`${APP}/a`]);
      });

      it('may leave out held jobs', async () => {
        for (let i = 0; i < 5; i++) await store.create(dueRecord(key(`h${i}`), 1_000 + i, { staged: true }), { overwrite: false });
        const got = (await store.staged(NS, APP, 5, (k) => k.name === 'h1')).map((r) => r.def.key.name);
        expect(got.filter((n) => n !== 'h1')).toEqual(['h0', 'h2', 'h3', 'h4']);
      });
    });

    describe('finished jobs (tombstones)', () => {
      /** The progress the engine commits when a job has no further tick and leaves a tombstone. */
      function finished(p: Progress, at: number, state: 'completed' | 'failed' = 'completed'): Progress {
        return { rev: p.rev + 1, count: p.count + 1, attempts: 0, state, finishedAt: at, lastTrigger: p.tickAt ?? 0 };
      }

      async function tombstone(name: string, at: number, state: 'completed' | 'failed' = 'completed'): Promise<JobRecord> {
        const r = dueRecord(key(name), 1_000);
        await store.create(r, { overwrite: false });
        const progress = finished(r.progress, at, state);
        expect(await store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 1, progress, history: entry(1, 'last') })).toBe(true);
        return { def: r.def, progress };
      }

      it('keeps a finished job readable with its last history, in no index', async () => {
        const t = await tombstone('done', 5_000, 'failed');
        expect(await store.get(t.def.key)).toEqual(t);
        expect(await store.history(t.def.key, 10)).toEqual(historyLimit > 0 ? [entry(1, 'last')] : []);
        expect(await listAll(store, NS, APP)).toEqual(['done']);
        expect(await store.dueBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
        expect(await store.staged(NS, APP, 10)).toEqual([]);
        expect(await store.stagedCounts()).toEqual([]);
      });

      it('a create without overwrite replaces a tombstone: the name is free', async () => {
        const t = await tombstone('again', 5_000);
        const fresh = dueRecord(key('again'), 9_000);
        // The answer is the tombstone it replaced, as an overwrite's is the job it replaced.
        expect(await store.create(fresh, { overwrite: false })).toStrictEqual(t.def);
        expect(await store.get(t.def.key)).toEqual(fresh);
        expect(await store.history(t.def.key, 10)).toEqual([]);
        expect((await store.dueBefore(10_000, 10)).map((r) => r.def.key.name)).toEqual(['again']);
        // The job is live again: a second create without overwrite is refused.
        await expect(store.create(dueRecord(key('again'), 9_500), { overwrite: false })).rejects.toBeInstanceOf(JobExistsError);
        // And the sweep leaves it alone.
        expect(await store.purgeFinished(Number.MAX_SAFE_INTEGER, 10)).toBe(0);
        expect(await store.get(t.def.key)).toEqual(fresh);
      });

      it('delete removes a tombstone and its history', async () => {
        const t = await tombstone('gone', 5_000);
        expect(await store.delete(t.def.key)).toStrictEqual(t.def);
        expect(await store.get(t.def.key)).toBeUndefined();
        expect(await store.history(t.def.key, 10)).toEqual([]);
        expect(await store.purgeFinished(Number.MAX_SAFE_INTEGER, 10)).toBe(0);
      });

      it('purgeFinished deletes tombstones finished at or before the instant, a page at a time', async () => {
        for (let i = 0; i < 5; i++) await tombstone(`t${i}`, 1_000 * (5 - i));
        const live = dueRecord(key('live'), 1_000);
        await store.create(live, { overwrite: false });
        expect(await store.purgeFinished(3_000, 2)).toBe(2); // two of t4 (1000), t3 (2000), t2 (3000)
        const left = await listAll(store, NS, APP);
        expect(left).toHaveLength(4);
        expect(left.slice(0, 3)).toEqual(['live', 't0', 't1']); // newer than 3000: kept
        for (const gone of ['t2', 't3', 't4'].filter((n) => !left.includes(n))) expect(await store.history(key(gone), 10)).toEqual([]);
        expect(await store.purgeFinished(3_000, 10)).toBe(1); // the third
        expect(await store.purgeFinished(3_000, 10)).toBe(0);
        expect(await listAll(store, NS, APP)).toEqual(['live', 't0', 't1']);
        expect(await store.purgeFinished(Number.MAX_SAFE_INTEGER, 10)).toBe(2);
        expect(await store.get(live.def.key)).toEqual(live);
      });

      it('overwrite and deleteByPrefix take tombstones with them', async () => {
        await tombstone('p-1', 1_000);
        await tombstone('p-2', 1_000);
        await store.create(dueRecord(key('p-1'), 7_000), { overwrite: true });
        expect(await store.deleteByPrefix(NS, APP, 'p-')).toBe(2);
        expect(await store.purgeFinished(Number.MAX_SAFE_INTEGER, 10)).toBe(0);
        expect(await listAll(store, NS, APP)).toEqual([]);
      });
    });

    describe('countLive (--max-jobs-per-app), where the store keeps a count', () => {
      it('counts an app\'s live jobs through create, overwrite, finish, revive, delete and deleteByPrefix', async (context) => {
        if (!store.countLive) return context.skip();
        const count = () => store.countLive!(NS, APP);
        expect(await count()).toBe(0);
        for (const name of ['a', 'b', 'c', 'd']) await store.create(dueRecord(key(name), 1_000), { overwrite: false });
        await store.create(dueRecord(key('other'), 1_000), { overwrite: false });
        await store.create(dueRecord(key('x', 'another-app'), 1_000), { overwrite: false });
        expect(await count()).toBe(5);
        // Every app's count at once (duetime_live_jobs), where the store has it.
        if (store.liveCounts) {
          const apps = [
            { namespace: NS, appId: 'another-app', count: 1 },
            { namespace: NS, appId: APP, count: 5 },
          ].sort((a, b) => (a.appId < b.appId ? -1 : 1)); // ordered by namespace, then app id
          expect(await store.liveCounts()).toEqual(apps);
        }
        // An overwrite replaces: no change. A refused create: no change.
        await store.create(dueRecord(key('a'), 2_000), { overwrite: true });
        await expect(store.create(dueRecord(key('a'), 2_000), { overwrite: false })).rejects.toBeInstanceOf(JobExistsError);
        expect(await count()).toBe(5);
        // A job that finishes as a tombstone leaves the count; one replaced by a new create comes back.
        const b = (await store.get(key('b')))!;
        const done: Progress = { rev: 2, count: 1, attempts: 0, state: 'completed', finishedAt: 5_000, lastTrigger: 1_000 };
        expect(await store.commitProgress({ key: key('b'), uid: b.def.uid, expectedRev: 1, progress: done })).toBe(true);
        expect(await count()).toBe(4);
        await store.create(dueRecord(key('b'), 9_000), { overwrite: false });
        expect(await count()).toBe(5);
        // Finished and deleted at once; a plain delete; a tombstone purged (no change).
        const c = (await store.get(key('c')))!;
        expect(await store.commitProgress({ key: key('c'), uid: c.def.uid, expectedRev: 1, progress: null })).toBe(true);
        expect(await store.delete(key('d'))).toBeDefined();
        expect(await count()).toBe(3);
        expect(await store.deleteByPrefix(NS, APP, '')).toBe(3);
        expect(await count()).toBe(0);
        expect(await store.countLive(NS, 'another-app')).toBe(1);
        expect(await store.countLive('elsewhere', APP)).toBe(0);
        if (store.liveCounts) expect(await store.liveCounts()).toEqual([{ namespace: NS, appId: 'another-app', count: 1 }]);
      });

      it('counts writes queued together: a new app created and emptied in one batch, and a batch where one create fails', async (context) => {
        if (!store.countLive) return context.skip();
        // Not awaited one by one, so a store that commits in groups takes them in one transaction:
        // the first jobs of an app, one of them deleted and one finished before the commit.
        const first = dueRecord(key('n-1', 'new-app'), 1_000);
        const second = dueRecord(key('n-2', 'new-app'), 1_000);
        const done: Progress = { rev: 2, count: 1, attempts: 0, state: 'completed', finishedAt: 5_000, lastTrigger: 1_000 };
        const together = await Promise.all([
          store.create(first, { overwrite: false }),
          store.create(second, { overwrite: false }),
          store.create(dueRecord(key('n-3', 'new-app'), 1_000), { overwrite: false }),
          store.delete(key('n-1', 'new-app')),
          store.commitProgress({ key: key('n-2', 'new-app'), uid: second.def.uid, expectedRev: 1, progress: done }),
        ]);
        expect(together.slice(3)).toEqual([first.def, true]);
        expect(await store.countLive(NS, 'new-app')).toBe(1);
        // A batch with a refused create (the name is live): the others count, the refused one not.
        const results = await Promise.allSettled([
          store.create(dueRecord(key('n-4', 'new-app'), 1_000), { overwrite: false }),
          store.create(dueRecord(key('n-3', 'new-app'), 1_000), { overwrite: false }),
          store.create(dueRecord(key('n-2', 'new-app'), 1_000), { overwrite: false }),
          store.create(dueRecord(key('n-5', 'new-app'), 1_000), { overwrite: true }),
          store.create(dueRecord(key('n-5', 'new-app'), 2_000), { overwrite: true }),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
        // n-3, n-4, n-5 and n-2 (revived over its tombstone).
        expect(await store.countLive(NS, 'new-app')).toBe(4);
        expect(await store.deleteByPrefix(NS, 'new-app', 'n-')).toBe(4);
        expect(await store.countLive(NS, 'new-app')).toBe(0);
      });

      it('counts progress commits by what they change: finish, a finished job\'s progress, and back to live', async (context) => {
        if (!store.countLive) return context.skip();
        const job = dueRecord(key('r-1'), 1_000);
        await store.create(job, { overwrite: false });
        const commit = (expectedRev: number, progress: Progress, history?: HistoryEntry) => store.commitProgress({ key: key('r-1'), uid: job.def.uid, expectedRev, progress, ...(history ? { history } : {}) });
        const entry: HistoryEntry = { scheduledAt: 1_000, at: 1_001, attempt: 1, outcome: 'success', manual: false };
        expect(await commit(1, { rev: 2, count: 1, attempts: 0, state: 'completed', finishedAt: 5_000, lastTrigger: 1_000 }, entry)).toBe(true);
        expect(await store.countLive(NS, APP)).toBe(0);
        // A refused commit (the revision moved on) changes nothing, finished or not.
        expect(await commit(1, { rev: 2, count: 1, attempts: 0, state: 'active', tickAt: 9_000, nextAt: 9_000 })).toBe(false);
        expect(await store.countLive(NS, APP)).toBe(0);
        expect(await commit(2, { rev: 3, count: 1, attempts: 0, state: 'failed', finishedAt: 6_000, lastTrigger: 1_000 })).toBe(true);
        expect(await store.countLive(NS, APP)).toBe(0);
        expect(await commit(3, { rev: 4, count: 1, attempts: 0, state: 'active', tickAt: 9_000, nextAt: 9_000 }, entry)).toBe(true);
        expect(await store.countLive(NS, APP)).toBe(1);
        expect(await commit(4, { rev: 5, count: 2, attempts: 0, state: 'active', tickAt: 9_500, nextAt: 9_500 })).toBe(true);
        expect(await store.countLive(NS, APP)).toBe(1);
        expect((await store.get(key('r-1')))?.progress.rev).toBe(5);
      });
    });

    describe('concurrency', () => {
      it('lands 2,000 concurrent creates', async () => {
        const records = Array.from({ length: 2_000 }, (_, i) => dueRecord(key(`bulk-${String(i).padStart(4, '0')}`), 10_000 + i));
        await Promise.all(records.map((r) => store.create(r, { overwrite: false })));
        const names = await listAll(store, NS, APP, undefined, 500);
        expect(names).toEqual(records.map((r) => r.def.key.name));
        expect(await store.get(key('bulk-1234'))).toEqual(records[1234]);
        expect((await store.dueBefore(10_004, 100)).map((r) => r.def.key.name)).toEqual(['bulk-0000', 'bulk-0001', 'bulk-0002', 'bulk-0003', 'bulk-0004']);
      });

      it('fails only the conflicting creates of a concurrent burst', async () => {
        await store.create(minimalRecord(key('dup-0100')), { overwrite: false });
        const records = Array.from({ length: 500 }, (_, i) => minimalRecord(key(`dup-${String(i).padStart(4, '0')}`)));
        // The burst also names 'dup-0200' twice: the first one wins.
        records.push(minimalRecord(key('dup-0200')));
        const results = await Promise.allSettled(records.map((r) => store.create(r, { overwrite: false })));
        const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
        expect(failed).toEqual([100, 500]);
        for (const i of failed) expect((results[i] as PromiseRejectedResult).reason).toBeInstanceOf(JobExistsError);
        expect(await listAll(store, NS, APP, 'dup-', 1_000)).toHaveLength(500);
        expect((await store.get(key('dup-0200')))?.def.uid).toBe(records[200]?.def.uid);
      });

      it('applies interleaved writes in the order they were issued', async () => {
        const r = minimalRecord(key('ordered'));
        const p2 = bump(r.progress);
        const results = await Promise.all([
          store.create(r, { overwrite: false }),
          store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 1, progress: p2, history: entry(1) }),
          store.deleteByPrefix(NS, APP, 'ord'),
          store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 2, progress: bump(p2) }),
        ]);
        expect(results).toEqual([undefined, true, 1, false]);
        expect(await store.get(r.def.key)).toBeUndefined();
      });

      it('tells WriteNotice in issue order, each before its answer, and never for a failed write', async () => {
        const log: string[] = [];
        const note = (what: string) => ({ written: () => log.push(`written ${what}`) });
        const answered = (what: string) => () => log.push(`answered ${what}`);
        const taken = minimalRecord(key('wn-taken'));
        await store.create(taken, { overwrite: false });
        const a = minimalRecord(key('wn-a'));
        const b = minimalRecord(key('wn-b'));
        const calls = [
          store.create(a, { overwrite: false, ...note('create a') }).then(answered('create a')),
          store.delete(a.def.key, note('delete a')).then(answered('delete a')),
          store.create(minimalRecord(key('wn-taken')), { overwrite: false, ...note('create taken') }).then(answered('create taken'), () => log.push('refused create taken')),
          store.deleteByPrefix(NS, APP, 'wn-', note('delete wn-')).then(answered('delete wn-')),
          store.create(b, { overwrite: false, ...note('create b') }).then(answered('create b')),
        ];
        await Promise.all(calls);
        const written = log.filter((line) => line.startsWith('written'));
        expect(written).toEqual(['written create a', 'written delete a', 'written delete wn-', 'written create b']);
        for (const what of ['create a', 'delete a', 'delete wn-', 'create b']) expect(log.indexOf(`written ${what}`)).toBeLessThan(log.indexOf(`answered ${what}`));
        expect(log).toContain('refused create taken');
        expect((await store.get(b.def.key))?.def.uid).toBe(b.def.uid);
        expect(await store.get(taken.def.key)).toBeUndefined();
      });

      it('a WriteNotice that throws rejects its write\'s answer (the write stands)', async () => {
        const r = minimalRecord(key('wn-throws'));
        await expect(store.create(r, { overwrite: false, written: () => { throw new Error('listener failed'); } })).rejects.toThrow('listener failed');
        expect((await store.get(r.def.key))?.def.uid).toBe(r.def.uid);
      });

      it('a delete by prefix and then a create of a matching name, issued together: the created job stays', async () => {
        const old = minimalRecord(key('wo-old'));
        await store.create(old, { overwrite: false });
        const created = minimalRecord(key('wo-new'));
        const results = await Promise.all([store.deleteByPrefix(NS, APP, 'wo-'), store.create(created, { overwrite: false })]);
        expect(results).toEqual([1, undefined]);
        expect((await store.get(created.def.key))?.def.uid).toBe(created.def.uid);
        expect(await store.get(old.def.key)).toBeUndefined();
      });
    });
  });
}
