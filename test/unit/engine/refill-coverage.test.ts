// RefillCoverage: where the next refill starts reading the due index (core/engine/refill-coverage.ts).

import { describe, expect, it } from 'vitest';
import { RefillCoverage } from '../../../src/core/engine/refill-coverage.js';

describe('RefillCoverage', () => {
  it('reads whole first, then from where the last read ended, and whole again every wholeEvery-th time', () => {
    const coverage = new RefillCoverage(3);
    const froms: Array<number | undefined> = [];
    for (let i = 0; i < 7; i++) {
      const ticket = coverage.begin();
      froms.push(ticket.from);
      coverage.end(ticket, (i + 1) * 100);
    }
    expect(froms).toEqual([undefined, 100, 200, undefined, 400, 500, undefined]);
  });

  it('a loss while a refill reads keeps that refill from restoring what it read', () => {
    const coverage = new RefillCoverage(100);
    coverage.end(coverage.begin(), 100);
    const reading = coverage.begin();
    expect(reading.from).toBe(100);
    coverage.lost();
    coverage.end(reading, 200);
    expect(coverage.begin().from).toBeUndefined();
  });

  it('a job let go as due after the window is lost only when a refill already read past it (the clock stepped back)', () => {
    const coverage = new RefillCoverage(100);
    coverage.end(coverage.begin(), 1_000);
    coverage.leftUntil(1_000); // the next read starts at 1,000 itself: it is read then
    expect(coverage.begin().from).toBe(1_000);
    coverage.leftUntil(999);
    expect(coverage.begin().from).toBeUndefined();
  });
});
