// The life of one supervised process as a pure state machine: one state value, one transition
// function. The unit that owns a process feeds it events and carries out the effects it returns
// (spawn, probes, stop steps, timers); the machine itself does no I/O and reads no clock.
//
// States (cf. supervisord's STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL):
//   idle      not running and not wanted: never started, or stopped on request (stays so until started)
//   waiting   wanted, waiting for its dependencies (the supervisor sends dependencies-met)
//   starting  spawn requested (pid null) or spawned and its ready probe not yet passed
//   running   spawned and ready (ready at once when it has no ready probe)
//   backoff   a restart (or a cool-down) is scheduled for `until`
//   stopping  stop steps are running; `then` says what follows the exit
//   exited    ended with success and not restarted (policy on-failure or never)
//   failed    ended with a failure and not restarted (policy never, or the restart limit with
//             give-up or stop-service); stays failed until started. A critical process that
//             becomes failed also emits stop-service.
//
// Transitions (event → from → to):
//   start               idle | exited | failed → waiting        (a fresh restart history)
//   dependencies-met    waiting → starting                      (effect: spawn)
//   spawned             starting → starting (probe) | running   (effect: ready probe, or liveness)
//                       stopping(pid null) → stopping           (effect: the first stop step, or
//                                                                kill the tree after a kill)
//   spawn-failed        starting → backoff | exited | failed    (the restart decision)
//                       stopping(pid null) → idle
//   ready               starting → running                      (effect: liveness probe)
//   ready-timeout       starting → stopping(then restart)       (a failed start, like spawn-failed)
//   unhealthy           running → stopping(then restart)
//   exit                starting | running → backoff | exited | failed  (the restart decision)
//                       stopping → idle, or the restart decision when then = restart
//   restart-due         backoff → starting                      (effect: spawn)
//   stop                waiting | backoff → idle                (effect: cancel the timer)
//                       starting | running → stopping(then idle) (effect: the first stop step)
//                       stopping(then restart) → stopping(then idle)
//   step-expired        stopping → stopping                     (effect: the next stop step)
//   kill                starting | running | stopping → stopping (effect: kill the tree now)
// Every event that names a generation is ignored unless it names the current one, so an exit from
// an earlier run never touches the current run. Any other pair leaves the state as it is.
import type { ProcessSpec } from '../manifest/spec.js';
import { decideRestart, freshHistory, type Exit, type RestartHistory } from './restart-policy.js';

export type ProcessState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'waiting' }
  | { readonly kind: 'starting'; readonly pid: number | null; readonly since: number }
  | { readonly kind: 'running'; readonly pid: number; readonly since: number }
  | { readonly kind: 'backoff'; readonly until: number; readonly reason: string; readonly coolDown: boolean }
  | {
      readonly kind: 'stopping';
      readonly pid: number | null;
      /** The stop step running now (−1 before the first). */
      readonly step: number;
      readonly then: 'idle' | 'restart';
      /** What ended the run, when `then` is restart. */
      readonly cause: Exit | null;
      readonly since: number;
    }
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: string | null }
  | { readonly kind: 'failed'; readonly reason: string };

/** The machine: the state, plus what the restart decision needs to remember between runs. */
export interface ProcessMachine {
  readonly state: ProcessState;
  /** Counts spawns; events from an earlier spawn carry an older generation and are ignored. */
  readonly generation: number;
  readonly history: RestartHistory;
  /** When the current run started (for reset_after), or null. */
  readonly runStarted: number | null;
}

export type ProcessEvent =
  | { readonly kind: 'start' }
  | { readonly kind: 'dependencies-met' }
  | { readonly kind: 'spawned'; readonly generation: number; readonly pid: number }
  | { readonly kind: 'spawn-failed'; readonly generation: number; readonly message: string }
  | { readonly kind: 'ready'; readonly generation: number }
  | { readonly kind: 'ready-timeout'; readonly generation: number }
  | { readonly kind: 'unhealthy'; readonly generation: number; readonly reason: string }
  | {
      readonly kind: 'exit';
      readonly generation: number;
      readonly code: number | null;
      readonly signal: string | null;
    }
  | { readonly kind: 'restart-due'; readonly generation: number }
  | { readonly kind: 'stop' }
  | { readonly kind: 'step-expired'; readonly generation: number; readonly step: number }
  | { readonly kind: 'kill' };

export type ProcessEffect =
  | { readonly kind: 'spawn'; readonly generation: number }
  | { readonly kind: 'probe-ready'; readonly generation: number }
  | { readonly kind: 'probe-liveness'; readonly generation: number }
  | { readonly kind: 'stop-probes' }
  /** Run stop step `step`; when it has not ended the process within its timeout, send step-expired. */
  | { readonly kind: 'stop-step'; readonly generation: number; readonly step: number }
  | { readonly kind: 'kill-tree'; readonly generation: number }
  /** Send restart-due (with this generation) after `delay` ms. */
  | { readonly kind: 'schedule-restart'; readonly generation: number; readonly delay: number }
  | { readonly kind: 'cancel-restart' }
  /** Something an operator should read in the log. */
  | { readonly kind: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string }
  /** The restart limit was hit with on_limit: stop-service. */
  | { readonly kind: 'stop-service'; readonly reason: string };

