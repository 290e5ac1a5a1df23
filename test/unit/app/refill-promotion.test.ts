// After a refill that adopted many jobs, two minor collections run, one turn apart (see
// app/refill-promotion.ts for why). The collection is injected here; minorGc() is V8's own.

import { describe, expect, it } from 'vitest';
import { minorGc, promoteAfterRefills } from '../../../src/app/refill-promotion.js';
import { TypedEmitter, type EngineEvents } from '../../../src/core/events.js';

/** Lets every pending setImmediate (and the ones they set) run. */
async function turns(n = 4): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

function setup(minAdopted = 1_000) {
  // An explicit threshold: the tests are about the mechanism, not the default.
  const events = new TypedEmitter<EngineEvents>();
  let collections = 0;
  const stop = promoteAfterRefills(events, () => collections++, minAdopted);
  return { events, stop, collections: () => collections };
}

describe('promoteAfterRefills', () => {
  it('runs two minor collections after a refill of at least minAdopted jobs, in separate turns', async () => {
    const { events, stop, collections } = setup();
    events.emit('refilled', { adopted: 1_000 });
    expect(collections()).toBe(0); // not inside the refill's own turn
    await turns(1);
    expect(collections()).toBe(1);
    await turns();
    expect(collections()).toBe(2);
    stop();
  });

  it('leaves a small refill alone', async () => {
    const { events, stop, collections } = setup();
    events.emit('refilled', { adopted: 999 });
    await turns();
    expect(collections()).toBe(0);
    stop();
  });

  it('joins refills that end before the promotion ran', async () => {
    const { events, stop, collections } = setup();
    events.emit('refilled', { adopted: 5_000 });
    events.emit('refilled', { adopted: 5_000 });
    await turns();
    expect(collections()).toBe(2);
    stop();
  });

  it('runs nothing once stopped, even a promotion under way', async () => {
    const { events, stop, collections } = setup();
    events.emit('refilled', { adopted: 5_000 });
    stop();
    await turns();
    events.emit('refilled', { adopted: 5_000 });
    await turns();
    expect(collections()).toBe(0);
  });

  it('gets a working minor collection from V8, and hides gc from other contexts', async () => {
    const gc = minorGc();
    expect(gc).toBeTypeOf('function');
    gc?.();
    const { runInNewContext } = await import('node:vm');
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
