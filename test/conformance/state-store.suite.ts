// The StateStore contract, run against every state store adapter (state.redis,
// state.postgresql, state.sqlite) with its real server: each adapter's runner calls
// stateStoreConformance with a harness that makes stores. What a store must do is written here
// once:
//
// - a save/get/delete round trip gives back exactly the JSON value saved, the awkward ones
//   included (unicode, escapes, big and tiny numbers, empty containers, null), under awkward keys;
//   an absent key reads as undefined and deleting it is no error;
// - on a dead server (never started, or stopped under it): every operation rejects within the
//   component's timeouts naming the component, healthy() is false with lastError() saying why, and
//   once the server is back the store works again by itself (runners without a server, SQLite,
//   skip this part);
// - on close: later operations reject, healthy() is false, and a second close is fine.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/core/ports/state-store.js';
import { eventually, timed } from '../integration/components/helpers.js';

export interface StateStoreHarness {
  /** How the component names itself in errors, e.g. `state "payloads" (state.redis)`. */
  label: string;
  /** The longest one operation may take to reject when the server is gone, ms (the adapter's own bound). */
  rejectWithinMs: number;
  /** A new store on the running server (or a fresh file). */
  make(): Promise<StateStore>;
  /** Present when the store talks to a server that can be down. */
  server?: {
    /** A new store pointed at a loopback port where nothing listens. */
    makeUnreachable(): Promise<StateStore>;
    /** Stops the server, keeping its port and data. */
    stop(): Promise<void>;
    /** Starts it again and waits until it answers. */
    start(): Promise<void>;
  };
  /** Frees everything the harness holds (servers, files). */
  cleanup(): Promise<void>;
}

/** Room for a loaded 2-core machine on top of the component's own timeouts. */
const SLACK_MS = 3_000;
const NOTICE_MS = 20_000;
const RECONNECT_MS = 60_000;

/** JSON values a job's payload may be, the awkward ones included. */
export const EDGE_VALUES: Array<[string, unknown]> = [
  ['an object', { job: 'nightly', n: 1, nested: { list: [1, 'two', null, { deep: [[{}]] }] } }],
  ['a string with escapes and non-ASCII', 'hé "quoted" \\ / \n\r\t\b\f ✓ 🚀 <&> \u2028\u2029'],
  ['the empty string', ''],
  ['zero', 0],
  ['a negative fraction', -3.75e-7],
  ['the largest safe integer', Number.MAX_SAFE_INTEGER],
  ['a large exponent', 1e21],
  ['true', true],
  ['false', false],
  ['null', null],
  ['an empty array', []],
  ['an empty object', {}],
  ['an array of mixed values', [1, 2.5, -3, null, true, false, '', 'x', [], {}]],
  ['an object with awkward member names', { '': 1, 'a.b': 2, 'sp ace': 3, 'é': 4, '"q"': 5, ['__proto__']: 6 }],
  ['a string with a NUL character', 'before\u0000after'],
  ['a string with a lone surrogate', 'half \ud800 pair'],
];

const EDGE_KEYS = ['app1||nightly', 'with space', 'slash/and:colon', 'é✓🚀', "quote'\"", 'k'.repeat(200)];

