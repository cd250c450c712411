import { describe, expect, it } from 'vitest';
import type { RotatedFile } from '../../../src/logging/output-files.js';
import { nextBoundary, nextRotated, periodStart, retain } from '../../../src/logging/rotation.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.UTC(2026, 10, 27, 21, 15, 30, 500); // 2026-11-27T21:15:30.500Z

function file(stamp: number, seq = 0): RotatedFile {
  return { stamp, seq, plain: `f${stamp}_${seq}`, gzip: null };
}

describe('rotation periods', () => {
  it('ends hours and days on UTC boundaries', () => {
    expect(periodStart('hourly', T)).toBe(Date.UTC(2026, 10, 27, 21));
    expect(nextBoundary('hourly', T)).toBe(Date.UTC(2026, 10, 27, 22));
    expect(periodStart('daily', T)).toBe(Date.UTC(2026, 10, 27));
    expect(nextBoundary('daily', T)).toBe(Date.UTC(2026, 10, 28));
    expect(nextBoundary('daily', Date.UTC(2026, 11, 31, 23, 59, 59, 999))).toBe(Date.UTC(2027, 0, 1));
  });

  it('starts the next period exactly at the boundary', () => {
    const boundary = Date.UTC(2026, 10, 28);
    expect(nextBoundary('daily', boundary - 1)).toBe(boundary);
    expect(nextBoundary('daily', boundary)).toBe(boundary + 24 * HOUR);
    expect(periodStart('hourly', boundary)).toBe(boundary);
  });

  it('has no periods for never', () => {
    expect(periodStart('never', T)).toBeNull();
    expect(nextBoundary('never', T)).toBeNull();
  });
});

describe('nextRotated', () => {
  it('stamps whole seconds and counts rotations within one', () => {
    expect(nextRotated(null, T)).toEqual({ stamp: T - 500, seq: 0 });
    expect(nextRotated({ stamp: T - 500, seq: 0 }, T + 400)).toEqual({ stamp: T - 500, seq: 1 });
    expect(nextRotated({ stamp: T - 500, seq: 7 }, T + 499)).toEqual({ stamp: T - 500, seq: 8 });
    expect(nextRotated({ stamp: T - 500, seq: 7 }, T + 500)).toEqual({ stamp: T + 500, seq: 0 });
  });

  it('never goes back when the wall clock does', () => {
    expect(nextRotated({ stamp: T + HOUR, seq: 0 }, T)).toEqual({ stamp: T + HOUR, seq: 1 });
  });
});

describe('retain', () => {
  const files = [file(T - 50 * MIN), file(T - 40 * MIN), file(T - 30 * MIN), file(T - 20 * MIN), file(T)];

  it('keeps the newest `keep` files', () => {
    expect(retain(files, { keep: 2, max_age: null }, T).remove).toEqual(files.slice(0, 3));
    expect(retain(files, { keep: 10, max_age: null }, T)).toEqual({ remove: [], nextExpiry: null });
    expect(retain(files, { keep: 0, max_age: null }, T).remove).toEqual(files);
  });

  it('deletes files rotated max_age or longer ago, and says when the next one will be', () => {
    const result = retain(files, { keep: 10, max_age: 30 * MIN }, T);
    expect(result.remove).toEqual(files.slice(0, 3));
    expect(result.nextExpiry).toBe(T + 10 * MIN);
  });

  it('applies both rules together', () => {
    const result = retain(files, { keep: 1, max_age: 45 * MIN }, T);
    expect(result.remove).toEqual(files.slice(0, 4));
    expect(result.nextExpiry).toBe(T + 45 * MIN);
  });

  it('keeps nothing and expects nothing from an empty list', () => {
    expect(retain([], { keep: 3, max_age: MIN }, T)).toEqual({ remove: [], nextExpiry: null });
  });
});
