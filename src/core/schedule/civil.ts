// Calendar dates as UTC milliseconds ("wall-clock" values when a zone offset has been added).
// Date.UTC maps years 0-99 to 1900-1999, so years are set with setUTCFullYear instead.

/** Midnight of the given date, plus msOfDay; day and month may overflow and are normalised. */
export function civilToMs(year: number, month0: number, day: number, msOfDay = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month0, day);
  return date.getTime() + msOfDay;
}

export function daysInMonth(year: number, month0: number): number {
  return new Date(civilToMs(year, month0 + 1, 0)).getUTCDate();
}