export function stateStoreConformance(name: string, setup: () => Promise<StateStoreHarness>): void {
  describe(`StateStore conformance: ${name}`, () => {
    let h: StateStoreHarness;
    let store: StateStore;
    const made: StateStore[] = [];
    const make = async (factory: () => Promise<StateStore>): Promise<StateStore> => {
      const s = await factory();
      made.push(s);
      return s;
    };
    const bound = () => h.rejectWithinMs + SLACK_MS;
    let keyCounter = 0;
    const freshKey = (what: string) => `conf-${what}-${Date.now().toString(36)}-${++keyCounter}`;

    beforeAll(async () => {
      h = await setup();
      store = await make(() => h.make());
      await eventually('the store to be healthy', () => store.healthy(), RECONNECT_MS);
    });

    afterAll(async () => {
      await Promise.all(made.map((s) => s.close().catch(() => undefined)));
      await h?.cleanup();
    });

    describe('on success', () => {
      it.each(EDGE_VALUES)('gives back %s exactly as saved', async (_what, value) => {
        const key = freshKey('edge');
        await store.save(key, value);
        const got = await store.get(key);
        expect(got).toStrictEqual(JSON.parse(JSON.stringify(value)) as unknown);
      });

      it('saves undefined as null', async () => {
        const key = freshKey('undef');
        await store.save(key, undefined);
        expect(await store.get(key)).toBeNull();
      });

      it('keeps every key apart, the awkward ones included', async () => {
        await Promise.all(EDGE_KEYS.map((key, i) => store.save(key, { i })));
        for (const [i, key] of EDGE_KEYS.entries()) expect(await store.get(key)).toEqual({ i });
      });

      it('overwrites, deletes, reads an absent key as undefined, and deletes an absent key without error', async () => {
        const key = freshKey('cycle');
        expect(await store.get(key)).toBeUndefined();
        await store.save(key, { v: 1 });
        await store.save(key, 'replaced');
        expect(await store.get(key)).toBe('replaced');
        await store.delete(key);
        expect(await store.get(key)).toBeUndefined();
        await expect(store.delete(key)).resolves.toBeUndefined();
        await expect(store.delete(freshKey('never-saved'))).resolves.toBeUndefined();
        expect(store.healthy()).toBe(true);
        expect(store.lastError()).toBeUndefined();
      });

      it('sees its own writes across a concurrent burst', async () => {
        const keys = Array.from({ length: 50 }, () => freshKey('burst'));
        await Promise.all(keys.map((key, i) => store.save(key, i)));
        expect(await Promise.all(keys.map((key) => store.get(key)))).toEqual(keys.map((_, i) => i));
      });
    });

    describe('on a dead server', () => {
      it('never started: every operation rejects within its timeouts naming the component, and it reports why', async (ctx) => {
        if (h.server === undefined) return ctx.skip();
        const dead = await make(() => h.server!.makeUnreachable());
        for (const op of [() => dead.save('k', 1), () => dead.get('k'), () => dead.delete('k')]) {
          const attempt = await timed(op);
          expect(attempt.error?.message).toContain(h.label);
          expect(attempt.ms).toBeLessThan(bound());
        }
        expect(dead.healthy()).toBe(false);
        expect(dead.lastError()).toMatch(/ECONNREFUSED|refused|connect/i);
      });

      it('stopped under it: unhealthy with the cause, rejects within its timeouts, and works again once the server is back', async (ctx) => {
        if (h.server === undefined) return ctx.skip();
        const key = freshKey('outage');
        await store.save(key, 'before');
        await h.server.stop();
        try {
          await eventually('the store to notice the server went away', () => !store.healthy(), NOTICE_MS);
          expect(store.lastError()).toBeTruthy();
          for (const op of [() => store.save(key, 1), () => store.get(key), () => store.delete(key)]) {
            const attempt = await timed(op);
            expect(attempt.error?.message).toContain(h.label);
            expect(attempt.ms).toBeLessThan(bound());
          }
          expect(store.healthy()).toBe(false);
        } finally {
          await h.server.start();
        }
        await eventually('the store to work again', async () => (await store.get(key).catch(() => 'failed')) === 'before', RECONNECT_MS);
        await store.save(key, { back: true });
        expect(await store.get(key)).toEqual({ back: true });
        await eventually('the store to report healthy', () => store.healthy(), NOTICE_MS);
      });
    });

    describe('on close', () => {
      it('rejects later operations at once, is unhealthy, and can be closed twice', async () => {
        const s = await make(() => h.make());
        await eventually('a new store to be healthy', () => s.healthy(), RECONNECT_MS);
        await s.save('closing', 1);
        await s.close();
        expect(s.healthy()).toBe(false);
        for (const op of [() => s.save('closing', 2), () => s.get('closing'), () => s.delete('closing')]) {
          const attempt = await timed(op);
          expect(attempt.error?.message).toMatch(/closed/);
          expect(attempt.ms).toBeLessThan(SLACK_MS);
        }
        await expect(s.close()).resolves.toBeUndefined();
        // What it saved before closing is there for the next store.
        const next = await make(() => h.make());
        await eventually('another store to be healthy', () => next.healthy(), RECONNECT_MS);
        expect(await next.get('closing')).toBe(1);
      });
    });
  });
}
