// Golden vectors across daylight-saving changes. Rule (SPEC section 3): a wall-clock time that
// does not exist fires once at the first instant after the gap; one that occurs twice fires once,
// at its first occurrence. This holds for every pattern, not only fixed times.
import { describe, expect, it } from 'vitest';
import { fires } from './helpers.js';

describe('America/New_York', () => {
  // 2026-03-08: 02:00 EST (-05:00) jumps to 03:00 EDT (-04:00) at 07:00Z.
  it('spring forward: 02:30 does not exist and fires at 03:00 EDT', () => {
    expect(fires('CRON_TZ=America/New_York 0 30 2 * * *', '2026-03-07T00:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT, the first instant after the gap
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('spring forward: times in the gap fire once, where the gap ends', () => {
    expect(fires('TZ=America/New_York 0 0 */2 * * *', '2026-03-08T04:00:00Z', 3)).toEqual([
      '2026-03-08T05:00:00.000Z', // 00:00 EST
      '2026-03-08T07:00:00.000Z', // 02:00 does not exist: 03:00 EDT
      '2026-03-08T08:00:00.000Z', // 04:00 EDT
    ]);
    expect(fires('TZ=America/New_York 0 */30 * * * *', '2026-03-08T06:00:00Z', 3)).toEqual([
      '2026-03-08T06:30:00.000Z', // 01:30 EST
      '2026-03-08T07:00:00.000Z', // 02:00, 02:30 and 03:00 all at 03:00 EDT, once
      '2026-03-08T07:30:00.000Z', // 03:30 EDT
    ]);
    expect(fires('TZ=America/New_York * * * * * *', '2026-03-08T06:59:58Z', 3)).toEqual([
      '2026-03-08T06:59:59.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:00:01.000Z',
    ]);
  });

  // 2026-11-01: 02:00 EDT (-04:00) falls back to 01:00 EST (-05:00) at 06:00Z.
  it('fall back: 01:30 occurs twice and fires once, at the first (EDT) occurrence', () => {
    expect(fires('CRON_TZ=America/New_York 0 30 1 * * *', '2026-10-31T00:00:00Z', 3)).toEqual([
      '2026-10-31T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT only (not 06:30Z, 01:30 EST)
      '2026-11-02T06:30:00.000Z', // 01:30 EST
    ]);
    expect(fires('CRON_TZ=America/New_York 0 30 2 * * *', '2026-10-31T00:00:00Z', 3)).toEqual([
      '2026-10-31T06:30:00.000Z', // 02:30 EDT
      '2026-11-01T07:30:00.000Z', // 02:30 EST: 02:30 happens once that night
      '2026-11-02T07:30:00.000Z',
    ]);
  });

  it('fall back: interval patterns do not repeat the hour', () => {
    expect(fires('TZ=America/New_York 0 */30 * * * *', '2026-11-01T04:00:00Z', 5)).toEqual([
      '2026-11-01T04:30:00.000Z', // 00:30 EDT
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T07:00:00.000Z', // 02:00 EST; 01:00 and 01:30 EST were done on the first pass
      '2026-11-01T07:30:00.000Z',
    ]);
    expect(fires('TZ=America/New_York 0 30 1,13 * * *', '2026-10-31T12:00:00Z', 3)).toEqual([
      '2026-10-31T17:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T18:30:00.000Z',
    ]);
  });

  it('fall back: asked from inside the second pass, waits for the end of the repeated hour', () => {
    // 06:10Z is 01:10 EST, the second time the clock shows 01:10.
    expect(fires('TZ=America/New_York 0 */15 * * * *', '2026-11-01T06:10:00Z', 2)).toEqual([
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T07:15:00.000Z',
    ]);
    expect(fires('TZ=America/New_York * * * * * *', '2026-11-01T05:59:58.500Z', 3)).toEqual([
      '2026-11-01T05:59:59.000Z', // 01:59:59 EDT
      '2026-11-01T07:00:00.000Z', // 02:00:00 EST
      '2026-11-01T07:00:01.000Z',
    ]);
  });
});

describe('Europe/Berlin', () => {
  // 2026-03-29: 02:00 CET (+01:00) jumps to 03:00 CEST (+02:00) at 01:00Z.
  it('spring forward', () => {
    expect(fires('TZ=Europe/Berlin 0 30 2 * * *', '2026-03-28T00:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-30T00:30:00.000Z',
    ]);
    expect(fires('TZ=Europe/Berlin 0 0 * * * *', '2026-03-28T23:30:00Z', 3)).toEqual([
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 02:00 (gap) and 03:00 CEST, once
      '2026-03-29T02:00:00.000Z', // 04:00 CEST
    ]);
  });

  // 2026-10-25: 03:00 CEST (+02:00) falls back to 02:00 CET (+01:00) at 01:00Z.
  it('fall back', () => {
    expect(fires('TZ=Europe/Berlin 0 30 2 * * *', '2026-10-24T00:00:00Z', 3)).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // 02:30 CEST, not again at 02:30 CET
      '2026-10-26T01:30:00.000Z',
    ]);
    expect(fires('TZ=Europe/Berlin 0 0 * * * *', '2026-10-24T23:30:00Z', 3)).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T02:00:00.000Z', // 03:00 CET (02:00 CET was done at 02:00 CEST)
      '2026-10-25T03:00:00.000Z',
    ]);
  });
});

