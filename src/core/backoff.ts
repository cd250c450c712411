import type { RestartSpec } from '../manifest/spec.js';

/**
 * How long to wait before restart number `attempt` (1 for the first restart since the process was
 * last stable): `delay × backoff^(attempt−1)`, capped at `max_delay`, plus jitter — a random extra
 * of up to `jitter` × the capped delay, so that processes that failed together do not restart in
 * lockstep. The cap applies before jitter, so even at the cap restarts stay spread.
 * `random` returns a number in [0, 1).
 */
export function restartDelay(spec: RestartSpec, attempt: number, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  // A zero delay stays zero: 0 × backoff^exponent would be 0 × Infinity = NaN once the power overflows.
  const grown = spec.delay === 0 ? 0 : spec.delay * spec.backoff ** exponent;
  const capped = Math.min(Number.isFinite(grown) ? grown : spec.max_delay, spec.max_delay);
  return Math.round(capped + capped * spec.jitter * random());
}
