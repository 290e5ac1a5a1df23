// A failure policy's interval between the duration strings of the JSON API ("30s", "1m30s",
// "PT1M") and google.protobuf.Duration, for DuetimeGrpcClient. The server's parsers throw server
// error types, so the SDK parses on its own (returning undefined); the formatter is shared.
// Exact in nanoseconds, as Go and the server compute; the server then rounds up to whole ms.

import { formatGoDuration } from './protocol/go-duration-format.js';
import type { DurationMessage } from './protocol/messages.js';

const NS_PER_SECOND = 1_000_000_000n;
const DAY_NS = 86_400n * NS_PER_SECOND;
const GO_UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: NS_PER_SECOND,
  m: 60n * NS_PER_SECOND,
  h: 3_600n * NS_PER_SECOND,
};
const N = String.raw`(\d+(?:[.,]\d+)?)`;
const ISO = new RegExp(`^P(?:${N}Y)?(?:${N}M)?(?:${N}W)?(?:${N}D)?(?:T(?:${N}H)?(?:${N}M)?(?:${N}S)?)?$`, 'i');

/**
 * A Go duration ("1.5s", "2m30s", "-1s") or an ISO 8601 one without years and months ("PT1M",
 * "P1D") as nanoseconds; undefined when the text is neither. A negative value is returned as
 * such: the server refuses it with its own message.
 */
export function parseDurationNs(text: string): bigint | undefined {
  const trimmed = text.trim();
  return /^P/i.test(trimmed) ? parseIsoNs(trimmed) : parseGoNs(trimmed);
}

/** Nanoseconds as a Duration; seconds and nanos carry the same sign, as protobuf requires. */
export function nsToDuration(ns: bigint): DurationMessage {
  return { seconds: String(ns / NS_PER_SECOND), nanos: Number(ns % NS_PER_SECOND) };
}

/** A Duration as a Go duration string, as the server writes them: "0s", "2.5s", "1m30s", "1h0m0s". */
export function durationToGo(duration: DurationMessage): string {
  return formatGoDuration(BigInt(duration.seconds) * NS_PER_SECOND + BigInt(Math.trunc(duration.nanos)));
}

function parseGoNs(text: string): bigint | undefined {
  let rest = text;
  const negative = rest.startsWith('-');
  if (negative || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2] ?? '';
    if (whole === '' && fraction === '') return undefined;
    rest = rest.slice(number?.[0].length ?? 0);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    const unitNs = GO_UNIT_NS[unit];
    if (unitNs === undefined) return undefined;
    rest = rest.slice(unit.length);
    // Digits after the point are truncated to whole nanoseconds, as Go does.
    const kept = fraction.slice(0, 30);
    total += (whole === '' ? 0n : BigInt(whole)) * unitNs + (kept === '' ? 0n : (BigInt(kept) * unitNs) / 10n ** BigInt(kept.length));
  }
  return negative ? -total : total;
}

function parseIsoNs(text: string): bigint | undefined {
  const match = ISO.exec(text);
  if (!match || /T$/i.test(text)) return undefined;
  const parts = match.slice(1).map((value) => (value === undefined ? undefined : Number(value.replace(',', '.'))));
  if (parts.every((value) => value === undefined)) return undefined;
  const [years = 0, months = 0, weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0] = parts;
  // Years and months vary in length: the server refuses them for an interval, so do we.
  if (years !== 0 || months !== 0 || !Number.isInteger(weeks) || !Number.isInteger(days)) return undefined;
  const timeMs = hours * 3_600_000 + minutes * 60_000 + seconds * 1_000;
  return (BigInt(weeks) * 7n + BigInt(days)) * DAY_NS + BigInt(Math.round(timeMs * 1e6));
}
