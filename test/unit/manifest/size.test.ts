import { describe, expect, it } from 'vitest';
import { parseSize, SIZE_PATTERN } from '../../../src/manifest/size.js';

const HINT = 'a size is a number and a unit B, KB, MB or GB with no space: 512KB, 10MB';

describe('parseSize', () => {
  it.each([
    ['0B', 0],
    ['1B', 1],
    ['512KB', 524_288],
    ['1KiB', 1024],
    ['10MB', 10_485_760],
    ['10MiB', 10_485_760],
    ['1GB', 1_073_741_824],
    ['2GiB', 2_147_483_648],
    ['1.5KB', 1536],
    ['0.5MB', 524_288],
    [' 10MB ', 10_485_760],
  ])('parses %j as %i bytes', (input, bytes) => {
    expect(parseSize(input)).toEqual({ ok: true, value: bytes });
  });

  it('reads units case-insensitively, and the JSON Schema pattern agrees', () => {
    expect(parseSize('10mb')).toEqual({ ok: true, value: 10_485_760 });
    expect(parseSize('1kib')).toEqual({ ok: true, value: 1024 });
    expect(parseSize('3b')).toEqual({ ok: true, value: 3 });
    for (const ok of ['10mb', '1kib', '3b', '1.5GB', '512KiB'])
      expect(new RegExp(SIZE_PATTERN).test(ok)).toBe(true);
    for (const bad of ['10 MB', '10m', 'MB', '10TB']) expect(new RegExp(SIZE_PATTERN).test(bad)).toBe(false);
  });

  it('rounds a fractional number of bytes to the nearest byte', () => {
    expect(parseSize('1.5B')).toEqual({ ok: true, value: 2 });
    expect(parseSize('0.001KB')).toEqual({ ok: true, value: 1 });
    expect(parseSize('0.0001KB')).toEqual({ ok: true, value: 0 });
  });

  it('accepts a whole, non-negative number as bytes', () => {
    expect(parseSize(0)).toEqual({ ok: true, value: 0 });
    expect(parseSize(4096)).toEqual({ ok: true, value: 4096 });
  });

  it('refuses a negative number', () => {
    expect(parseSize(-1)).toEqual({
      ok: false,
      message: 'expected a size like "10MB", got -1',
      hint: 'sizes cannot be negative',
    });
  });

  it('refuses a fractional number of bytes without calling it negative', () => {
    expect(parseSize(1.5)).toEqual({
      ok: false,
      message: 'expected a size like "10MB", got 1.5',
      hint: HINT,
    });
  });

  it('refuses infinity and NaN', () => {
    expect(parseSize(Infinity)).toEqual({
      ok: false,
      message: 'expected a size like "10MB", got Infinity',
      hint: HINT,
    });
    expect(parseSize(NaN)).toEqual({
      ok: false,
      message: 'expected a size like "10MB", got NaN',
      hint: HINT,
    });
  });

  it.each([
    '',
    '10',
    '10 MB',
    '10K',
    '10TB',
    '10kb2',
    'MB',
    '-5MB',
    '.5MB',
    '1.MB',
    '1e3B',
    '10MBs',
    '10M B',
  ])('refuses the malformed %j', (input) => {
    expect(parseSize(input)).toEqual({
      ok: false,
      message: `expected a size like "10MB", got "${input}"`,
      hint: HINT,
    });
  });

  it('does not look units up on the object prototype', () => {
    expect(parseSize('1constructor')).toEqual({
      ok: false,
      message: 'expected a size like "10MB", got "1constructor"',
      hint: HINT,
    });
  });

  it('agrees with SIZE_PATTERN on the documented spellings', () => {
    const pattern = new RegExp(SIZE_PATTERN);
    for (const good of ['1B', '512KB', '1KiB', '10MB', '10MiB', '1GB', '1GiB', '1.5GB']) {
      expect(pattern.test(good)).toBe(true);
      expect(parseSize(good).ok).toBe(true);
    }
    for (const bad of ['10', '10 MB', '10TB', '-1MB']) {
      expect(pattern.test(bad)).toBe(false);
      expect(parseSize(bad).ok).toBe(false);
    }
  });
});
