// The restart decision: given how a process ended, its restart spec and its recent restarts,
// what happens next. Pure: the unit that runs the process does the I/O and keeps the history.
import type { RestartSpec } from '../manifest/spec.js';
import { restartDelay } from './backoff.js';

/** How a run of a process ended. */
export type Exit =
  /** The process exited by itself (code) or was killed by a signal nobody in corral sent. */
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: string | null }
  /**
   * A failed start: it could not be spawned at all (missing executable, not executable, missing
   * cwd), or its ready probe did not pass within its timeout. Follows the policy like a failure.
   */
  | { readonly kind: 'spawn-failed' }
  /** Its liveness probe failed too often; corral is restarting it. */
  | { readonly kind: 'unhealthy' };

/**
 * What a process's unit remembers between runs to decide restarts: `attempt` counts restarts
 * since the process last ran stably for `reset_after` (it drives the backoff); `restarts` holds
 * when each restart happened, for the sliding-window limit.
 */
export interface RestartHistory {
  readonly attempt: number;
  readonly restarts: readonly number[];
}

export const freshHistory: RestartHistory = { attempt: 0, restarts: [] };

export type RestartDecision =
  /** Done for good and fine: success under on-failure, or policy never. */
  | { readonly kind: 'done'; readonly success: boolean }
  /** Restart after `delay` ms; `history` already counts this restart. */
  | {
      readonly kind: 'restart';
      readonly delay: number;
      readonly attempt: number;
      readonly history: RestartHistory;
    }
  /** The limit was reached: wait `delay` (cool_down), then start afresh with a fresh history. */
  | { readonly kind: 'cool-down'; readonly delay: number }
  /** The limit was reached: stay failed (`give-up`) or stop the whole service (`stop-service`). */
  | { readonly kind: 'give-up' | 'stop-service'; readonly restarts: number; readonly window: number };

/** Whether an exit counts as success: an exit code listed in success_codes. */
export function isSuccess(exit: Exit, spec: RestartSpec): boolean {
  return exit.kind === 'exited' && exit.code !== null && spec.success_codes.includes(exit.code);
}

/**
 * Decides what follows an exit at `now`. `uptime` is how long the run lasted (0 when it never
 * started): a run of at least `reset_after` resets the backoff. Restarts older than the limit's
 * window are forgotten; when the window already holds `limit.restarts` restarts, `on_limit` applies.
 * A stop that corral requested is not an exit for this function: nothing restarts then.
 */
export function decideRestart(
  exit: Exit,
  spec: RestartSpec,
  history: RestartHistory,
  now: number,
  uptime: number,
  random: () => number,
): RestartDecision {
  const success = isSuccess(exit, spec);
  if (exit.kind !== 'unhealthy') {
    if (spec.policy === 'never') return { kind: 'done', success };
    if (spec.policy === 'on-failure' && success) return { kind: 'done', success };
  }
  const recent = history.restarts.filter((t) => now - t < spec.limit.window);
  if (recent.length >= spec.limit.restarts) {
    if (spec.on_limit === 'cool-down') return { kind: 'cool-down', delay: spec.cool_down };
    return { kind: spec.on_limit, restarts: recent.length, window: spec.limit.window };
  }
  const attempt = (uptime >= spec.reset_after ? 0 : history.attempt) + 1;
  return {
    kind: 'restart',
    delay: restartDelay(spec, attempt, random),
    attempt,
    history: { attempt, restarts: [...recent, now] },
  };
}
