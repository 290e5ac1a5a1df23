// A cron schedule. croner does the calendar search on wall-clock time (as if the zone were UTC, at
// a fixed offset of 0, which is also croner's fastest mode); this class maps wall-clock times to
// instants itself. croner's own zone handling treats "interval" patterns (*/30, lists, ranges)
// differently from fixed times across DST: it fires them twice when clocks go back and skips them
// when clocks jump forward. Duetime's rule is one for all patterns: a wall time that occurs twice
// fires once, at its first occurrence; one that does not exist fires at the first instant after
// the gap (several such times fire there once).
import { Cron } from 'croner';
import type { Schedule } from './schedule.js';
import { offsetAt } from './time-zone.js';
import { repeatedRangeEnd, wallToInstant } from './wall-clock.js';

// croner searches up to the year 3000; keep wall-clock dates well inside what Date can hold.
const LAST_SEARCH_FROM = Date.UTC(3000, 0, 1);

export class CronSchedule implements Schedule {
  private readonly cron: Cron;

  /** `pattern`: six fields in croner syntax (see cron-fields.ts); `zone`: canonical IANA name. */
  constructor(
    pattern: string,
    readonly zone: string,
  ) {
    // No callback, so croner starts no timer; it is used purely for nextRun().
    this.cron = new Cron(pattern, { utcOffset: 0, mode: '6-part', domAndDow: false });
  }

  next(after: number): number | undefined {
    if (!Number.isFinite(after) || after >= LAST_SEARCH_FROM) return undefined;
    if (this.zone === 'UTC') return this.nextWall(after);
    // Wall times whose first occurrence is at or before `after` are done. Normally those are the
    // ones up to the current wall time; in the second pass through a repeated hour, the whole
    // repeated range is done (it fired on the first pass).
    const repeatEnd = repeatedRangeEnd(this.zone, after);
    let from = repeatEnd !== undefined ? repeatEnd - 1 : after + offsetAt(this.zone, after);
    // One pass suffices by the reasoning above; the loop only guards that reasoning.
    while (true) {
      const wall = this.nextWall(from);
      if (wall === undefined) return undefined;
      const at = wallToInstant(this.zone, wall, 'end-of-gap');
      if (at > after) return at;
      from = wall;
    }
  }

  /** The first matching wall-clock second strictly after `wall`. */
  private nextWall(wall: number): number | undefined {
    if (wall >= LAST_SEARCH_FROM) return undefined;
    return this.cron.nextRun(new Date(wall))?.getTime();
  }
}