export interface Step {
  readonly machine: ProcessMachine;
  readonly effects: readonly ProcessEffect[];
}

export const initialMachine: ProcessMachine = {
  state: { kind: 'idle' },
  generation: 0,
  history: freshHistory,
  runStarted: null,
};

/** What the transition needs besides the machine and the event. */
export interface TransitionContext {
  readonly spec: ProcessSpec;
  readonly now: number;
  /** Returns a number in [0, 1), for jitter. */
  readonly random: () => number;
}

export function transition(m: ProcessMachine, event: ProcessEvent, ctx: TransitionContext): Step {
  if ('generation' in event && event.generation !== m.generation) return unchanged(m);
  const s = m.state;
  switch (event.kind) {
    case 'start':
      if (s.kind === 'idle' || s.kind === 'exited' || s.kind === 'failed') {
        return to({ ...m, history: freshHistory }, { kind: 'waiting' });
      }
      return unchanged(m);
    case 'dependencies-met':
      return s.kind === 'waiting' ? spawn(m, ctx) : unchanged(m);
    case 'restart-due':
      if (s.kind !== 'backoff') return unchanged(m);
      return spawn(s.coolDown ? { ...m, history: freshHistory } : m, ctx);
    case 'spawned':
      if (s.kind === 'starting' && s.pid === null) {
        const started = { ...m, runStarted: ctx.now };
        if (ctx.spec.ready !== null) {
          return to(started, { kind: 'starting', pid: event.pid, since: s.since }, [
            { kind: 'probe-ready', generation: m.generation },
          ]);
        }
        return to(started, { kind: 'running', pid: event.pid, since: ctx.now }, liveness(m, ctx));
      }
      if (s.kind === 'stopping' && s.pid === null) {
        // A kill while the spawn was in flight set step past the last: kill now, not step 0.
        if (s.step >= ctx.spec.stop.length) {
          return to(m, { ...s, pid: event.pid }, [{ kind: 'kill-tree', generation: m.generation }]);
        }
        return to(m, { ...s, pid: event.pid, step: 0 }, [
          { kind: 'stop-step', generation: m.generation, step: 0 },
        ]);
      }
      return unchanged(m);
    case 'spawn-failed':
      if (s.kind === 'starting') {
        return ended(m, { kind: 'spawn-failed' }, ctx, [
          { kind: 'log', level: 'error', message: `could not start: ${event.message}` },
        ]);
      }
      if (s.kind === 'stopping' && s.pid === null) return to(m, { kind: 'idle' });
      return unchanged(m);
    case 'ready':
      if (s.kind !== 'starting' || s.pid === null) return unchanged(m);
      return to(m, { kind: 'running', pid: s.pid, since: ctx.now }, liveness(m, ctx));
    case 'ready-timeout':
      if (s.kind !== 'starting' || s.pid === null) return unchanged(m);
      return beginStop(m, s.pid, 'restart', { kind: 'spawn-failed' }, ctx, [
        { kind: 'log', level: 'error', message: 'did not become ready in time; stopping it' },
      ]);
    case 'unhealthy':
      if (s.kind !== 'running') return unchanged(m);
      return beginStop(m, s.pid, 'restart', { kind: 'unhealthy' }, ctx, [
        { kind: 'log', level: 'warn', message: `liveness failed (${event.reason}); restarting it` },
      ]);
    case 'exit': {
      const exit: Exit = { kind: 'exited', code: event.code, signal: event.signal };
      if (s.kind === 'starting' || s.kind === 'running')
        return ended(m, exit, ctx, [{ kind: 'stop-probes' }]);
      if (s.kind !== 'stopping') return unchanged(m);
      if (s.then === 'restart') return ended(m, s.cause ?? exit, ctx, []);
      return to({ ...m, runStarted: null }, { kind: 'idle' });
    }
    case 'stop':
      if (s.kind === 'waiting') return to(m, { kind: 'idle' });
      if (s.kind === 'backoff') return to(m, { kind: 'idle' }, [{ kind: 'cancel-restart' }]);
      if (s.kind === 'starting' || s.kind === 'running') return beginStop(m, s.pid, 'idle', null, ctx, []);
      if (s.kind === 'stopping' && s.then === 'restart') return to(m, { ...s, then: 'idle', cause: null });
      return unchanged(m);
    case 'step-expired': {
      if (s.kind !== 'stopping' || s.pid === null || event.step !== s.step) return unchanged(m);
      const next = s.step + 1;
      if (next >= ctx.spec.stop.length) return unchanged(m);
      return to(m, { ...s, step: next }, [{ kind: 'stop-step', generation: m.generation, step: next }]);
    }
    case 'kill':
      if (s.kind === 'starting' || s.kind === 'running') {
        return to(
          m,
          {
            kind: 'stopping',
            pid: s.pid,
            step: ctx.spec.stop.length,
            then: 'idle',
            cause: null,
            since: ctx.now,
          },
          [{ kind: 'stop-probes' }, { kind: 'kill-tree', generation: m.generation }],
        );
      }
      if (s.kind === 'stopping') {
        const killed = { ...s, step: ctx.spec.stop.length, then: 'idle' as const, cause: null };
        return to(m, killed, [{ kind: 'kill-tree', generation: m.generation }]);
      }
      return unchanged(m);
  }
}

