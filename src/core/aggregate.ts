// The state the whole supervisor reports (to the service host, the log and `corral status`),
// derived from the supervisor's phase and each process's state. Pure.
import type { ProcessSpec } from '../manifest/spec.js';
import type { ProcessState } from './process-machine.js';

export type AggregateStatus = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped' | 'failed';

/** Where the supervisor itself is: bringing the stack up, keeping it up, or taking it down. */
export type SupervisorPhase = 'starting' | 'running' | 'stopping' | 'stopped';

export interface ProcessView {
  readonly spec: ProcessSpec;
  readonly state: ProcessState;
}

/**
 * - stopping / stopped follow the phase; stopped becomes failed when `fatal` (a critical process
 *   gave up, or the stop had to kill) is set.
 * - failed: a critical process gave up.
 * - starting: the phase is starting and some enabled process has not come up yet.
 * - degraded: a non-critical process failed, or some process is restarting (being stopped to be
 *   restarted, backoff, or starting again after the start phase).
 * - running: everything enabled is up (or has completed).
 */
export function aggregateStatus(
  phase: SupervisorPhase,
  processes: readonly ProcessView[],
  fatal: boolean,
): AggregateStatus {
  if (phase === 'stopped') return fatal ? 'failed' : 'stopped';
  if (phase === 'stopping') return 'stopping';
  const enabled = processes.filter((p) => !p.spec.disabled);
  if (fatal || enabled.some((p) => p.spec.critical && p.state.kind === 'failed')) return 'failed';
  const up = (p: ProcessView) => p.state.kind === 'running' || p.state.kind === 'exited';
  if (phase === 'starting' && enabled.some((p) => !up(p) && p.state.kind !== 'failed')) return 'starting';
  const troubled = enabled.some(
    (p) =>
      p.state.kind === 'failed' ||
      p.state.kind === 'backoff' ||
      p.state.kind === 'starting' ||
      (p.state.kind === 'stopping' && p.state.then === 'restart'),
  );
  return troubled ? 'degraded' : 'running';
}
