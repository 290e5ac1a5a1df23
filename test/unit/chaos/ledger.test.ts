// The chaos ledger must see each broken promise, or a chaos run proves nothing.

import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../chaos/ledger.js';

const T = 1_000_000;

function ledger(): Ledger {
  const l = new Ledger();
  l.sent({ name: 'once', ticks: [T], ackedAt: T - 2_000 });
  l.sent({ name: 'every', ticks: [T, T + 1_000, T + 2_000], ackedAt: T - 2_000 });
  l.sent({ name: 'unacked', ticks: [T] });
  l.sent({ name: 'deleted', ticks: [T + 5_000], ackedAt: T - 2_000, deleteSent: true, deleteAckedAt: T });
  return l;
}

describe('chaos ledger', () => {
  it('passes a run where every acknowledged tick arrived on time, counting extra copies as duplicates', () => {
    const v = ledger().verdict([
      { job: 'once', scheduledAt: T, receivedAt: T + 3 },
      { job: 'once', scheduledAt: T, receivedAt: T + 900 },
      { job: 'every', scheduledAt: T, receivedAt: T + 1 },
      { job: 'every', scheduledAt: T + 1_000, receivedAt: T + 1_001 },
      { job: 'every', scheduledAt: T + 2_000, receivedAt: T + 2_002 },
      { job: 'unacked', scheduledAt: T, receivedAt: T + 5 },
    ]);
    expect(v).toMatchObject({ acknowledged: 3, acknowledgedTicks: 4, lost: 0, early: 0, unknownTicks: 0, afterDelete: 0, duplicates: 1, unacknowledgedDelivered: 1, deletesAcknowledged: 1 });
  });

  it('counts a missing tick as lost, an early one as early, a foreign one as unknown, and one long after its delete', () => {
    const l = ledger();
    const v = l.verdict([
      { job: 'once', scheduledAt: T, receivedAt: T - 1 },
      { job: 'every', scheduledAt: T, receivedAt: T },
      { job: 'every', scheduledAt: T + 1_500, receivedAt: T + 1_500 },
      { job: 'deleted', scheduledAt: T + 5_000, receivedAt: T + 5_000 },
    ]);
    expect(v).toMatchObject({ lost: 2, early: 1, unknownTicks: 1, afterDelete: 1 });
    expect(l.missing([{ job: 'once', scheduledAt: T, receivedAt: T }])).toBe(3);
  });
});
