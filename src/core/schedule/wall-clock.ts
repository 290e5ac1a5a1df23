// From wall-clock time back to instants, around daylight-saving transitions. A wall time that
// occurs twice (clocks go back) maps to its first occurrence; one that does not exist (clocks jump
// forward) maps by the chosen gap rule.
import { DAY_MS } from './limits.js';
import { offsetAt } from './time-zone.js';

/**
 * - 'end-of-gap': the first instant after the gap (cron: 02:30 on a spring-forward night fires at 03:00).
 * - 'shift-forward': read with the offset before the gap, so it lands as far past the gap as it
 *   was inside it (calendar arithmetic, as RFC 5545 and Temporal do: 02:30 becomes 03:30).
 */
export type GapRule = 'end-of-gap' | 'shift-forward';

/**
 * The instant at which the zone's clocks show `wall`. Assumes at most one offset change within a
 * day either side, which holds for every zone in practice.
 */
export function wallToInstant(zone: string, wall: number, gap: GapRule): number {
  const before = offsetAt(zone, wall - DAY_MS);
  const after = offsetAt(zone, wall + DAY_MS);
  const early = wall - before;
  const earlyFits = offsetAt(zone, early) === before;
  if (before === after) return earlyFits ? early : retryWithOffsetAt(zone, wall, early);
  const late = wall - after;
  const lateFits = offsetAt(zone, late) === after;
  if (earlyFits && lateFits) return Math.min(early, late);
  if (earlyFits) return early;
  if (lateFits) return late;
  // Neither offset gives this wall time: it lies in a gap, between `late` and `early`.
  return gap === 'shift-forward' ? early : firstInstantWithNewOffset(zone, late, early);
}

/**
 * When `instant` lies in the second pass through a wall-clock range that the zone repeats (after
 * clocks went back), the wall time at which the repetition ends; otherwise undefined.
 */
export function repeatedRangeEnd(zone: string, instant: number): number | undefined {
  const now = offsetAt(zone, instant);
  const earlier = offsetAt(zone, instant - DAY_MS);
  if (earlier <= now) return undefined;
  const repeatLength = earlier - now;
  // The second pass lasts repeatLength from the transition; one repeatLength ago we were before it.
  if (offsetAt(zone, instant - repeatLength) !== earlier) return undefined;
  const transition = firstInstantWithNewOffset(zone, instant - repeatLength, instant);
  return transition + earlier;
}

/** The first instant in (lo, hi] whose offset differs from lo's; hi's offset must differ. */
function firstInstantWithNewOffset(zone: string, lo: number, hi: number): number {
  const old = offsetAt(zone, lo);
  let low = Math.floor(lo);
  let high = Math.ceil(hi);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetAt(zone, mid) === old) low = mid;
    else high = mid;
  }
  return high;
}

// Two offset changes within two days (never seen in current data): take the offset in force at
// the first guess and check it; failing that, the first guess is the best answer there is.
function retryWithOffsetAt(zone: string, wall: number, guess: number): number {
  const offset = offsetAt(zone, guess);
  const candidate = wall - offset;
  return offsetAt(zone, candidate) === offset ? candidate : guess;
}
