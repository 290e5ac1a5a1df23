// google.protobuf.Duration <-> the Go duration strings of the JSON API ("1s", "1.5s", "2m30s").
// A failure policy's interval crosses here in both directions.

import { InvalidRequestError } from '../../core/errors.js';
import { formatGoDuration, type DurationMessage } from '@duetime/sdk/protocol';

const NS_PER_SECOND = 1_000_000_000n;

/** A Duration as a Go duration string; throws InvalidRequestError when negative or malformed. */
export function durationToGo(duration: DurationMessage, field: string): string {
  let seconds: bigint;
  try {
    seconds = BigInt(duration.seconds);
  } catch {
    throw new InvalidRequestError('DAPR_SCHEDULER_SCHEDULE_JOB', `${field}.seconds "${String(duration.seconds)}" is not a whole number`, field);
  }
  const nanos = BigInt(Math.trunc(duration.nanos ?? 0));
  const total = seconds * NS_PER_SECOND + nanos;
  if (total < 0n || nanos < 0n || nanos >= NS_PER_SECOND) {
    throw new InvalidRequestError('DAPR_SCHEDULER_SCHEDULE_JOB', `${field} must be a positive duration (seconds >= 0, 0 <= nanos < 1e9)`, field);
  }
  return formatGoDuration(total);
}

/** Milliseconds (possibly fractional) as a Duration. */
export function msToDuration(ms: number): DurationMessage {
  const totalNs = BigInt(Math.round(ms * 1e6));
  return { seconds: String(totalNs / NS_PER_SECOND), nanos: Number(totalNs % NS_PER_SECOND) };
}
