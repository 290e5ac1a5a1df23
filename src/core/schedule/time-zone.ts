// IANA time zones, read from the runtime's Intl (ICU) data. Offsets are in ms, wall = instant + offset.

const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;
// "GMT", "GMT+05:30" or, for old local mean times, "GMT-04:56:02".
const OFFSET_TEXT = /GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/;

// One formatter per zone: building an Intl.DateTimeFormat costs far more than using one.
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The canonical name of an IANA zone ("america/new_york" -> "America/New_York", "Etc/UTC" ->
 * "UTC"), or undefined when the runtime does not know it. Fixed offsets such as "+05:00" and
 * Go's "Local" are not zones and are refused.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!IANA_NAME.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The zone's UTC offset at `instant`, in ms (east positive). */
export function offsetAt(zone: string, instant: number): number {
  if (zone === 'UTC') return 0;
  let formatter = offsetFormatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormatters.set(zone, formatter);
  }
  const text = formatter.format(instant);
  const match = OFFSET_TEXT.exec(text);
  if (match === null) throw new Error(`cannot read the UTC offset of ${zone} from "${text}"`);
  if (match[1] === undefined) return 0;
  const ms = (Number(match[2]) * 3600 + Number(match[3] ?? 0) * 60 + Number(match[4] ?? 0)) * 1000;
  return match[1] === '-' ? -ms : ms;
}

/** The zone's wall-clock time at `instant`, as a UTC-encoded ms value. */
export function wallAt(zone: string, instant: number): number {
  return instant + offsetAt(zone, instant);
}
