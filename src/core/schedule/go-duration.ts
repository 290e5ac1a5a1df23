// Go's time.ParseDuration, to the letter: "300ms", "-1.5h", "2h45m", "0". Computed exactly in
// nanoseconds (as Go does), then returned as (possibly fractional) milliseconds.

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = 2n ** 63n - 1n; // Go's Duration is an int64 of nanoseconds
const UNITS_HINT = 'use ns, us, ms, s, m or h, e.g. 10s, 1h30m or 1.5s';

/** Parses a Go duration into milliseconds; throws a plain Error saying what is wrong. */
export function parseGoDuration(text: string): number {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`duration "${text}" is empty; ${UNITS_HINT}`);
  let totalNs = 0n;
  while (rest !== '') {
    const match = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = match?.[1] ?? '';
    const fraction = match?.[2];
    if (whole === '' && (fraction === undefined || fraction === '')) {
      throw new Error(`duration "${text}" is invalid: expected a number at "${rest}"; ${UNITS_HINT}`);
    }
    rest = rest.slice(match?.[0].length ?? 0);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') throw new Error(`duration "${text}" is missing a unit after "${match?.[0]}"; ${UNITS_HINT}`);
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) throw new Error(`duration "${text}" has an unknown unit "${unit}"; ${UNITS_HINT}`);
    rest = rest.slice(unit.length);
    totalNs += (whole === '' ? 0n : BigInt(whole)) * unitNs + fractionNs(fraction, unitNs);
    if (totalNs > MAX_NS + (negative ? 1n : 0n)) {
      throw new Error(`duration "${text}" is out of range; the longest is about 2562047h`);
    }
  }
  const ms = Number(totalNs / 1_000_000n) + Number(totalNs % 1_000_000n) / 1e6;
  return negative ? -ms : ms;
}

// Digits after the point, scaled by the unit and truncated to whole nanoseconds (as Go does).
function fractionNs(digits: string | undefined, unitNs: bigint): bigint {
  if (digits === undefined || digits === '') return 0n;
  const kept = digits.slice(0, 30); // beyond that the digits are far below a nanosecond
  return (BigInt(kept) * unitNs) / 10n ** BigInt(kept.length);
}
