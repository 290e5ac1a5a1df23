// Name ranges for SQLite's BINARY collation, which compares the UTF-8 bytes: the same order as
// comparing Unicode code points (not JavaScript's `<`, which compares UTF-16 code units and so
// puts U+10000 and above before U+E000..U+FFFF). Prefix and cursor queries become index ranges
// `lower <= name < upper`, so a narrow prefix or a deep page never scans the rest of the app.

import { compareCodePoints } from '../../core/model/code-point-order.js';

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
