// The two ways a probe runs, on the Clock so unit tests use a fake one: the ready probe retries
// until it passes or its timeout runs out; the liveness probe checks forever and reports after
// `failures` consecutive failures. Both stop as soon as they are cancelled.
import type { Clock } from '../clock.js';
import type { ProbeResult } from './result.js';

/** One attempt, given how long it may take. */
export type Attempt = (timeout: number) => Promise<ProbeResult>;

export interface Cancellable {
  cancel(): void;
}

export type ReadyOutcome = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/**
 * Attempts every `interval` ms (after `initial_delay`) until one passes or `timeout` ms have
 * passed since the start; each attempt may take at most what remains. Calls `done` once, unless
 * cancelled first.
 */
export function pollReady(
  attempt: Attempt,
  options: { readonly timeout: number; readonly interval: number; readonly initial_delay: number },
  clock: Clock,
  done: (outcome: ReadyOutcome) => void,
): Cancellable {
  const deadline = clock.now() + options.timeout;
  let cancelled = false;
  let timer = clock.after(options.initial_delay, run);
  let last = 'no attempt finished';
  function run(): void {
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      finish({ ready: false, reason: `not ready within ${options.timeout} ms (last: ${last})` });
      return;
    }
    void attempt(Math.ceil(remaining)).then((result) => {
      if (cancelled) return;
      if (result.ok) {
        finish({ ready: true });
        return;
      }
      last = result.reason;
      timer = clock.after(Math.min(options.interval, Math.max(0, deadline - clock.now())), run);
    });
  }
  function finish(outcome: ReadyOutcome): void {
    if (cancelled) return;
    cancelled = true;
    done(outcome);
  }
  return {
    cancel: () => {
      cancelled = true;
      timer.cancel();
    },
  };
}

/**
 * Checks every `every` ms (after `initial_delay`); each check may take `timeout` ms. After
 * `failures` failures in a row calls `unhealthy` with the last reason, once, and stops.
 */
export function watchLiveness(
  attempt: Attempt,
  options: {
    readonly every: number;
    readonly failures: number;
    readonly timeout: number;
    readonly initial_delay: number;
  },
  clock: Clock,
  unhealthy: (reason: string) => void,
): Cancellable {
  let cancelled = false;
  let streak = 0;
  let timer = clock.after(options.initial_delay, run);
  function run(): void {
    void attempt(options.timeout).then((result) => {
      if (cancelled) return;
      streak = result.ok ? 0 : streak + 1;
      if (!result.ok && streak >= options.failures) {
        cancelled = true;
        unhealthy(`${result.reason} (${streak} failures in a row)`);
        return;
      }
      timer = clock.after(options.every, run);
    });
  }
  return {
    cancel: () => {
      cancelled = true;
      timer.cancel();
    },
  };
}
