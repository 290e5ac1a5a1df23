// The SDK's interval <-> google.protobuf.Duration conversion (DuetimeGrpcClient) agrees with the
// server's: what the SDK sends decodes, on the server, to the interval the HTTP API would store.

import { describe, expect, it } from 'vitest';
import { durationToGo as serverDurationToGo } from '../../../src/api/grpc/proto-duration.js';
import { parseIntervalMs } from '../../../src/core/schedule/index.js';
import { durationToGo, nsToDuration, parseDurationNs } from '../../../packages/sdk/src/proto-duration.js';

const ACCEPTED = ['0', '0s', '1s', '1.5s', '2m30s', '1h0m0.5s', '300ms', '1.5ms', '10us', '10µs', '7ns', '+3s', '1h90m', '.5s', 'PT1S', 'pt1m30s', 'PT1.5S', 'PT0,25S', 'P1D', 'P2W', 'P1DT12H', 'P0Y0M1D', ' 5s '];

describe('the SDK interval conversion', () => {
  it.each(ACCEPTED)('%j: the server reads the same interval as over HTTP', (text) => {
    const ns = parseDurationNs(text);
    expect(ns).toBeDefined();
    const duration = nsToDuration(ns!);
    // What the server does with the Duration: a Go duration string, then the HTTP interval parser.
    const serverSide = parseIntervalMs(serverDurationToGo(duration, 'interval'), 'i');
    expect(serverSide).toBe(parseIntervalMs(text, 'i'));
  });

  it.each(['', 'soon', '5', '1x', 's', 'P', 'PT', 'P1M', 'P1Y', 'P1.5D', '1s2', 'PT1S2'])('%j is refused', (text) => {
    expect(parseDurationNs(text)).toBeUndefined();
  });

  it('negative durations keep one sign in seconds and nanos', () => {
    expect(nsToDuration(parseDurationNs('-1.5s')!)).toEqual({ seconds: '-1', nanos: -500_000_000 });
  });

  it('reads Durations back as the server formats Go durations', () => {
    const cases = [[0, 0, '0s'], [1, 0, '1s'], [2, 500_000_000, '2.5s'], [90, 0, '1m30s'], [3600, 0, '1h0m0s'], [3600, 500_000_000, '1h0m0.5s'], [0, 1_500_000, '1.5ms'], [0, 10_000, '10us'], [0, 7, '7ns'], [86_400 * 3, 0, '72h0m0s']] as const;
    for (const [seconds, nanos, text] of cases) {
      const duration = { seconds: String(seconds), nanos };
      expect(durationToGo(duration)).toBe(text);
      expect(serverDurationToGo(duration, 'interval')).toBe(text);
    }
    expect(durationToGo({ seconds: '-1', nanos: -500_000_000 })).toBe('-1.5s');
  });
});
