// Time is a seam: core/ never reads the wall clock or sets a timer except through a Clock, so unit
// tests drive time with a fake clock and never sleep. Times are monotonic milliseconds.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (not wall-clock time): only differences mean anything. */
  now(): number;
  /** Calls `fn` once after `ms`; cancel() before then prevents it. */
  after(ms: number, fn: () => void): Timer;
}

/** The real clock: performance.now() and setTimeout (setImmediate for no delay). */
export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    // setTimeout(0) waits at least 1 ms; a restart with delay 0 should not.
    if (ms <= 0) {
      const immediate = setImmediate(fn);
      return {
        cancel: () => {
          clearImmediate(immediate);
        },
      };
    }
    const handle = setTimeout(fn, ms);
    return {
      cancel: () => {
        clearTimeout(handle);
      },
    };
  },
};