describe('other zones', () => {
  it('Australia/Lord_Howe: a 30-minute shift', () => {
    // 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11:00).
    expect(fires('TZ=Australia/Lord_Howe 0 15 2 * * *', '2026-10-02T12:00:00Z', 3)).toEqual([
      '2026-10-02T15:45:00.000Z',
      '2026-10-03T15:30:00.000Z', // 02:30 +11:00
      '2026-10-04T15:15:00.000Z',
    ]);
  });

  it('America/Santiago: midnight does not exist on 2026-09-06', () => {
    expect(fires('TZ=America/Santiago @daily', '2026-09-04T12:00:00Z', 3)).toEqual([
      '2026-09-05T04:00:00.000Z',
      '2026-09-06T04:00:00.000Z', // 01:00 -03:00
      '2026-09-07T03:00:00.000Z',
    ]);
  });

  it('a zone without DST', () => {
    expect(fires('TZ=Asia/Kolkata 0 0 9 * * *', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-01T03:30:00.000Z',
      '2026-01-02T03:30:00.000Z',
    ]);
  });
});

describe('time zone prefixes', () => {
  it('CRON_TZ= and TZ= mean the same; the default is UTC', () => {
    const expected = ['2026-01-01T14:00:00.000Z'];
    expect(fires('CRON_TZ=America/New_York 0 0 9 * * *', '2026-01-01T00:00:00Z', 1)).toEqual(expected);
    expect(fires('TZ=America/New_York 0 0 9 * * *', '2026-01-01T00:00:00Z', 1)).toEqual(expected);
    expect(fires('0 0 9 * * *', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T09:00:00.000Z']);
    expect(fires('TZ=UTC 0 0 9 * * *', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T09:00:00.000Z']);
    expect(fires('TZ=Etc/UTC 0 0 9 * * *', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T09:00:00.000Z']);
  });

  it('applies to descriptors', () => {
    expect(fires('TZ=Asia/Tokyo @daily', '2026-05-15T10:20:30Z', 1)).toEqual(['2026-05-15T15:00:00.000Z']);
    expect(fires('CRON_TZ=Europe/Berlin @monthly', '2026-05-15T10:20:30Z', 1)).toEqual(['2026-05-31T22:00:00.000Z']);
  });

  it('tolerates extra spaces and any case in the zone name', () => {
    expect(fires('  TZ=america/new_york   0  0  9 * * *  ', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T14:00:00.000Z']);
  });
});
