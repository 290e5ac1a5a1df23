import { describe, expect, it } from 'vitest';
import { parseIsoDuration, parseIsoRepeating, type IsoDuration } from '../../../src/core/schedule/index.js';

const ZERO: IsoDuration = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };

describe('parseIsoDuration', () => {
  it.each([
    ['P1D', { days: 1 }],
    ['PT2H', { hours: 2 }],
    ['P2W', { weeks: 2 }],
    ['P1Y2M3DT4H5M6.5S', { years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6.5 }],
    ['P1M', { months: 1 }],
    ['PT1M', { minutes: 1 }],
    ['PT0S', {}],
    ['PT0.5S', { seconds: 0.5 }],
    ['PT1,5S', { seconds: 1.5 }],
    ['PT1.5H', { hours: 1.5 }],
    ['PT1H0.25M', { hours: 1, minutes: 0.25 }],
    ['P1W2D', { weeks: 1, days: 2 }],
    ['p1dt2h', { days: 1, hours: 2 }],
  ] as const)('%s', (text, parts) => {
    expect(parseIsoDuration(text)).toEqual({ ...ZERO, ...parts });
  });

  it.each([
    ['P', 'has no parts'],
    ['PT', 'has a T with no hours, minutes or seconds'],
    ['P1DT', 'has a T with no hours, minutes or seconds'],
    ['1D', 'must start with P'],
    ['', 'must start with P'],
    ['-P1D', 'must start with P'],
    ['P1S', 'is malformed'],
    ['PT1D', 'is malformed'],
    ['P1M1Y', 'is malformed'],
    ['P-1D', 'is malformed'],
    ['P1.5D', 'only the last of hours, minutes or seconds may have a fraction'],
    ['P0.5Y', 'only the last of hours, minutes or seconds may have a fraction'],
    ['PT1.5H30M', 'only the last of hours, minutes or seconds may have a fraction'],
  ])('refuses %j (%s)', (text, fragment) => {
    expect(() => parseIsoDuration(text)).toThrow(fragment);
    expect(() => parseIsoDuration(text)).toThrow(`ISO 8601 duration "${text}"`);
  });
});

describe('parseIsoRepeating', () => {
  it('reads a count and a period', () => {
    expect(parseIsoRepeating('R5/PT10S')).toEqual({ repeats: 5, duration: { ...ZERO, seconds: 10 } });
    expect(parseIsoRepeating('r3/P1D')).toEqual({ repeats: 3, duration: { ...ZERO, days: 1 } });
  });

  it('reads R/ as unbounded', () => {
    const parsed = parseIsoRepeating('R/PT10S');
    expect(parsed).toEqual({ duration: { ...ZERO, seconds: 10 } });
    expect(parsed.repeats).toBeUndefined();
  });

  it.each([
    ['PT10S', 'must look like R5/PT10S'],
    ['R5PT10S', 'must look like R5/PT10S'],
    ['R-1/PT1S', 'must look like R5/PT10S'],
    ['R0/PT10S', 'the count after R must be 1 or more'],
    ['R5/', 'must start with P'],
    ['R5/10s', 'must start with P'],
    ['R5/PT0S', 'zero period'],
  ])('refuses %j (%s)', (text, fragment) => {
    expect(() => parseIsoRepeating(text)).toThrow(fragment);
  });
});
