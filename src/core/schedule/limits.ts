// The instants a JavaScript Date can hold: +-8.64e15 ms (about +-275,000 years).
export const MAX_INSTANT = 8.64e15;
export const MIN_INSTANT = -8.64e15;

export const DAY_MS = 86_400_000;

export function isRepresentableInstant(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_INSTANT && ms <= MAX_INSTANT;
}
