// The Deliverer contract, run against every deliverer (deliver-http, deliver-invoke's invoke and
// cron input binding, deliver-actor, deliver-stream) with a real receiver: each runner calls
// delivererConformance with a harness that aims triggers at its receiver and sets how the
// receiver answers. What a delivery must do is written here once:
//
// - deliver() never rejects: every answer, error and timeout is an Outcome;
// - the outcome mapping: an accepting answer (2xx, or a stream's SUCCESS) is done; a server error
//   (5xx, or FAILED), no answer within the delivery timeout, and a refused connection are
//   failed, with a detail saying which, within the timeout; no endpoint to deliver to is staged;
//   a 404 is done (the job callback's rule, as Dapr's);
// - the receiver gets what it needs to de-duplicate: the trigger id, the attempt and the
//   scheduled time, the same trigger id on every attempt of a tick, and the job's data;
// - after close, deliver() still resolves (failed or staged, never done) and a second close is fine.
//
// Deliverers whose documented rule differs say so in `differs` (invoke: a 404 is a missing
// method, so failed; invoke and cron bindings: an unregistered app is failed, not staged; a stream
// whose write breaks hands the trigger back, staged).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome, Trigger } from '../../src/core/model/trigger.js';
import type { Deliverer } from '../../src/core/ports/deliverer.js';
import { timed } from '../integration/components/helpers.js';

/** How the receiver answers the next deliveries. */
export type ReceiverMode = 'accept' | 'not-found' | 'server-error' | 'silent';
/** Where the deliverer's triggers are aimed: the receiver, a port that refuses, or nowhere (no endpoint). */
export type Aim = 'receiver' | 'refused' | 'none';

/** What the receiver saw of one delivery. */
export interface Seen {
  triggerId: string;
  attempt: number;
  /** The scheduled instant, ms. */
  scheduledAt: number;
  /** The job's data as received; absent when the deliverer carries none (cron bindings). */
  data?: unknown;
}

export interface DelivererHarness {
  deliverer: Deliverer;
  /** The delivery timeout the deliverer was made with, ms. */
  timeoutMs: number;
  /** Builds a trigger this deliverer handles, for a job of the receiver's app. */
  trigger(fields: Pick<Trigger, 'triggerId' | 'attempt' | 'scheduledAt' | 'data'>): Trigger;
  /** The receiver answers every following delivery this way. */
  answer(mode: ReceiverMode): void;
  aim(where: Aim): void;
  /** Everything the receiver saw since the last drain, in arrival order; clears it. */
  drain(): Seen[];
  /** False when the deliverer sends no job data (cron bindings POST an empty body). */
  carriesData: boolean;
  /** Not applicable modes (a stream has no 404). */
  unsupported?: ReceiverMode[];
  /** Outcomes that differ from the common rule, by documented design of this deliverer. */
  differs?: { notFound?: Outcome['kind']; refused?: Outcome['kind']; noEndpoint?: Outcome['kind'] };
  /** Closes the deliverer (its connections); the suite calls it last, twice. */
  close(): Promise<void>;
  /** Frees the receiver (and the deliverer, if the suite did not get to close it). */
  cleanup(): Promise<void>;
}

const SLACK_MS = 3_000;

const EDGE_DATA = { text: 'hé "quoted" \\ \n ✓ 🚀', n: [0, -2.5, Number.MAX_SAFE_INTEGER], nothing: null, empty: { list: [], object: {} } };

let triggerCounter = 0;

