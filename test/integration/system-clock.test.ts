import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';

describe('systemClock', () => {
  it('runs a zero-delay timer on the next turn of the event loop, and cancels it', async () => {
    const order: string[] = [];
    systemClock.after(0, () => order.push('zero'));
    systemClock.after(0, () => order.push('cancelled')).cancel();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual(['zero']);
  });

  it('fires a timer no sooner than its delay, and not at all when cancelled', async () => {
    const start = systemClock.now();
    let cancelledFired = false;
    systemClock.after(20, () => (cancelledFired = true)).cancel();
    const fired = await new Promise<number>((resolve) =>
      systemClock.after(30, () => {
        resolve(systemClock.now());
      }),
    );
    expect(fired - start).toBeGreaterThanOrEqual(29);
    expect(cancelledFired).toBe(false);
  });
});
