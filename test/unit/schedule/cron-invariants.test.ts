// Whole-year checks in zones with DST: instants only increase, no wall-clock time fires twice,
// every fire shows a matching wall time (or ends a gap), and next() from any instant agrees with
// the enumeration.
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../../src/core/schedule/index.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall clock at `instant`, as "2026-03-08 03:00:00". */
function wallText(zone: string, instant: number): string {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, formatter);
  }
  return formatter.format(instant);
}

/** True when the clocks jumped forward at `instant` (the wall clock skipped ahead). */
function endsGap(zone: string, instant: number): boolean {
  const wallMs = (at: number) => Date.parse(`${wallText(zone, at).replace(' ', 'T')}Z`);
  return wallMs(instant) - wallMs(instant - 1000) > 1000;
}

// Deterministic pseudo-random numbers (mulberry32), so failures reproduce.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each(['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/Santiago'])('a year of 0 */20 * * * * in %s', (zone) => {
  const schedule = parseSchedule(`TZ=${zone} 0 */20 * * * *`);
  const start = Date.parse('2026-01-01T00:00:00Z');
  const end = Date.parse('2027-01-01T00:00:00Z');
  const instants: number[] = [];
  for (let at = schedule.next(start); at !== undefined && at < end; at = schedule.next(at)) instants.push(at);

  it('never repeats a wall-clock time and only fires on matching ones or at the end of a gap', () => {
    const walls = instants.map((at) => wallText(zone, at));
    expect(new Set(walls).size).toBe(walls.length);
    for (const [index, at] of instants.entries()) {
      const [minute, second] = (walls[index] ?? '').slice(-5).split(':').map(Number);
      const onPattern = second === 0 && minute !== undefined && minute % 20 === 0;
      if (!onPattern) expect(endsGap(zone, at)).toBe(true);
    }
    // Roughly 3 a hour; a DST change moves it by a few.
    expect(Math.abs(instants.length - 365 * 72)).toBeLessThan(10);
  });

  it('instants strictly increase', () => {
    for (let i = 1; i < instants.length; i++) expect(instants[i]).toBeGreaterThan(instants[i - 1] ?? 0);
  });

  it('next(t) from any instant is the first enumerated instant after t', () => {
    const rand = random(zone.length);
    for (let i = 0; i < 2_000; i++) {
      const after = start + Math.floor(rand() * (end - start - 86_400_000));
      const expected = instants.find((at) => at > after);
      expect(schedule.next(after)).toBe(expected);
    }
  });

  it('agrees with the enumeration second by second around each DST change', () => {
    const uneven = instants.filter((at, i) => i > 0 && at - (instants[i - 1] ?? 0) !== 20 * 60_000);
    expect(uneven.length).toBeGreaterThan(0);
    for (const around of uneven) {
      for (let after = around - 3_600_000; after < around + 3_600_000; after += 7_001) {
        expect(schedule.next(after)).toBe(instants.find((at) => at > after));
      }
    }
  });
});
