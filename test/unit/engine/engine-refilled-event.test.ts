// The engine says when a refill took jobs into memory ('refilled', with how many): the server
// promotes a large refill's records in V8 at once (app/refill-promotion.ts) rather than at the
// first scavenges after the jobs start to fire.

import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness } from './harness.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('engine: the refilled event', () => {
  it('reports how many jobs a refill adopted, and nothing for a refill that adopted none', async () => {
    const harness = await makeHarness({ lookaheadMs: 10_000, refillIntervalMs: 2_000 });
    stop = harness.stop;
    const { clock, schedule, engine } = harness;
    const refills: number[] = [];
    engine.events.on('refilled', ({ adopted }) => refills.push(adopted));
    // Beyond the 10 s window: left in the store, for the refill that reaches them.
    for (const name of ['a', 'b', 'c']) await schedule(name, { dueTime: '11s' });
    expect(engine.stats().inMemory).toBe(0);
    await clock.advance(2_000); // the refill at 2 s reads up to 12 s
    expect(engine.stats().inMemory).toBe(3);
    expect(refills).toEqual([3]);
    await clock.advance(2_000); // nothing new to read
    expect(refills).toEqual([3]);
  });
});
