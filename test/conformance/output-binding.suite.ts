// The OutputBinding contract, run against every output binding adapter (today bindings.http)
// with a real receiver on loopback: each adapter's runner calls outputBindingConformance with a
// harness that makes bindings and tells what the receiver got. What an invoke must do is
// written here once:
//
// - on success: the data reaches the receiver unchanged (JSON edge values included), every call
//   of a burst, and the binding is healthy;
// - on a dead receiver (never started, stopped, or one that never answers): invoke() rejects
//   within the component's timeouts naming the component; once a call failed on it, healthy() is
//   false and lastError() says why; once the receiver is back, the next call succeeds and the
//   binding is healthy again;
// - on close: later calls reject, healthy() is false, and a second close is fine.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingRequest, OutputBinding } from '../../src/core/ports/output-binding.js';
import { eventually, timed } from '../integration/components/helpers.js';

export interface OutputBindingHarness {
  /** How the component names itself in errors, e.g. `binding "webhook" (bindings.http)`. */
  label: string;
  /** An operation that delivers the request's data to the receiver (bindings.http: create). */
  operation: string;
  /** The longest one call may take to fail when the receiver is gone or silent, ms. */
  rejectWithinMs: number;
  /** A new binding aimed at the running receiver. */
  make(): Promise<OutputBinding>;
  /** A new binding aimed at a loopback port where nothing listens. */
  makeUnreachable(): Promise<OutputBinding>;
  /** The data of every call the receiver got since the last drain, in arrival order; clears them. */
  drain(): unknown[];
  /** Stops the receiver (its port refuses connections). */
  stopReceiver(): Promise<void>;
  /** Starts it again on the same port. */
  startReceiver(): Promise<void>;
  /** While true, the receiver takes calls but never answers them. */
  silence(on: boolean): void;
  cleanup(): Promise<void>;
}

const SLACK_MS = 3_000;

const EDGE_DATA = {
  text: 'hé "quoted" \\ \n\t ✓ 🚀 <&> \u2028',
  numbers: [0, -1, 2.5, -3.75e-7, Number.MAX_SAFE_INTEGER, 1e21],
  flags: [true, false],
  nothing: null,
  empty: { string: '', list: [], object: {} },
  nested: { list: [1, 'two', { three: [[{}]] }] },
};

export function outputBindingConformance(name: string, setup: () => Promise<OutputBindingHarness>): void {
  describe(`OutputBinding conformance: ${name}`, () => {
    let h: OutputBindingHarness;
    let binding: OutputBinding;
    const made: OutputBinding[] = [];
    const make = async (factory: () => Promise<OutputBinding>): Promise<OutputBinding> => {
      const b = await factory();
      made.push(b);
      return b;
    };
    const call = (data: unknown): BindingRequest => ({ operation: h.operation, data, metadata: {} });
    const bound = () => h.rejectWithinMs + SLACK_MS;

    beforeAll(async () => {
      h = await setup();
      binding = await make(() => h.make());
    });

    afterAll(async () => {
      h?.silence(false);
      await Promise.all(made.map((b) => b.close().catch(() => undefined)));
      await h?.cleanup();
    });

    describe('on success', () => {
      it.each([
        ['an object of edge values', EDGE_DATA],
        ['a string', 'plain'],
        ['a number', -2.5],
        ['null', null],
        ['an empty array', []],
      ])('delivers %s to the receiver unchanged', async (_what, data) => {
        h.drain();
        await binding.invoke(call(data));
        expect(h.drain()).toStrictEqual([JSON.parse(JSON.stringify(data)) as unknown]);
        expect(binding.healthy()).toBe(true);
        expect(binding.lastError()).toBeUndefined();
      });

      it('delivers every call of a concurrent burst', async () => {
        h.drain();
        await Promise.all(Array.from({ length: 20 }, (_, i) => binding.invoke(call({ i }))));
        const got = h.drain() as Array<{ i: number }>;
        expect(got.map((d) => d.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      });
    });

    describe('on a dead receiver', () => {
      it('never started: rejects within its timeouts naming the component, then reports why', async () => {
        const dead = await make(() => h.makeUnreachable());
        const attempt = await timed(() => dead.invoke(call(1)));
        expect(attempt.error?.message).toContain(h.label);
        expect(attempt.ms).toBeLessThan(bound());
        expect(dead.healthy()).toBe(false);
        expect(dead.lastError()).toMatch(/ECONNREFUSED|refused|connect/i);
      });

      it('stopped: rejects within its timeouts, is unhealthy with the cause, and works again once the receiver is back', async () => {
        await h.stopReceiver();
        try {
          const attempt = await timed(() => binding.invoke(call('while-down')));
          expect(attempt.error?.message).toContain(h.label);
          expect(attempt.ms).toBeLessThan(bound());
          expect(binding.healthy()).toBe(false);
          expect(binding.lastError()).toMatch(/ECONNREFUSED|refused|connect|closed|socket/i);
        } finally {
          await h.startReceiver();
        }
        h.drain();
        await eventually('a call to succeed again', async () => (await binding.invoke(call('back')).then(() => true, () => false)), 20_000);
        expect(h.drain()).toContain('back');
        expect(binding.healthy()).toBe(true);
      });

      it('silent: a call the receiver never answers rejects within its timeouts', async () => {
        h.silence(true);
        try {
          const attempt = await timed(() => binding.invoke(call('unanswered')));
          expect(attempt.error?.message).toContain(h.label);
          expect(attempt.ms).toBeLessThan(bound());
          expect(binding.lastError()).toBeTruthy();
        } finally {
          h.silence(false);
        }
        await binding.invoke(call('answered'));
        expect(binding.healthy()).toBe(true);
      });
    });

    describe('on close', () => {
      it('rejects later calls at once, is unhealthy, and can be closed twice', async () => {
        const b = await make(() => h.make());
        await b.invoke(call('before-close'));
        await b.close();
        expect(b.healthy()).toBe(false);
        const attempt = await timed(() => b.invoke(call('after-close')));
        expect(attempt.error?.message).toMatch(/closed/);
        expect(attempt.ms).toBeLessThan(SLACK_MS);
        await expect(b.close()).resolves.toBeUndefined();
      });
    });
  });
}