function unchanged(m: ProcessMachine): Step {
  return { machine: m, effects: [] };
}

function to(m: ProcessMachine, state: ProcessState, effects: readonly ProcessEffect[] = []): Step {
  return { machine: { ...m, state }, effects };
}

function spawn(m: ProcessMachine, ctx: TransitionContext): Step {
  const generation = m.generation + 1;
  return {
    machine: { ...m, generation, runStarted: null, state: { kind: 'starting', pid: null, since: ctx.now } },
    effects: [{ kind: 'spawn', generation }],
  };
}

function liveness(m: ProcessMachine, ctx: TransitionContext): ProcessEffect[] {
  return ctx.spec.liveness === null ? [] : [{ kind: 'probe-liveness', generation: m.generation }];
}

function beginStop(
  m: ProcessMachine,
  pid: number | null,
  then: 'idle' | 'restart',
  cause: Exit | null,
  ctx: TransitionContext,
  effects: readonly ProcessEffect[],
): Step {
  const state: ProcessState = {
    kind: 'stopping',
    pid,
    step: pid === null ? -1 : 0,
    then,
    cause,
    since: ctx.now,
  };
  const first: ProcessEffect[] =
    pid === null ? [] : [{ kind: 'stop-step', generation: m.generation, step: 0 }];
  return to(m, state, [...effects, { kind: 'stop-probes' }, ...first]);
}

/** A run ended without a stop request: apply the restart decision. */
function ended(
  m: ProcessMachine,
  exit: Exit,
  ctx: TransitionContext,
  effects: readonly ProcessEffect[],
): Step {
  const { restart } = ctx.spec;
  const uptime = m.runStarted === null ? 0 : ctx.now - m.runStarted;
  const decision = decideRestart(exit, restart, m.history, ctx.now, uptime, ctx.random);
  const base = { ...m, runStarted: null };
  const how = describeExit(exit);
  switch (decision.kind) {
    case 'done': {
      const code = exit.kind === 'exited' ? exit.code : null;
      const signal = exit.kind === 'exited' ? exit.signal : null;
      const message = `${how}; not restarted (policy ${restart.policy})`;
      if (decision.success) {
        return to(base, { kind: 'exited', code, signal }, [
          ...effects,
          { kind: 'log', level: 'info', message },
        ]);
      }
      return to(base, { kind: 'failed', reason: how }, [
        ...effects,
        { kind: 'log', level: 'error', message },
        ...criticalStop(ctx, message),
      ]);
    }
    case 'restart':
      return to(
        { ...base, history: decision.history },
        { kind: 'backoff', until: ctx.now + decision.delay, reason: how, coolDown: false },
        [
          ...effects,
          {
            kind: 'log',
            level: 'warn',
            message: `${how}; restart ${decision.attempt} in ${decision.delay} ms`,
          },
          { kind: 'schedule-restart', generation: m.generation, delay: decision.delay },
        ],
      );
    case 'cool-down':
      return to(base, { kind: 'backoff', until: ctx.now + decision.delay, reason: how, coolDown: true }, [
        ...effects,
        {
          kind: 'log',
          level: 'error',
          message: `${how}; restart limit reached (${restart.limit.restarts} in ${restart.limit.window} ms), cooling down for ${decision.delay} ms`,
        },
        { kind: 'schedule-restart', generation: m.generation, delay: decision.delay },
      ]);
    case 'give-up':
    case 'stop-service': {
      const reason = `${how}; gave up after ${decision.restarts} restarts in ${decision.window} ms`;
      const tail: ProcessEffect[] =
        decision.kind === 'stop-service'
          ? [{ kind: 'stop-service', reason: `${ctx.spec.name} ${reason}` }]
          : criticalStop(ctx, reason);
      return to(base, { kind: 'failed', reason }, [
        ...effects,
        { kind: 'log', level: 'error', message: reason },
        ...tail,
      ]);
    }
  }
}

/** A critical process that ends up failed takes the whole service down, in order. */
function criticalStop(ctx: TransitionContext, reason: string): ProcessEffect[] {
  return ctx.spec.critical
    ? [{ kind: 'stop-service', reason: `critical process ${ctx.spec.name} ${reason}` }]
    : [];
}

function describeExit(exit: Exit): string {
  switch (exit.kind) {
    case 'spawn-failed':
      return 'could not be started';
    case 'unhealthy':
      return 'was unhealthy';
    case 'exited':
      return exit.signal !== null
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.code ?? 'unknown'}`;
  }
}
