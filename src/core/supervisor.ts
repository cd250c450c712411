// The supervisor: one unit per process, each a ProcessMachine whose effects it carries out through
// the ProcessLauncher, the probes and the Clock. After every event it re-evaluates the order:
// which waiting processes may start (their dependencies' conditions hold), and during a stop which
// processes may stop (everything that depends on them has settled).
//
// Lifecycle: start() once; stop() any number of times, concurrently or not — one ordered stop
// runs, and every call resolves when it is done; kill() kills whatever is left at once.
// service.stop_timeout caps the ordered stop: whatever still runs then is killed.
import { EventEmitter } from 'node:events';
import type { ProbeCheck, ProcessSpec, ResolvedManifest, StopStep } from '../manifest/spec.js';
import { SpawnError, type Child, type ProcessLauncher } from '../platform/types.js';
import { aggregateStatus, type AggregateStatus, type SupervisorPhase } from './aggregate.js';
import type { Clock, Timer } from './clock.js';
import { describeUnmet, isSettled, readyToStop, stopDependents, unmetDependencies } from './ordering.js';
import {
  initialMachine,
  transition,
  type ProcessEffect,
  type ProcessEvent,
  type ProcessMachine,
  type ProcessState,
} from './process-machine.js';
import { checkHttp } from './probes/http.js';
import { LogMatcher } from './probes/log-match.js';
import { pollReady, watchLiveness, type Attempt, type Cancellable } from './probes/loops.js';
import { failed, passed } from './probes/result.js';
import { checkTcp } from './probes/tcp.js';

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  /** The process it concerns, if any. */
  readonly process?: string;
  /** A stable word for the kind of record: output, state, waiting, stop, ... */
  readonly event: string;
  readonly message: string;
  readonly stream?: 'stdout' | 'stderr';
}

export interface SupervisorEvents {
  status: [status: AggregateStatus];
  state: [name: string, state: ProcessState];
  log: [record: LogRecord];
}

export interface SupervisorDeps {
  readonly launcher: ProcessLauncher;
  readonly clock: Clock;
  readonly random: () => number;
  /** The environment children start from (the supervisor's own). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** Reads an env_file's variables at each start. */
  readonly readEnvFile: (file: string) => Readonly<Record<string, string>>;
}

interface Unit {
  readonly spec: ProcessSpec;
  machine: ProcessMachine;
  child: Child | null;
  restartTimer: Timer | null;
  stepTimer: Timer | null;
  probes: Cancellable[];
  matcher: LogMatcher | null;
  lastWaiting: string;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly #units = new Map<string, Unit>();
  readonly #stopOrder: Map<string, string[]>;
  #phase: SupervisorPhase = 'stopped';
  #status: AggregateStatus = 'stopped';
  #fatal: string | null = null;
  #killedOnStop = false;
  #stopRequested = false;
  #stopped: () => void = () => undefined;
  /** Resolves once the supervisor has stopped, whoever asked for the stop. */
  readonly #done = new Promise<void>((resolve) => (this.#stopped = resolve));
  #stopTimer: Timer | null = null;

