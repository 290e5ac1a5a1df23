import { describe, expect, it } from 'vitest';
import { formatGoDuration } from '@duetime/sdk/protocol';
import { durationToGo, msToDuration } from '../../../src/api/grpc/proto-duration.js';
import { parseGoDuration } from '../../../src/core/schedule/index.js';

describe('google.protobuf.Duration <-> Go durations', () => {
  it.each([
    [0n, '0s'],
    [999n, '999ns'],
    [1_500n, '1.5us'],
    [1_500_000n, '1.5ms'],
    [1_000_000_000n, '1s'],
    [2_500_000_000n, '2.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_000_000_001n, '1h2m3.000000001s'],
  ])('%s ns formats as %s, which parses back', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
    expect(parseGoDuration(text)).toBeCloseTo(Number(ns) / 1e6, 9);
  });

  it('reads Duration messages with string or number seconds', () => {
    expect(durationToGo({ seconds: '2', nanos: 500_000_000 }, 'interval')).toBe('2.5s');
    expect(durationToGo({ seconds: 60, nanos: 0 }, 'interval')).toBe('1m0s');
  });

  it('rejects negative and malformed durations with INVALID_ARGUMENT-kind errors', () => {
    expect(() => durationToGo({ seconds: '-1', nanos: 0 }, 'interval')).toThrow(/positive duration/);
    expect(() => durationToGo({ seconds: '0', nanos: 1_000_000_000 }, 'interval')).toThrow(/nanos/);
    expect(() => durationToGo({ seconds: 'x', nanos: 0 }, 'interval')).toThrow(/not a whole number/);
  });

  it('writes milliseconds as seconds and nanos', () => {
    expect(msToDuration(2500)).toEqual({ seconds: '2', nanos: 500_000_000 });
    expect(msToDuration(0.5)).toEqual({ seconds: '0', nanos: 500_000 });
  });
});
