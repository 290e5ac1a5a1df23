// Name ranges for SQLite's BINARY collation, which compares the UTF-8 bytes: the same order as
// comparing Unicode code points (not JavaScript's `<`, which compares UTF-16 code units and so
// puts U+10000 and above before U+E000..U+FFFF). Prefix and cursor queries become index ranges
// `lower <= name < upper`, so a narrow prefix or a deep page never scans the rest of the app.

/** Negative, zero or positive as a is before, equal to or after b in code point order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only where a surrogate meets a unit at or above U+E000 do UTF-16 and code point order
    // disagree: the surrogate (a code point >= U+10000) belongs after.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && Math.max(x, y) >= 0xe000) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string after every string that starts with prefix, or undefined when there is
 * none (empty prefix, or one made only of U+10FFFF): the last code point, incremented.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop() as string;
    let next = (last.codePointAt(0) as number) + 1;
    if (next > 0x10ffff) continue;
    if (next === 0xd800) next = 0xe000; // skip the surrogate block, which is not a code point
    return points.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

/**
 * The inclusive lower bound of a listing: the prefix, or just after the cursor when the cursor
 * is further on. `after + "\0"` is the first string after `after`, since NUL is the least unit.
 */
export function listLowerBound(prefix: string, after: string | undefined): string {
  if (after === undefined || compareCodePoints(after, prefix) < 0) return prefix;
  return `${after}\u0000`;
}
