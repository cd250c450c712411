// The restart decision: policy, success codes, the sliding-window limit and what on_limit does.
import { describe, expect, it } from 'vitest';
import {
  decideRestart,
  freshHistory,
  isSuccess,
  type Exit,
  type RestartDecision,
  type RestartHistory,
} from '../../../src/core/restart-policy.js';
import { DEFAULT_RESTART } from '../../../src/manifest/resolve.js';
import type { OnLimit, RestartPolicyName, RestartSpec } from '../../../src/manifest/spec.js';

const spec: RestartSpec = { ...DEFAULT_RESTART, jitter: 0 };
const none = () => 0;
const code = (c: number | null): Exit => ({ kind: 'exited', code: c, signal: null });
const signal = (s: string): Exit => ({ kind: 'exited', code: null, signal: s });
const spawnFailed: Exit = { kind: 'spawn-failed' };
const unhealthy: Exit = { kind: 'unhealthy' };

function decide(
  exit: Exit,
  overrides: Partial<RestartSpec> = {},
  history: RestartHistory = freshHistory,
  now = 100_000,
  uptime = 0,
): RestartDecision {
  return decideRestart(exit, { ...spec, ...overrides }, history, now, uptime, none);
}

describe('freshHistory', () => {
  it('has no attempts and no restarts', () => {
    expect(freshHistory).toEqual({ attempt: 0, restarts: [] });
  });
});

describe('isSuccess', () => {
  it.each<[string, Exit, readonly number[], boolean]>([
    ['code 0 with the default codes', code(0), [0], true],
    ['code 1 with the default codes', code(1), [0], false],
    ['code 3 listed among several', code(3), [0, 3], true],
    ['code 0 when only 3 is listed', code(0), [3], false],
    ['a negative listed code', code(-1), [-1], true],
    ['an unknown code', code(null), [0], false],
    ['death by a signal', signal('SIGKILL'), [0], false],
    ['a failed spawn', spawnFailed, [0], false],
    ['an unhealthy run', unhealthy, [0], false],
  ])('%s → %s', (_label, exit, success_codes, expected) => {
    expect(isSuccess(exit, { ...spec, success_codes })).toBe(expected);
  });
});

describe('decideRestart by policy', () => {
  // [policy, exit, what happens]
  const cases: [RestartPolicyName, string, Exit, 'restart' | 'done-success' | 'done-failure'][] = [
    ['never', 'exit 0', code(0), 'done-success'],
    ['never', 'exit 1', code(1), 'done-failure'],
    ['never', 'SIGSEGV', signal('SIGSEGV'), 'done-failure'],
    ['never', 'spawn failure', spawnFailed, 'done-failure'],
    ['on-failure', 'exit 0', code(0), 'done-success'],
    ['on-failure', 'exit 1', code(1), 'restart'],
    ['on-failure', 'unknown code', code(null), 'restart'],
    ['on-failure', 'SIGSEGV', signal('SIGSEGV'), 'restart'],
    ['on-failure', 'spawn failure', spawnFailed, 'restart'],
    ['always', 'exit 0', code(0), 'restart'],
    ['always', 'exit 1', code(1), 'restart'],
    ['always', 'SIGSEGV', signal('SIGSEGV'), 'restart'],
    ['always', 'spawn failure', spawnFailed, 'restart'],
  ];
  it.each(cases)('%s after %s → %s', (policy, _label, exit, expected) => {
    const d = decide(exit, { policy });
    if (expected === 'restart') expect(d.kind).toBe('restart');
    else expect(d).toEqual({ kind: 'done', success: expected === 'done-success' });
  });

  it('uses success_codes for on-failure: a listed code is done, an unlisted 0 restarts', () => {
    expect(decide(code(3), { policy: 'on-failure', success_codes: [0, 3] })).toEqual({
      kind: 'done',
      success: true,
    });
    expect(decide(code(0), { policy: 'on-failure', success_codes: [3] }).kind).toBe('restart');
  });

  // Deliberate: the issue says "a failing liveness probe restarts the process", and the Exit doc
  // says "corral is restarting it"; the limit still bounds it, so no policy can turn it into a storm.
  it.each<RestartPolicyName>(['never', 'on-failure', 'always'])(
    'restarts an unhealthy process even under policy %s',
    (policy) => {
      expect(decide(unhealthy, { policy })).toMatchObject({ kind: 'restart', attempt: 1, delay: 1_000 });
    },
  );

  it('still applies the limit to unhealthy restarts', () => {
    const full = { attempt: 5, restarts: [1, 2, 3, 4, 5] };
    expect(decide(unhealthy, { policy: 'never', on_limit: 'give-up' }, full, 10)).toEqual({
      kind: 'give-up',
      restarts: 5,
      window: 60_000,
    });
  });

  it('decides nothing about restarts when policy never, even with a full window', () => {
    const full = { attempt: 5, restarts: [1, 2, 3, 4, 5] };
    expect(decide(code(1), { policy: 'never', on_limit: 'stop-service' }, full, 10)).toEqual({
      kind: 'done',
      success: false,
    });
  });
});

