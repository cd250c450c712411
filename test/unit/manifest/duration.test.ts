import { describe, expect, it } from 'vitest';
import {
  DURATION_PATTERN,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
} from '../../../src/manifest/duration.js';

const MALFORMED_HINT = 'a duration is numbers with units ms, s, m, h or d and no spaces: 500ms, 10s, 1m30s';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h1m1s1ms', 3_661_001],
    ['1.5s', 1500],
    ['0.25m', 15_000],
    ['0s', 0],
    ['0ms', 0],
    ['0', 0],
    ['  10s  ', 10_000],
  ])('parses %j as %i ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: ms });
  });

  it('reads "ms" as milliseconds, not minutes followed by seconds', () => {
    expect(parseDuration('5ms')).toEqual({ ok: true, value: 5 });
  });

  it('adds repeated units rather than rejecting them', () => {
    expect(parseDuration('1s1s')).toEqual({ ok: true, value: 2000 });
  });

  it('rounds fractional milliseconds to the nearest millisecond', () => {
    expect(parseDuration('1.4ms')).toEqual({ ok: true, value: 1 });
    expect(parseDuration('1.5ms')).toEqual({ ok: true, value: 2 });
    expect(parseDuration('0.0001s')).toEqual({ ok: true, value: 0 });
  });

  it('accepts the number 0 without a unit', () => {
    expect(parseDuration(0)).toEqual({ ok: true, value: 0 });
  });

  it('refuses any other bare number and suggests a unit', () => {
    expect(parseDuration(10)).toEqual({
      ok: false,
      message: 'expected a duration like "10s", got 10',
      hint: 'add a unit: "10s" for seconds, "10ms" for milliseconds',
    });
    expect(parseDuration(1.5)).toEqual({
      ok: false,
      message: 'expected a duration like "10s", got 1.5',
      hint: 'add a unit: "1.5s" for seconds, "1.5ms" for milliseconds',
    });
  });

  it('refuses a negative number without suggesting a negative duration', () => {
    expect(parseDuration(-5)).toEqual({
      ok: false,
      message: 'expected a duration like "10s", got -5',
      hint: 'durations cannot be negative',
    });
  });

  it.each(['-5s', ' -1m', '-0'])('refuses the negative string %j', (input) => {
    expect(parseDuration(input)).toEqual({
      ok: false,
      message: `expected a duration like "10s", got "${input}"`,
      hint: 'durations cannot be negative',
    });
  });

  it.each([
    '',
    '   ',
    '10',
    '10 sec',
    '10 s',
    '10sec',
    '1m 30s',
    's',
    '1.s',
    '.5s',
    '1.5.5s',
    '10S',
    '+5s',
    '00',
    '1w',
    '10s!',
  ])('refuses the malformed %j', (input) => {
    expect(parseDuration(input)).toEqual({
      ok: false,
      message: `expected a duration like "10s", got "${input}"`,
      hint: MALFORMED_HINT,
    });
  });

  it('accepts exactly the longest duration a timer can hold', () => {
    expect(parseDuration(`${MAX_DURATION_MS}ms`)).toEqual({ ok: true, value: MAX_DURATION_MS });
    expect(parseDuration('24d')).toEqual({ ok: true, value: 2_073_600_000 });
  });

  it('refuses one millisecond more than a timer can hold', () => {
    expect(parseDuration(`${MAX_DURATION_MS + 1}ms`)).toEqual({
      ok: false,
      message: '"2147483648ms" is too long',
      hint: 'a duration may be at most 24d',
    });
    expect(parseDuration('25d')).toEqual({
      ok: false,
      message: '"25d" is too long',
      hint: 'a duration may be at most 24d',
    });
  });

  it('refuses a sum of parts that overflows, even when each part fits', () => {
    expect(parseDuration('24d24d')).toEqual({
      ok: false,
      message: '"24d24d" is too long',
      hint: 'a duration may be at most 24d',
    });
  });

  it('treats a number too big to represent as too long', () => {
    const input = `${'9'.repeat(400)}d`;
    expect(parseDuration(input)).toEqual({
      ok: false,
      message: `"${input}" is too long`,
      hint: 'a duration may be at most 24d',
    });
  });

  it('gives the same answer when called again after a failure (no regex state leaks)', () => {
    expect(parseDuration('10x').ok).toBe(false);
    expect(parseDuration('10s')).toEqual({ ok: true, value: 10_000 });
    expect(parseDuration('1m30s')).toEqual({ ok: true, value: 90_000 });
  });

  it('agrees with DURATION_PATTERN on what is well formed', () => {
    const pattern = new RegExp(DURATION_PATTERN);
    for (const good of ['0', '500ms', '1m30s', '1.5s', '2h', '1d']) {
      expect(pattern.test(good)).toBe(true);
      expect(parseDuration(good).ok).toBe(true);
    }
    for (const bad of ['', '10', '10 s', '-1s', '1w', '00']) {
      expect(pattern.test(bad)).toBe(false);
      expect(parseDuration(bad).ok).toBe(false);
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1ms'],
    [500, '500ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [1234, '1.234s'],
    [1200, '1.2s'],
    [10_010, '10.01s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [90_500, '90.5s'],
    [3_600_000, '1h'],
    [3_601_000, '1h1s'],
    [3_661_000, '1h1m1s'],
    [86_400_000, '1d'],
    [90_061_000, '1d1h1m1s'],
    [172_800_000, '2d'],
    [MAX_DURATION_MS, '2147483.647s'],
  ])('renders %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1, 500, 1000, 1500, 1234, 59_999, 60_000, 90_000, 3_661_000, 90_061_000, 2_073_600_000])(
    'renders %i ms as text that parses back to the same value',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, value: ms });
    },
  );
});
