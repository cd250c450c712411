// The restart delay: delay × backoff^(attempt−1), capped at max_delay, plus up to jitter × that.
import { describe, expect, it } from 'vitest';
import { restartDelay } from '../../../src/core/backoff.js';
import { decideRestart, freshHistory, type RestartHistory } from '../../../src/core/restart-policy.js';
import { DEFAULT_RESTART } from '../../../src/manifest/resolve.js';
import type { RestartSpec } from '../../../src/manifest/spec.js';

/** Defaults (1s, ×2, at most 60s) without jitter, so delays are exact. */
const exact: RestartSpec = { ...DEFAULT_RESTART, jitter: 0 };
const none = () => 0;
const almostOne = () => 0.999;

describe('restartDelay growth and cap', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 16_000],
    [6, 32_000],
    [7, 60_000],
    [8, 60_000],
    [50, 60_000],
  ])('restart %i waits %i ms (1s doubling, capped at 60s)', (attempt, ms) => {
    expect(restartDelay(exact, attempt, none)).toBe(ms);
  });

  it('treats attempt 0 and below like the first restart', () => {
    expect(restartDelay(exact, 0, none)).toBe(1_000);
    expect(restartDelay(exact, -3, none)).toBe(1_000);
  });

  it('keeps the delay constant with backoff 1', () => {
    const flat = { ...exact, backoff: 1 };
    for (const attempt of [1, 2, 10, 1_000, 1e9]) expect(restartDelay(flat, attempt, none)).toBe(1_000);
  });

  it('grows by a fractional factor and rounds to whole milliseconds', () => {
    const slow = { ...exact, backoff: 1.5 };
    expect([1, 2, 3, 4].map((a) => restartDelay(slow, a, none))).toEqual([1_000, 1_500, 2_250, 3_375]);
    expect(restartDelay({ ...slow, delay: 333 }, 2, none)).toBe(500); // 499.5 rounds up
  });

  it('stays at the cap when delay equals max_delay', () => {
    const capped = { ...exact, delay: 5_000, max_delay: 5_000 };
    expect([1, 2, 3].map((a) => restartDelay(capped, a, none))).toEqual([5_000, 5_000, 5_000]);
  });

  it('never grows a zero delay', () => {
    const immediate = { ...exact, delay: 0 };
    for (const attempt of [1, 2, 100, 1_024, 1_025, 1e6, Number.MAX_SAFE_INTEGER]) {
      expect(restartDelay(immediate, attempt, almostOne)).toBe(0);
    }
  });

  it('gives the cap, never Infinity or NaN, for huge attempt numbers', () => {
    // 2 ** 1024 is Infinity in doubles, so attempt 1025 is the first that overflows.
    for (const attempt of [1_024, 1_025, 1_026, 1e6, Number.MAX_SAFE_INTEGER, Infinity]) {
      const ms = restartDelay(exact, attempt, none);
      expect(ms, `attempt ${attempt}`).toBe(60_000);
    }
    const jittered = restartDelay({ ...exact, jitter: 0.5 }, 1e6, almostOne);
    expect(Number.isFinite(jittered)).toBe(true);
    expect(jittered).toBe(89_970);
  });
});

describe('restartDelay jitter', () => {
  const jittery: RestartSpec = { ...DEFAULT_RESTART, jitter: 0.1 };

  it('adds nothing when random returns 0', () => {
    expect(restartDelay(jittery, 1, none)).toBe(1_000);
    expect(restartDelay(jittery, 3, none)).toBe(4_000);
  });

  it('adds just under jitter × the delay when random returns 0.999', () => {
    expect(restartDelay(jittery, 1, almostOne)).toBe(1_100); // 1000 + 99.9
    expect(restartDelay(jittery, 3, almostOne)).toBe(4_400); // 4000 + 399.6
  });

  it('adds jitter on top of the cap, so capped restarts still spread', () => {
    expect(restartDelay(jittery, 20, none)).toBe(60_000);
    expect(restartDelay(jittery, 20, almostOne)).toBe(65_994);
    expect(restartDelay(jittery, 20, () => 0.5)).toBe(63_000);
  });

  it('adds nothing with jitter 0, whatever random returns', () => {
    expect(restartDelay(exact, 2, almostOne)).toBe(2_000);
  });

  it('stays within [capped, capped × (1 + jitter)] and never shrinks as attempts grow', () => {
    const spec: RestartSpec = {
      ...DEFAULT_RESTART,
      jitter: 0.25,
      delay: 750,
      backoff: 1.7,
      max_delay: 40_000,
    };
    for (const r of [0, 0.1, 0.5, 0.9, 0.999999]) {
      let previous = 0;
      for (let attempt = 1; attempt <= 200; attempt++) {
        const capped = Math.min(750 * 1.7 ** (attempt - 1), 40_000);
        const ms = restartDelay(spec, attempt, () => r);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(Math.round(capped));
        expect(ms).toBeLessThanOrEqual(Math.round(capped * 1.25));
        expect(ms).toBeGreaterThanOrEqual(previous);
        previous = ms;
      }
    }
  });
});

describe('backoff reset after reset_after of stable uptime', () => {
  /** Feeds `uptimes` (one per exit) through decideRestart and returns the delays. */
  function delays(uptimes: readonly number[]): number[] {
    let history: RestartHistory = freshHistory;
    let now = 0;
    const out: number[] = [];
    for (const uptime of uptimes) {
      now += uptime;
      const d = decideRestart({ kind: 'exited', code: 1, signal: null }, spec, history, now, uptime, none);
      if (d.kind !== 'restart') throw new Error(`expected a restart, got ${d.kind}`);
      out.push(d.delay);
      history = d.history;
      now += d.delay;
    }
    return out;
  }
  const spec: RestartSpec = { ...exact, limit: { restarts: 100, window: 60_000 } };

  it('keeps growing while runs are shorter than reset_after', () => {
    expect(delays([0, 10, 29_999, 5])).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('starts again from delay after a run of reset_after or more', () => {
    expect(delays([0, 0, 0, 30_000, 0, 0])).toEqual([1_000, 2_000, 4_000, 1_000, 2_000, 4_000]);
    expect(delays([0, 0, 45_000])).toEqual([1_000, 2_000, 1_000]);
  });
});