describe('decideRestart: a restart', () => {
  it('counts the restart in the history it returns, without touching the one it was given', () => {
    const history: RestartHistory = { attempt: 2, restarts: [90_000, 95_000] };
    const d = decide(code(1), {}, history, 100_000, 10);
    expect(d).toEqual({
      kind: 'restart',
      delay: 4_000,
      attempt: 3,
      history: { attempt: 3, restarts: [90_000, 95_000, 100_000] },
    });
    expect(history).toEqual({ attempt: 2, restarts: [90_000, 95_000] });
  });

  it('grows the delay for spawn failures, which never ran (uptime 0): no tight restart storm', () => {
    let history: RestartHistory = freshHistory;
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const d = decide(spawnFailed, {}, history, 1_000 * i, 0);
      if (d.kind !== 'restart') throw new Error(d.kind);
      seen.push(d.delay);
      history = d.history;
    }
    expect(seen).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('resets the attempt after reset_after of uptime, and only from then', () => {
    const history: RestartHistory = { attempt: 4, restarts: [] };
    expect(decide(code(1), {}, history, 100_000, 29_999)).toMatchObject({ attempt: 5, delay: 16_000 });
    expect(decide(code(1), {}, history, 100_000, 30_000)).toMatchObject({
      attempt: 1,
      delay: 1_000,
      history: { attempt: 1, restarts: [100_000] },
    });
  });

  it('does not forget restarts in the window when the backoff resets', () => {
    const history: RestartHistory = { attempt: 4, restarts: [50_000, 60_000, 70_000, 80_000, 90_000] };
    expect(decide(code(1), { on_limit: 'give-up' }, history, 100_000, 30_000).kind).toBe('give-up');
  });

  it('passes the random source to the jitter', () => {
    const d = decideRestart(code(1), { ...spec, jitter: 0.5 }, freshHistory, 0, 0, () => 0.5);
    expect(d).toMatchObject({ kind: 'restart', delay: 1_250 });
  });
});

describe('decideRestart: the limit', () => {
  /**
   * Crashes immediately after every restart (each at the time its delay says) and counts the
   * restarts before something other than a restart comes back.
   */
  function crashLoop(overrides: Partial<RestartSpec>): { restarts: number; last: RestartDecision } {
    const s = { ...spec, ...overrides };
    let history: RestartHistory = freshHistory;
    let now = 0;
    for (let restarts = 0; restarts < 1_000; restarts++) {
      const d = decideRestart(code(1), s, history, now, 0, none);
      if (d.kind !== 'restart') return { restarts, last: d };
      history = d.history;
      now += d.delay;
    }
    throw new Error('never reached the limit');
  }

  const limits: [OnLimit, number][] = [];
  for (const onLimit of ['cool-down', 'give-up', 'stop-service'] as const) {
    for (const n of [0, 1, 3, 5]) limits.push([onLimit, n]);
  }

  it.each(limits)('on_limit %s with limit %i: exactly that many restarts, then on_limit', (on_limit, n) => {
    const window = 3_600_000;
    const { restarts, last } = crashLoop({ on_limit, limit: { restarts: n, window }, cool_down: 77_000 });
    expect(restarts).toBe(n);
    if (on_limit === 'cool-down') expect(last).toEqual({ kind: 'cool-down', delay: 77_000 });
    else expect(last).toEqual({ kind: on_limit, restarts: n, window });
  });

  it('allows the default 5 restarts in 60s with the default delays (1+2+4+8+16 s < 60 s)', () => {
    const { restarts, last } = crashLoop({});
    expect(restarts).toBe(5);
    expect(last).toEqual({ kind: 'cool-down', delay: 300_000 });
  });

  it('never reaches a limit whose window is shorter than the delays between restarts', () => {
    // Delays 1s, 2s, 4s... and a 1.5s window: only the first two restarts ever share it.
    const s = { ...spec, limit: { restarts: 2, window: 1_500 }, on_limit: 'give-up' as const };
    let history: RestartHistory = freshHistory;
    let now = 0;
    for (let i = 0; i < 20; i++) {
      const d = decideRestart(code(1), s, history, now, 0, none);
      if (d.kind !== 'restart') throw new Error(`restart ${i + 1}: ${d.kind}`);
      expect(d.history.restarts.length).toBe(i === 1 ? 2 : 1);
      history = d.history;
      now += d.delay;
    }
  });

  it('forgets restarts that are a whole window old (the window slides)', () => {
    const s: Partial<RestartSpec> = { limit: { restarts: 3, window: 10_000 }, on_limit: 'give-up' };
    const history: RestartHistory = { attempt: 3, restarts: [0, 5_000, 9_000] };
    // At 9_999 all three are within 10s: the limit applies.
    expect(decide(code(1), s, history, 9_999).kind).toBe('give-up');
    // At 10_000 the restart at 0 is exactly a window old: forgotten, so one more is allowed.
    expect(decide(code(1), s, history, 10_000)).toMatchObject({
      kind: 'restart',
      history: { restarts: [5_000, 9_000, 10_000] },
    });
    // At 19_000 all three are at least a window old.
    expect(decide(code(1), s, history, 19_000)).toMatchObject({ history: { restarts: [19_000] } });
  });

  it('reports how many restarts the window held when it gives up', () => {
    const history: RestartHistory = { attempt: 9, restarts: [1, 2, 3, 4, 5, 6, 7] };
    expect(
      decide(code(1), { on_limit: 'stop-service', limit: { restarts: 4, window: 100 } }, history, 50),
    ).toEqual({ kind: 'stop-service', restarts: 7, window: 100 });
  });

  it('counts success restarts under always', () => {
    const history: RestartHistory = { attempt: 1, restarts: [99_000] };
    expect(
      decide(
        code(0),
        { policy: 'always', on_limit: 'give-up', limit: { restarts: 1, window: 60_000 } },
        history,
      ),
    ).toEqual({ kind: 'give-up', restarts: 1, window: 60_000 });
  });
});
