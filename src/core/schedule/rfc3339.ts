// RFC 3339 timestamps as Go's time.RFC3339 layout reads them: 2026-01-02T15:04:05Z, with an
// optional fraction of a second and Z or a numeric offset. Sub-millisecond fractions round up,
// so an instant is never read as earlier than written.
import { civilToMs, daysInMonth } from './civil.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** True when the text starts like a date, so an RFC 3339 reading is what was meant. */
export function looksLikeRfc3339(text: string): boolean {
  return /^\d{4}-\d/.test(text);
}

/** The instant in whole ms (rounded up); throws a plain Error saying what is wrong. */
export function parseRfc3339(text: string): number {
  const basic = parseBasicUtc(text);
  if (basic !== undefined) return basic;
  const m = RFC3339.exec(text);
  if (m === null) throw new Error('expected the form 2026-01-02T15:04:05Z or 2026-01-02T15:04:05.5+02:00');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) throw new Error(`month ${month} is out of range 01-12`);
  if (day < 1 || day > daysInMonth(year, month - 1)) throw new Error(`day ${day} is out of range for ${m[1]}-${m[2]}`);
  if (hour > 23) throw new Error(`hour ${hour} is out of range 00-23`);
  if (minute > 59) throw new Error(`minute ${minute} is out of range 00-59`);
  if (second > 59) throw new Error(`second ${second} is out of range 00-59`);
  let offsetMs = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMinutes = Number(m[11]);
    if (offsetHours > 23 || offsetMinutes > 59) throw new Error(`offset ${m[9]}${m[10]}:${m[11]} is out of range`);
    offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000 * (m[9] === '-' ? -1 : 1);
  }
  const msOfDay = ((hour * 60 + minute) * 60 + second) * 1000 + fractionMs(m[7]);
  return civilToMs(year, month - 1, day, msOfDay) - offsetMs;
}

// ".1234" is 123.4 ms: keep the whole milliseconds and round any remainder up.
function fractionMs(digits: string | undefined): number {
  if (digits === undefined) return 0;
  const whole = Number(digits.slice(0, 3).padEnd(3, '0'));
  return /[1-9]/.test(digits.slice(3)) ? whole + 1 : whole;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The form most requests send (2026-01-02T15:04:05Z: whole seconds, UTC, year 100 or later), read
 * by character codes: the regular expression, the array of matches and the Date objects of the
 * full reading cost about 1.5 µs of each schedule. Anything else, errors included, is undefined
 * and left to the full reading, which says what is wrong.
 */
function parseBasicUtc(text: string): number | undefined {
  if (text.length !== 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const t = text.charCodeAt(10) | 0x20; // T or t
  const z = text.charCodeAt(19) | 0x20; // Z or z
  if (t !== 0x74 || z !== 0x7a) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!)) return undefined;
  // Date.UTC is exact from year 100 on (it reads 0-99 as 1900-1999).
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The decimal number in text[at, at + count), or -1 if any of it is not an ASCII digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
