import { describe, expect, it } from 'vitest';
import { pollReady, watchLiveness, type ReadyOutcome } from '../../../src/core/probes/loops.js';
import { failed, passed, type ProbeResult } from '../../../src/core/probes/result.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** Lets resolved attempt promises run their callbacks (no time passes). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An attempt that answers from a script, recording when it was called and with what timeout. */
function scripted(clock: FakeClock, answers: readonly boolean[]) {
  const calls: { at: number; timeout: number }[] = [];
  const attempt = (timeout: number): Promise<ProbeResult> => {
    calls.push({ at: clock.now(), timeout });
    const ok = answers[calls.length - 1] ?? false;
    return Promise.resolve(ok ? passed : failed(`refused #${calls.length}`));
  };
  return { attempt, calls };
}

/**
 * Moves the clock `ms` forward timer by timer, letting each attempt's promise settle before the
 * next timer, as it would in real time (an attempt here answers at once).
 */
async function run(clock: FakeClock, ms: number) {
  const target = clock.now() + ms;
  for (;;) {
    await settle();
    const next = clock.nextAt;
    if (next === undefined || next > target) break;
    clock.advance(next - clock.now());
  }
  clock.advance(target - clock.now());
}

describe('pollReady', () => {
  it('retries every interval until an attempt passes, then reports ready once', async () => {
    const clock = new FakeClock();
    const { attempt, calls } = scripted(clock, [false, false, true]);
    const outcomes: ReadyOutcome[] = [];
    pollReady(attempt, { timeout: 10_000, interval: 500, initial_delay: 0 }, clock, (o) => outcomes.push(o));
    await run(clock, 5_000);
    expect(calls.map((c) => c.at)).toEqual([0, 500, 1_000]);
    expect(outcomes).toEqual([{ ready: true }]);
  });

  it('gives up at its timeout with the last reason, and gives each attempt only the time left', async () => {
    const clock = new FakeClock();
    const { attempt, calls } = scripted(clock, []);
    const outcomes: ReadyOutcome[] = [];
    pollReady(attempt, { timeout: 1_700, interval: 500, initial_delay: 200 }, clock, (o) => outcomes.push(o));
    await run(clock, 5_000);
    expect(calls).toEqual([
      { at: 200, timeout: 1_500 },
      { at: 700, timeout: 1_000 },
      { at: 1_200, timeout: 500 },
    ]);
    expect(outcomes).toEqual([{ ready: false, reason: 'not ready within 1700 ms (last: refused #3)' }]);
  });

  it('does nothing more once cancelled', async () => {
    const clock = new FakeClock();
    const { attempt, calls } = scripted(clock, []);
    const outcomes: ReadyOutcome[] = [];
    const poll = pollReady(attempt, { timeout: 10_000, interval: 500, initial_delay: 0 }, clock, (o) =>
      outcomes.push(o),
    );
    await run(clock, 1_000);
    poll.cancel();
    const before = calls.length;
    await run(clock, 20_000);
    expect(calls.length).toBe(before);
    expect(outcomes).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe('watchLiveness', () => {
  it('reports after the given number of failures in a row, once, and then stops checking', async () => {
    const clock = new FakeClock();
    const { attempt, calls } = scripted(clock, [false, false, true, false, false, false, true]);
    const reports: string[] = [];
    watchLiveness(attempt, { every: 1_000, failures: 3, timeout: 300, initial_delay: 500 }, clock, (r) =>
      reports.push(r),
    );
    await run(clock, 20_000);
    expect(calls).toEqual([500, 1_500, 2_500, 3_500, 4_500, 5_500].map((at) => ({ at, timeout: 300 })));
    expect(reports).toEqual(['refused #6 (3 failures in a row)']);
  });

  it('keeps checking while checks pass, and stops when cancelled', async () => {
    const clock = new FakeClock();
    const { attempt, calls } = scripted(clock, Array<boolean>(100).fill(true));
    const reports: string[] = [];
    const watch = watchLiveness(
      attempt,
      { every: 1_000, failures: 1, timeout: 300, initial_delay: 0 },
      clock,
      (r) => reports.push(r),
    );
    await run(clock, 5_000);
    expect(calls.length).toBe(6);
    watch.cancel();
    await run(clock, 5_000);
    expect(calls.length).toBe(6);
    expect(reports).toEqual([]);
  });
});
