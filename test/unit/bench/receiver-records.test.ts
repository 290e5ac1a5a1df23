// The arithmetic behind the bench's burst verdicts (bench/lib/receiver-records.ts): a drain
// summary that miscounted early or duplicate arrivals would pass a broken scheduler or fail a
// sound one, so it is checked on records made by hand.

import { describe, expect, it } from 'vitest';
import { onlyPrefix, summariseDrain, type ReceiverStats } from '../../../bench/lib/receiver-records.js';
import { percentile } from '../../../bench/lib/stats.js';

const DUE = 1_000_000;

function records(rows: Array<[name: string, receivedAt: number, scheduledAt?: number | null]>): ReceiverStats {
  return {
    names: rows.map((r) => r[0]),
    receivedAt: rows.map((r) => r[1]),
    scheduledAt: rows.map((r) => r[2] ?? null),
    attempts: rows.map(() => 1),
  };
}

describe('summariseDrain', () => {
  it('measures the drain from the due instant to the last arrival, and counts duplicates, missing and early ones', () => {
    const stats = records([
      ['b-0', DUE + 10],
      ['b-1', DUE - 1],
      ['b-2', DUE + 250],
      ['b-0', DUE + 300],
    ]);
    const d = summariseDrain(stats, DUE, 4);
    expect(d.drainMs).toBe(300);
    expect(d.firstMs).toBe(-1);
    expect(d.delivered).toBe(4);
    expect(d.distinct).toBe(3);
    expect(d.duplicates).toBe(1);
    expect(d.missing).toBe(1);
    expect(d.early).toBe(1);
    expect(d.latenessMs.min).toBe(-1);
    expect(d.latenessMs.max).toBe(300);
    expect(d.lastAt).toBe(DUE + 300);
  });

  it("takes lateness against each record's own scheduled instant when the transport carried one", () => {
    // Arrived 5 ms after its own instant, which is 100 ms before the burst's: late, not early.
    const d = summariseDrain(records([['s-0', DUE - 95, DUE - 100]]), DUE, 1);
    expect(d.early).toBe(0);
    expect(d.latenessMs.p50).toBe(5);
    // Without a scheduled instant the burst's due instant is the reference: early.
    expect(summariseDrain(records([['s-0', DUE - 95]]), DUE, 1).early).toBe(1);
  });

  it('gives nearest-rank percentiles', () => {
    const rows: Array<[string, number]> = Array.from({ length: 1000 }, (_, i) => [`p-${i}`, DUE + i + 1]);
    const d = summariseDrain(records(rows), DUE, 1000);
    expect(d.latenessMs.p50).toBe(500);
    expect(d.latenessMs.p99).toBe(990);
    expect(d.latenessMs.p999).toBe(999);
    expect(d.deliveriesPerS).toBe(Math.round(1000 / 0.999));
  });
});

describe('onlyPrefix', () => {
  it('keeps the columns of the records whose name starts with the prefix, aligned', () => {
    const stats = records([
      ['warm-1', DUE + 1, DUE],
      ['burst-1', DUE + 2, DUE + 1],
      ['bare1-1', DUE + 3],
      ['burst-2', DUE + 4, DUE + 2],
    ]);
    expect(onlyPrefix(stats, 'burst-')).toEqual({
      names: ['burst-1', 'burst-2'],
      receivedAt: [DUE + 2, DUE + 4],
      scheduledAt: [DUE + 1, DUE + 2],
      attempts: [1, 1],
    });
  });

  it("keeps the via column aligned too (the cluster bench's replica per delivery)", () => {
    const stats = { ...records([['warm-1', DUE], ['burst-1', DUE + 1], ['burst-2', DUE + 2]]), via: ['replica-1', 'replica-3', 'replica-2'] };
    expect(onlyPrefix(stats, 'burst-').via).toEqual(['replica-3', 'replica-2']);
  });
});

describe('percentile', () => {
  it('is nearest-rank without floating-point drift (p99.9 of 1..1000 is 999, not the max)', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(values, 99.9)).toBe(999);
    expect(percentile(values, 99)).toBe(990);
    expect(percentile(values, 100)).toBe(1000);
    expect(percentile(values.slice(0, 3), 50)).toBe(2);
  });
});
