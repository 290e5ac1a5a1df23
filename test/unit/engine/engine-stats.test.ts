// stats() is read at every scrape of /metrics: `queued` counts the jobs that are due and wait for
// a delivery slot (docs/metrics.md), not every job held in memory.

import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness } from './harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;
afterEach(async () => {
  h.assertNeverEarly();
  await h.stop();
});

describe('engine: stats', () => {
  it('queued: due and waiting for a slot; jobs not due yet are only in memory', async () => {
    h = await makeHarness({ maxInFlight: 1 });
    h.target.respond = () => new Promise(() => {}); // never answers: the one slot stays taken
    for (const name of ['a', 'b', 'c']) await h.schedule(name, { dueTime: '1s' });
    await h.schedule('later', { dueTime: '5s' });
    expect(h.engine.stats()).toMatchObject({ inMemory: 4, queued: 0, inFlight: 0 });
    await h.clock.advance(1_000);
    expect(h.engine.stats()).toMatchObject({ inMemory: 4, queued: 2, inFlight: 1 });
  });
});
