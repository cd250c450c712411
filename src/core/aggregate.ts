// The state the whole supervisor reports (to the service host, the log and `corral status`),
// derived from the supervisor's phase and each process's state. Pure.
//
// The supervisor keeps a Summary up to date as states change (add the new state's contribution,
// subtract the old one), so the status costs the same with 1 process or 1,000.
import type { ProcessSpec } from '../manifest/spec.js';
import type { ProcessState } from './process-machine.js';

export type AggregateStatus = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped' | 'failed';

/** Where the supervisor itself is: bringing the stack up, keeping it up, or taking it down. */
export type SupervisorPhase = 'starting' | 'running' | 'stopping' | 'stopped';

export interface ProcessView {
  readonly spec: ProcessSpec;
  readonly state: ProcessState;
  /** Stopped by an operator: left out, like a disabled process, until it is started again. */
  readonly held?: boolean;
}

/** Counts over the processes that count (enabled, not held by an operator). */
export interface Summary {
  total: number;
  /** running, or exited with success (a completed one-shot). */
  up: number;
  failed: number;
  criticalFailed: number;
  /** failed, backing off, starting, waiting, or being stopped to restart. */
  troubled: number;
}

export function emptySummary(): Summary {
  return { total: 0, up: 0, failed: 0, criticalFailed: 0, troubled: 0 };
}

/** Adds (sign 1) or removes (sign −1) one process's share of the summary. */
export function count(summary: Summary, view: ProcessView, sign: 1 | -1): void {
  if (view.spec.disabled || view.held === true) return;
  const kind = view.state.kind;
  summary.total += sign;
  if (kind === 'running' || kind === 'exited') summary.up += sign;
  if (kind === 'failed') {
    summary.failed += sign;
    if (view.spec.critical) summary.criticalFailed += sign;
  }
  if (
    kind === 'failed' ||
    kind === 'backoff' ||
    kind === 'starting' ||
    kind === 'waiting' ||
    (view.state.kind === 'stopping' && view.state.then === 'restart')
  ) {
    summary.troubled += sign;
  }
}

/**
 * - stopping / stopped follow the phase; stopped becomes failed when `fatal` (a critical process
 *   gave up, or the stop had to kill) is set.
 * - failed: a critical process gave up.
 * - starting: the phase is starting and some enabled process has not come up yet.
 * - degraded: a non-critical process failed, or some process is restarting (being stopped to be
 *   restarted, backoff, or starting again after the start phase), or waits for a dependency.
 * - running: everything enabled is up (or has completed).
 */
export function statusOf(phase: SupervisorPhase, s: Summary, fatal: boolean): AggregateStatus {
  if (phase === 'stopped') return fatal ? 'failed' : 'stopped';
  if (phase === 'stopping') return 'stopping';
  if (fatal || s.criticalFailed > 0) return 'failed';
  if (phase === 'starting' && s.total - s.up - s.failed > 0) return 'starting';
  return s.troubled > 0 ? 'degraded' : 'running';
}

/** The status of these processes in this phase (statusOf over a summary made at once). */
export function aggregateStatus(
  phase: SupervisorPhase,
  processes: readonly ProcessView[],
  fatal: boolean,
): AggregateStatus {
  const summary = emptySummary();
  for (const view of processes) count(summary, view, 1);
  return statusOf(phase, summary, fatal);
}
