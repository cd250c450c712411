import type { Clock, Timer } from '../../src/core/clock.js';

/** A Clock that only moves when told to: timers fire, in order, as `advance` passes them. */
export class FakeClock implements Clock {
  #now = 0;
  #timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  #seq = 0;

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.#now + ms, seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, firing every timer due on the way (timers set by timers included). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
  }

  /** When the next timer is due, or undefined when none is waiting. */
  get nextAt(): number | undefined {
    const times = this.#timers.filter((t) => !t.cancelled).map((t) => t.at);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }
}
