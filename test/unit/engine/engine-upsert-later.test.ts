// A job scheduled due after the look-ahead window is not taken into memory (engine.upsert lets it
// be, as place() would let it go at once): the refill that reaches its due instant loads it. Even
// when the wall clock stepped back, so that the refills have already read past that instant: the
// upsert then tells the refill coverage, and the next refill reads whole instead of waiting for
// the once-a-minute whole read.

import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, T0 } from './harness.js';

const WINDOW = { lookaheadMs: 10_000, refillIntervalMs: 2_000 };

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function setup() {
  const harness = await makeHarness(WINDOW);
  stop = harness.stop;
  return harness;
}

describe('engine: a job scheduled due after the look-ahead window', () => {
  it('is not held, and fires on time once a refill reaches it', async () => {
    const { clock, engine, target, jobs, key } = await setup();
    await jobs.schedule(key('later'), { dueTime: '25s' });
    expect(engine.stats().inMemory).toBe(0);
    await clock.advance(30_000);
    expect(target.of('later').map((d) => d.at - T0)).toEqual([25_000]);
  });

  it('fires on time when the clock stepped back behind what the refills had read', async () => {
    const { clock, target, jobs, key } = await setup();
    await clock.advance(4_000); // refills at 2 s and 4 s: read up to 14 s
    clock.stepBack(6_000); // now -2 s: the window ends at 8 s
    await jobs.schedule(key('stepped'), { dueTime: '11s' }); // due at 9 s: after the window, before what was read
    await clock.advance(13_000);
    expect(target.of('stepped').map((d) => d.at - T0)).toEqual([9_000]);
  });
});
