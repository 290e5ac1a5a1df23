// Names are ordered by Unicode code point, the order of their UTF-8 bytes: what SQLite's BINARY
// collation and etcd's byte-ordered keys give. JavaScript's `<` compares UTF-16 code units,
// which puts U+10000 and above before U+E000..U+FFFF, so code that orders names in memory uses
// this instead.

/** Negative, zero or positive as a is before, equal to or after b in code point order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only where a surrogate meets a unit at or above U+E000 do the two orders disagree: the
    // surrogate stands for a code point >= U+10000, which belongs after.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && Math.max(x, y) >= 0xe000) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
