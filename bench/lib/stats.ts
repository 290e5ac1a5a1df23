// Small statistics helpers for the reports.

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // Rounded to 12 significant digits before the ceiling: 99.9 / 100 * 1000 is 999.0000000000001
  // in floating point, which would take rank 1000 (the max) for p99.9 of 1,000 values.
  const rank = Math.ceil(Number(((p / 100) * sorted.length).toPrecision(12)));
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function ascending(values: Iterable<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const MiB = 1024 * 1024;