export function delivererConformance(name: string, setup: () => Promise<DelivererHarness>): void {
  describe(`Deliverer conformance: ${name}`, () => {
    let h: DelivererHarness;
    const fresh = (attempt = 1, data: unknown = { n: ++triggerCounter }): Trigger =>
      h.trigger({ triggerId: `conf-${Date.now().toString(36)}-${++triggerCounter}-t`, attempt, scheduledAt: Date.UTC(2030, 0, 1, 0, 0, triggerCounter), data });
    /** One delivery, checked never to reject and to settle within the timeout. */
    const deliver = async (trigger: Trigger): Promise<Outcome> => {
      const run = await timed(() => h.deliverer.deliver(trigger));
      expect(run.error).toBeUndefined();
      expect(run.ms).toBeLessThan(h.timeoutMs + SLACK_MS);
      return run.value!;
    };
    const skipIf = (mode: ReceiverMode) => h.unsupported?.includes(mode) ?? false;

    beforeAll(async () => {
      h = await setup();
    });

    afterAll(async () => {
      await h?.cleanup();
    });

    const prepare = (mode: ReceiverMode, where: Aim = 'receiver'): void => {
      h.answer(mode);
      h.aim(where);
      h.drain();
    };

    it('an accepting answer is done, and the receiver gets the trigger id, attempt, scheduled time and data', async () => {
      prepare('accept');
      const trigger = fresh(1, EDGE_DATA);
      expect((await deliver(trigger)).kind).toBe('done');
      const [seen, ...more] = h.drain();
      expect(more).toEqual([]);
      expect(seen).toMatchObject({ triggerId: trigger.triggerId, attempt: 1, scheduledAt: trigger.scheduledAt });
      if (h.carriesData) expect(seen?.data).toStrictEqual(EDGE_DATA);
    });

    it('every attempt of one tick carries the same trigger id and its own attempt number', async () => {
      prepare('accept');
      const first = fresh(1);
      await deliver(first);
      await deliver({ ...first, attempt: 2 });
      expect(h.drain().map((s) => [s.triggerId, s.attempt])).toEqual([
        [first.triggerId, 1],
        [first.triggerId, 2],
      ]);
    });

    it('a server error is failed, saying so', async (ctx) => {
      if (skipIf('server-error')) return ctx.skip();
      prepare('server-error');
      const outcome = await deliver(fresh());
      expect(outcome.kind).toBe('failed');
      expect(outcome.detail).toMatch(/500|FAILED/);
    });

    it(`a 404 is done (or as the deliverer documents)`, async (ctx) => {
      if (skipIf('not-found')) return ctx.skip();
      prepare('not-found');
      expect((await deliver(fresh())).kind).toBe(h.differs?.notFound ?? 'done');
    });

    it('no answer within the delivery timeout is failed, at the timeout', async () => {
      prepare('silent');
      const run = await timed(() => h.deliverer.deliver(fresh()));
      expect(run.value?.kind).toBe('failed');
      expect(run.value?.detail).toMatch(/timeout|within/i);
      expect(run.ms).toBeGreaterThanOrEqual(h.timeoutMs - 50);
      expect(run.ms).toBeLessThan(h.timeoutMs + SLACK_MS);
    });

    it('a refused connection is failed, naming the error (or as the deliverer documents)', async () => {
      prepare('accept', 'refused');
      const outcome = await deliver(fresh());
      const expected = h.differs?.refused ?? 'failed';
      expect(outcome.kind).toBe(expected);
      if (expected === 'failed') expect(outcome.detail).toMatch(/ECONNREFUSED|refused/i);
    });

    it('no endpoint to deliver to is staged (or as the deliverer documents)', async () => {
      prepare('accept', 'none');
      expect((await deliver(fresh())).kind).toBe(h.differs?.noEndpoint ?? 'staged');
      expect(h.drain()).toEqual([]);
    });

    it('delivers a concurrent burst, each once, and works again after failures', async () => {
      prepare('accept');
      const triggers = Array.from({ length: 20 }, () => fresh());
      const outcomes = await Promise.all(triggers.map((t) => deliver(t)));
      expect(outcomes.every((o) => o.kind === 'done')).toBe(true);
      expect(h.drain().map((s) => s.triggerId).sort()).toEqual(triggers.map((t) => t.triggerId).sort());
    });

    it('after close, a delivery resolves without reaching the receiver, and closing twice is fine', async () => {
      prepare('accept');
      await h.close();
      const outcome = await deliver(fresh());
      expect(['failed', 'staged']).toContain(outcome.kind);
      expect(h.drain()).toEqual([]);
      await h.close(); // a second close must not reject
    });
  });
}
