// The fake clock every core unit test drives time with: it must fire exactly what a real clock would.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('FakeClock', () => {
  it('starts at 0 and moves only when advanced', () => {
    const clock = new FakeClock();
    expect(clock.now()).toBe(0);
    expect(clock.now()).toBe(0);
    clock.advance(250);
    expect(clock.now()).toBe(250);
    clock.advance(0);
    expect(clock.now()).toBe(250);
  });

  it('fires a timer when time reaches it, not before, and only once', () => {
    const clock = new FakeClock();
    let fired = 0;
    clock.after(100, () => fired++);
    clock.advance(99);
    expect(fired).toBe(0);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    expect(fired).toBe(1);
    expect(clock.pending).toBe(0);
    clock.advance(1_000);
    expect(fired).toBe(1);
  });

  it('fires a zero-delay timer on the next advance, even advance(0)', () => {
    const clock = new FakeClock();
    let fired = false;
    clock.after(0, () => (fired = true));
    expect(fired).toBe(false);
    clock.advance(0);
    expect(fired).toBe(true);
  });

  it('fires timers in time order, ties in the order they were set, each seeing its own time', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${clock.now()}`);
    clock.after(30, at('c'));
    clock.after(10, at('a1'));
    clock.after(20, at('b'));
    clock.after(10, at('a2'));
    clock.advance(100);
    expect(log).toEqual(['a1@10', 'a2@10', 'b@20', 'c@30']);
    expect(clock.now()).toBe(100);
  });

  it('does not fire a cancelled timer, and cancelling twice or after firing is harmless', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const a = clock.after(10, () => log.push('a'));
    const b = clock.after(10, () => log.push('b'));
    a.cancel();
    a.cancel();
    expect(clock.pending).toBe(1);
    clock.advance(10);
    b.cancel();
    clock.advance(10);
    expect(log).toEqual(['b']);
    expect(clock.pending).toBe(0);
  });

  it('fires timers set by a timer when they fall within the same advance, relative to the firing time', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    clock.after(10, () => {
      log.push(`outer@${clock.now()}`);
      clock.after(5, () => log.push(`inner@${clock.now()}`));
      clock.after(50, () => log.push(`late@${clock.now()}`));
    });
    clock.advance(20);
    expect(log).toEqual(['outer@10', 'inner@15']);
    expect(clock.pending).toBe(1);
    clock.advance(40);
    expect(log).toEqual(['outer@10', 'inner@15', 'late@60']);
  });

  it('lets a timer cancel another due in the same advance', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const victim = clock.after(20, () => log.push('victim'));
    clock.after(10, () => {
      victim.cancel();
    });
    clock.advance(30);
    expect(log).toEqual([]);
  });

  it('fires a timer rescheduling itself once per period (a probe loop)', () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(clock.now());
      clock.after(1_000, tick);
    };
    clock.after(1_000, tick);
    clock.advance(3_500);
    expect(ticks).toEqual([1_000, 2_000, 3_000]);
    expect(clock.now()).toBe(3_500);
    expect(clock.pending).toBe(1);
  });

  it('counts timers set relative to the time of setting', () => {
    const clock = new FakeClock();
    clock.advance(1_000);
    let fired = -1;
    clock.after(500, () => (fired = clock.now()));
    clock.advance(499);
    expect(fired).toBe(-1);
    clock.advance(1);
    expect(fired).toBe(1_500);
  });
});