  constructor(
    readonly manifest: ResolvedManifest,
    private readonly deps: SupervisorDeps,
  ) {
    super();
    const enabled = manifest.processes.filter((p) => !p.disabled);
    for (const spec of enabled) {
      this.#units.set(spec.name, {
        spec,
        machine: initialMachine,
        child: null,
        restartTimer: null,
        stepTimer: null,
        probes: [],
        matcher: null,
        lastWaiting: '',
      });
    }
    this.#stopOrder = stopDependents(enabled);
  }

  get status(): AggregateStatus {
    return this.#status;
  }

  /** Why the supervisor failed (a critical process gave up), or null. */
  get fatal(): string | null {
    return this.#fatal;
  }

  /** True when the ordered stop ran out of time and had to kill. */
  get killedOnStop(): boolean {
    return this.#killedOnStop;
  }

  states(): ReadonlyMap<string, ProcessState> {
    return new Map([...this.#units].map(([name, u]) => [name, u.machine.state]));
  }

  /** Resolves once every process has stopped after a stop (requested, or a critical give-up). */
  whenStopped(): Promise<void> {
    return this.#done;
  }

  start(): void {
    if (this.#phase !== 'stopped' || this.#stopRequested) return;
    this.#phase = 'starting';
    for (const name of this.#units.keys()) this.#dispatch(name, { kind: 'start' });
    this.#evaluate();
  }

  /** Starts the ordered stop (once) and resolves when every process has stopped. */
  stop(reason = 'stop requested'): Promise<void> {
    if (this.#stopRequested) return this.#done;
    this.#stopRequested = true;
    this.#phase = 'stopping';
    this.#log({ level: 'info', event: 'stop', message: `stopping all processes in order (${reason})` });
    this.#stopTimer = this.deps.clock.after(this.manifest.service.stop_timeout, () => {
      const left = [...this.#units.values()]
        .filter((u) => !isSettled(u.machine.state))
        .map((u) => u.spec.name);
      this.#log({
        level: 'error',
        event: 'stop-timeout',
        message: `service.stop_timeout (${this.manifest.service.stop_timeout} ms) reached; killing ${left.join(', ')}`,
      });
      this.kill();
    });
    this.#evaluate();
    return this.#done;
  }

  /** Kills everything still running at once (a second Ctrl+C, or the stop_timeout cap). */
  kill(): void {
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      this.#phase = 'stopping';
      this.#log({ level: 'warn', event: 'kill', message: 'killing all processes now' });
    }
    for (const [name, unit] of this.#units) {
      if (!isSettled(unit.machine.state)) {
        this.#killedOnStop = true;
        this.#dispatch(name, { kind: 'kill' });
        if (unit.machine.state.kind !== 'stopping') this.#dispatch(name, { kind: 'stop' });
      }
    }
    this.#evaluate();
  }

  #dispatch(name: string, event: ProcessEvent): void {
    const unit = this.#units.get(name);
    if (unit === undefined) return;
    const before = unit.machine.state;
    const step = transition(unit.machine, event, {
      spec: unit.spec,
      now: this.deps.clock.now(),
      random: this.deps.random,
    });
    unit.machine = step.machine;
    if (step.machine.state !== before) {
      this.emit('state', name, step.machine.state);
      this.#log({
        level: 'debug',
        process: name,
        event: 'state',
        message: `${before.kind} → ${step.machine.state.kind}`,
      });
    }
    for (const effect of step.effects) this.#perform(unit, effect);
  }

  /** What may happen now that something changed: starts, stops, the end of the stop, the status. */
  #evaluate(): void {
    const states = this.states();
    if (this.#phase === 'starting' || this.#phase === 'running') {
      for (const [name, unit] of this.#units) {
        if (unit.machine.state.kind !== 'waiting') continue;
        const unmet = unmetDependencies(unit.spec, states);
        if (unmet.length === 0) {
          unit.lastWaiting = '';
          this.#dispatch(name, { kind: 'dependencies-met' });
        } else {
          const waiting = describeUnmet(unmet);
          if (waiting !== unit.lastWaiting) {
            unit.lastWaiting = waiting;
            this.#log({ level: 'info', process: name, event: 'waiting', message: waiting });
          }
        }
      }
      if (this.#phase === 'starting' && [...this.#units.values()].every((u) => isUp(u.machine.state))) {
        this.#phase = 'running';
      }
    }
    if (this.#phase === 'stopping') {
      for (const [name, unit] of this.#units) {
        const s = unit.machine.state.kind;
        if (s === 'waiting' || s === 'backoff') this.#dispatch(name, { kind: 'stop' });
      }
      for (const name of readyToStop(this.#stopOrder, this.states())) this.#dispatch(name, { kind: 'stop' });
      if ([...this.#units.values()].every((u) => isSettled(u.machine.state))) this.#finishStop();
    }
    this.#updateStatus();
  }

  #finishStop(): void {
    if (this.#phase === 'stopped') return;
    this.#phase = 'stopped';
    this.#stopTimer?.cancel();
    this.#log({ level: 'info', event: 'stopped', message: 'all processes stopped' });
    this.#updateStatus();
    this.#stopped();
  }

  #updateStatus(): void {
    const views = [...this.#units.values()].map((u) => ({ spec: u.spec, state: u.machine.state }));
    const status = aggregateStatus(this.#phase, views, this.#fatal !== null);
    if (status === this.#status) return;
    this.#status = status;
    this.#log({
      level: status === 'failed' ? 'error' : 'info',
      event: 'status',
      message: `status: ${status}`,
    });
    this.emit('status', status);
  }

  #log(record: LogRecord): void {
    this.emit('log', record);
  }

  /** Sends an event that arrives later (an exit, a probe result, a timer), then re-evaluates. */
  #later(name: string, event: ProcessEvent): void {
    this.#dispatch(name, event);
    this.#evaluate();
  }

  #perform(unit: Unit, effect: ProcessEffect): void {
    const name = unit.spec.name;
    switch (effect.kind) {
      case 'spawn':
        this.#spawn(unit, effect.generation);
        return;
      case 'probe-ready':
        this.#probeReady(unit, effect.generation);
        return;
      case 'probe-liveness':
        this.#probeLiveness(unit, effect.generation);
        return;
      case 'stop-probes':
        for (const probe of unit.probes.splice(0)) probe.cancel();
        return;
      case 'stop-step':
        this.#runStep(unit, effect.generation, effect.step);
        return;
      case 'kill-tree':
        unit.stepTimer?.cancel();
        if (unit.child !== null) this.#killTree(unit, unit.child);
        return;
      case 'schedule-restart':
        unit.restartTimer = this.deps.clock.after(effect.delay, () => {
          unit.restartTimer = null;
          this.#later(name, { kind: 'restart-due', generation: effect.generation });
        });
        return;
      case 'cancel-restart':
        unit.restartTimer?.cancel();
        unit.restartTimer = null;
        return;
      case 'log':
        this.#log({ level: effect.level, process: name, event: 'process', message: effect.message });
        return;
      case 'stop-service':
        this.#fatal ??= effect.reason;
        void this.stop(effect.reason);
        return;
    }
  }

  #spawn(unit: Unit, generation: number): void {
    const { spec } = unit;
    unit.matcher = spec.ready?.check.kind === 'log' ? new LogMatcher(spec.ready.check.pattern) : null;
    let env: Record<string, string>;
    try {
      env = this.#environment(spec);
    } catch (error) {
      queueMicrotask(() => {
        this.#later(spec.name, { kind: 'spawn-failed', generation, message: (error as Error).message });
      });
      return;
    }
    this.deps.launcher
      .spawn(
        {
          name: spec.name,
          command: spec.command,
          shell: spec.shell,
          cwd: spec.cwd,
          env,
          stdin: usesStdin(spec.stop),
          maxLine: this.manifest.log.max_line,
        },
        {
          onLine: (stream, line) => {
            unit.matcher?.feed(line);
            this.#log({ level: 'info', process: spec.name, event: 'output', stream, message: line });
          },
          onExit: (code, signal) => {
            if (unit.machine.generation === generation) {
              unit.stepTimer?.cancel();
              unit.child = null;
            }
            this.#later(spec.name, { kind: 'exit', generation, code, signal });
          },
        },
      )
      .then(
        (child) => {
          if (unit.machine.generation === generation) unit.child = child;
          this.#later(spec.name, { kind: 'spawned', generation, pid: child.pid });
        },
        (error: unknown) => {
          const message =
            error instanceof SpawnError ? error.message : `${spec.name}: ${(error as Error).message}`;
          this.#later(spec.name, { kind: 'spawn-failed', generation, message });
        },
      );
  }

  /** The supervisor's environment, then each env_file in order, then env. */
  #environment(spec: ProcessSpec): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.deps.baseEnv)) if (v !== undefined) env[k] = v;
    for (const file of spec.env_file) Object.assign(env, this.deps.readEnvFile(file));
    Object.assign(env, spec.env);
    return env;
  }

  /**
   * One attempt of a check. A log check passes when a matching line was seen since the last
   * attempt (`resetLog`: for liveness, a line must keep appearing; for ready, once is enough).
   */
  #attempt(unit: Unit, check: ProbeCheck, resetLog: boolean): Attempt {
    return (timeout) => {
      switch (check.kind) {
        case 'tcp':
          return checkTcp(check.host, check.port, timeout);
        case 'http':
          return checkHttp(check.url, check.method, check.headers, timeout);
        case 'exec':
          return this.deps.launcher
            .runCommand(check.command, {
              shell: check.shell,
              cwd: unit.spec.cwd,
              env: this.#environment(unit.spec),
              timeout,
            })
            .then((r) =>
              r.code === 0
                ? passed
                : failed(
                    r.timedOut
                      ? `exec: no exit within ${timeout} ms`
                      : `exec: exit ${r.code ?? r.signal ?? '?'}`,
                  ),
            );
        case 'log': {
          const seen = unit.matcher?.seen === true;
          if (resetLog) unit.matcher?.reset();
          return Promise.resolve(seen ? passed : failed(`log: no line matched /${check.pattern}/`));
        }
      }
    };
  }

  #probeReady(unit: Unit, generation: number): void {
    const ready = unit.spec.ready;
    if (ready === null) return;
    const name = unit.spec.name;
    unit.probes.push(
      pollReady(this.#attempt(unit, ready.check, false), ready, this.deps.clock, (outcome) => {
        if (outcome.ready) this.#later(name, { kind: 'ready', generation });
        else {
          this.#log({ level: 'error', process: name, event: 'ready-timeout', message: outcome.reason });
          this.#later(name, { kind: 'ready-timeout', generation });
        }
      }),
    );
  }

  #probeLiveness(unit: Unit, generation: number): void {
    const liveness = unit.spec.liveness;
    if (liveness === null) return;
    const name = unit.spec.name;
    if (liveness.check.kind === 'log') unit.matcher = new LogMatcher(liveness.check.pattern);
    unit.probes.push(
      watchLiveness(this.#attempt(unit, liveness.check, true), liveness, this.deps.clock, (reason) => {
        this.#later(name, { kind: 'unhealthy', generation, reason });
      }),
    );
  }

  #runStep(unit: Unit, generation: number, index: number): void {
    const step = unit.spec.stop[index];
    const child = unit.child;
    const name = unit.spec.name;
    if (step === undefined || child === null) return;
    this.#log({
      level: 'info',
      process: name,
      event: 'stop-step',
      message: `stop step ${index + 1}: ${step.kind}`,
    });
    if (step.kind === 'kill') {
      this.#killTree(unit, child);
      return;
    }
    unit.stepTimer?.cancel();
    unit.stepTimer = this.deps.clock.after(step.timeout, () => {
      this.#log({
        level: 'warn',
        process: name,
        event: 'stop-step',
        message: `still running ${step.timeout} ms after ${step.kind}`,
      });
      this.#later(name, { kind: 'step-expired', generation, step: index });
    });
    this.#startStep(unit, child, step);
  }

  #startStep(unit: Unit, child: Child, step: Exclude<StopStep, { kind: 'kill' }>): void {
    const launcher = this.deps.launcher;
    const name = unit.spec.name;
    const warn = (message: string) => {
      this.#log({ level: 'warn', process: name, event: 'stop-step', message });
    };
    switch (step.kind) {
      case 'graceful':
      case 'ctrl_c':
        launcher.graceful(child);
        return;
      case 'signal':
        launcher.signal(child, step.signal);
        return;
      case 'ctrl_break':
      case 'wm_close':
        warn(`${step.kind} is not available on this platform; waiting for the step's timeout`);
        return;
      case 'command':
        void launcher
          .runCommand(step.command, {
            shell: step.shell,
            cwd: unit.spec.cwd,
            env: this.#environment(unit.spec),
            timeout: step.timeout,
          })
          .then((r) => {
            if (r.code !== 0)
              warn(`stop command ${r.timedOut ? 'timed out' : `exited with ${r.code ?? r.signal ?? '?'}`}`);
          });
        return;
      case 'http':
        void checkHttp(step.url, step.method, step.headers, step.timeout).then((r) => {
          if (!r.ok) warn(`stop request failed: ${r.reason}`);
        });
        return;
      case 'stdin':
        if (step.text !== null && !child.write(step.text))
          warn('stdin is closed; could not write the stop text');
        if (step.close) child.closeStdin();
        return;
    }
  }

  #killTree(unit: Unit, child: Child): void {
    this.deps.launcher.killTree(child).catch((error: unknown) => {
      this.#log({
        level: 'error',
        process: unit.spec.name,
        event: 'kill',
        message: (error as Error).message,
      });
    });
  }
}

function isUp(state: ProcessState): boolean {
  return state.kind === 'running' || state.kind === 'exited' || state.kind === 'failed';
}

function usesStdin(steps: readonly StopStep[]): boolean {
  return steps.some((s) => s.kind === 'stdin');
}
