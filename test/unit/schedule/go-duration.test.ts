import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../../src/core/schedule/index.js';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['1ns', 0.000001],
    ['100us', 0.1],
    ['100\u00b5s', 0.1], // micro sign
    ['100\u03bcs', 0.1], // Greek mu
    ['1ms', 1],
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['.5s', 500],
    ['1.s', 1_000],
    ['2m', 120_000],
    ['-2m', -120_000],
    ['+3s', 3_000],
    ['1h30m', 5_400_000],
    ['2h45m30.5s', 9_930_500],
    ['1h1m1s1ms1us1ns', 3_661_001.001001],
    ['1.5h', 5_400_000],
    ['-1.5h', -5_400_000],
    ['2562047h', 2_562_047 * 3_600_000],
  ])('%s = %s ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'is empty'],
    ['-', 'is empty'],
    ['1x', 'unknown unit "x"'],
    ['1', 'missing a unit'],
    ['00', 'missing a unit'],
    ['s', 'expected a number'],
    ['.s', 'expected a number'],
    ['1.2.3s', 'missing a unit after "1.2"'],
    ['1 s', 'unknown unit " s"'],
    [' 1s', 'expected a number'],
    ['1e3s', 'unknown unit "e"'],
    ['1S', 'unknown unit "S"'],
    ['1d', 'unknown unit "d"'],
    ['2562048h', 'out of range'],
    ['PT1S', 'expected a number'],
  ])('refuses %j (%s)', (text, fragment) => {
    expect(() => parseGoDuration(text)).toThrow(Error);
    expect(() => parseGoDuration(text)).toThrow(fragment);
    expect(() => parseGoDuration(text)).toThrow(`duration "${text}"`);
  });
});
