// The supervisor: one unit per process, each a ProcessMachine whose effects it carries out through
// the ProcessLauncher, the probes and the Clock. After every event it re-evaluates the order:
// which waiting processes may start (their dependencies' conditions hold), and during a stop which
// processes may stop (everything that depends on them has settled).
//
// Lifecycle: start() once; stop() any number of times, concurrently or not — one ordered stop
// runs, and every call resolves when it is done; kill() kills whatever is left at once.
// service.stop_timeout caps the ordered stop: whatever still runs then is killed.
//
// Operations while it runs — an operator's stop/start/restart of some processes, a reload — run
// one at a time, after start-up is over, and take processes down through the same rule as the
// whole stop: a process is told to stop only once the dependents it must outlast have settled.
import { EventEmitter } from 'node:events';
import type { ProbeCheck, ProcessSpec, ResolvedManifest, StopStep } from '../manifest/spec.js';
import type { ReloadPlan } from '../reload/plan.js';
import { SpawnError, type Child, type OutputLine, type ProcessLauncher } from '../platform/types.js';
import { count, emptySummary, statusOf, type AggregateStatus, type SupervisorPhase } from './aggregate.js';
import type { Clock, Timer } from './clock.js';
import {
  conditionMet,
  describeUnmet,
  isSettled,
  isStuck,
  stopDependents,
  transitiveDependents,
  unmetDependencies,
} from './ordering.js';
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
  /** Wall-clock epoch ms, for what `status` shows (start times, last exits); Date.now by default. */
  readonly wallClock?: () => number;
  /**
   * Where a process's output goes besides the log: its files (logging/process-output.ts). Opened
   * at its first start, kept across restarts. None by default.
   */
  readonly openOutput?: (spec: ProcessSpec, manifest: ResolvedManifest, onDrain: () => void) => OutputSink;
  /** Whether each output line is also a 'log' record (the foreground console). Default true. */
  readonly echoOutput?: boolean;
}

/** A process's output files, as the supervisor uses them. */
export interface OutputSink {
  /** False: pause reading the child's output until onDrain (given to openOutput) is called. */
  write(stream: 'stdout' | 'stderr', line: OutputLine): boolean;
  /** Whole lines at once, each ended by its \n; same return as write. */
  writeBlock(stream: 'stdout' | 'stderr', bytes: Buffer): boolean;
  /** Resolves when every line written so far is in the file. */
  flush(): Promise<void>;
  /** True while a file cannot be written: its lines wait for the disk, so an exit does not. */
  readonly failing: boolean;
  close(): Promise<void>;
}

/** How long an exit waits for its last lines to reach the files before it is reported anyway. */
export const OUTPUT_FLUSH_MS = 2_000;

/** At most one "output faster than its file" warning per process in this many ms. */
export const BACKPRESSURE_REPORT_MS = 60_000;

/** What an operator action or a reload came to, in words for the log and the control channel. */
export type OperationResult =
  | { readonly ok: true; readonly message: string; readonly detail: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly hint?: string };

/** One process as `corral status` shows it. Times are wall-clock epoch ms. */
export interface ProcessInfo {
  readonly name: string;
  readonly state: ProcessState;
  /** Stopped by an operator: it stays stopped until started. */
  readonly held: boolean;
  readonly pid: number | null;
  readonly startedAt: number | null;
  readonly restarts: { readonly total: number; readonly window: number };
  readonly lastExit: {
    readonly code: number | null;
    readonly signal: string | null;
    readonly at: number;
  } | null;
  /** Whether the current run passed its ready probe; null without a ready probe. */
  readonly ready: boolean | null;
  readonly nextRestartAt: number | null;
}

interface Unit {
  spec: ProcessSpec;
  machine: ProcessMachine;
  child: Child | null;
  restartTimer: Timer | null;
  stepTimer: Timer | null;
  probes: Cancellable[];
  matcher: LogMatcher | null;
  lastWaiting: string;
  held: boolean;
  /** The child environment, when it does not depend on env_files read at each start. */
  env: Readonly<Record<string, string>> | null;
  restarts: number;
  startedAt: number | null;
  lastExit: ProcessInfo['lastExit'];
  ready: boolean;
  output: OutputSink | null;
  /** What the open output was opened for (log.dir and the process's output settings). */
  outputKey: string;
  /** Frozen by a service PAUSE (`pause: suspend`), its probes stopped, until CONTINUE or a stop. */
  suspended: boolean;
  /** When a slowed-down output was last reported (clock ms), or null. */
  slowedAt: number | null;
}

/** Something an operation waits for; checked after every change. */
interface Waiter {
  readonly done: () => boolean;
  readonly resolve: () => void;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  #manifest: ResolvedManifest;
  readonly #units = new Map<string, Unit>();
  /** For each process, the processes that must have stopped before it stops. */
  #dependents: Map<string, string[]>;
  #phase: SupervisorPhase = 'stopped';
  #status: AggregateStatus = 'stopped';
  readonly #summary = emptySummary();
  #fatal: string | null = null;
  #killedOnStop = false;
  #stopRequested = false;
  #stopped: () => void = () => undefined;
  /** Resolves once the supervisor has stopped, whoever asked for the stop. */
  readonly #done = new Promise<void>((resolve) => (this.#stopped = resolve));
  #stopTimer: Timer | null = null;
  /** Processes an operation asked to stop that have not been told yet (they wait for dependents). */
  readonly #down = new Set<string>();
  /** Every process an operation is taking down; dependents outside it do not hold a stop back. */
  readonly #downScope = new Set<string>();
  readonly #waiting = new Set<Unit>();
  #starting = 0;
  #unsettled = 0;
  #waiters: Waiter[] = [];
  /** Operations run one at a time, in the order asked: start-up first. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Stop commands still running (`command` stop steps): the whole stop waits for them. */
  readonly #helpers = new Set<Promise<void>>();
  /** Output files being closed (of removed processes, or reopened with new settings). */
  readonly #closing: Promise<void>[] = [];

  constructor(
    manifest: ResolvedManifest,
    private readonly deps: SupervisorDeps,
  ) {
    super();
    this.#manifest = manifest;
    const enabled = manifest.processes.filter((p) => !p.disabled);
    for (const spec of enabled) this.#addUnit(spec);
    this.#dependents = stopDependents(enabled);
  }

  get manifest(): ResolvedManifest {
    return this.#manifest;
  }

  get status(): AggregateStatus {
    return this.#status;
  }

  get phase(): SupervisorPhase {
    return this.#phase;
  }

  /** Why the supervisor failed (a critical process gave up), or null. */
  get fatal(): string | null {
    return this.#fatal;
  }

  /** True when the ordered stop ran out of time and had to kill. */
  get killedOnStop(): boolean {
    return this.#killedOnStop;
  }

  states(): Map<string, ProcessState> {
    const states = new Map<string, ProcessState>();
    for (const [name, u] of this.#units) states.set(name, u.machine.state);
    return states;
  }

  /** Every supervised process, in manifest order, as `corral status` shows it. */
  processes(): ProcessInfo[] {
    const now = this.deps.clock.now();
    const wall = this.#wallNow();
    return [...this.#units.values()].map((u) => {
      const state = u.machine.state;
      const { window } = u.spec.restart.limit;
      return {
        name: u.spec.name,
        state,
        held: u.held,
        pid: 'pid' in state ? state.pid : null,
        startedAt: state.kind === 'running' || state.kind === 'starting' ? u.startedAt : null,
        restarts: {
          total: u.restarts,
          window: u.machine.history.restarts.filter((t) => now - t < window).length,
        },
        lastExit: u.lastExit,
        ready:
          u.spec.ready === null ? null : u.ready && (state.kind === 'running' || state.kind === 'stopping'),
        nextRestartAt: state.kind === 'backoff' ? wall + Math.max(0, state.until - now) : null,
      };
    });
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
    // Start-up is the first operation: operator actions and reloads wait until it is over.
    this.#queue = this.#until(() => this.#phase !== 'starting');
  }

  /** Starts the ordered stop (once) and resolves when every process has stopped. */
  stop(reason = 'stop requested'): Promise<void> {
    if (this.#stopRequested) return this.#done;
    this.#stopRequested = true;
    this.#phase = 'stopping';
    this.#log({ level: 'info', event: 'stop', message: `stopping all processes in order (${reason})` });
    this.#stopTimer = this.deps.clock.after(this.#manifest.service.stop_timeout, () => {
      const left = [...this.#units.values()]
        .filter((u) => !isSettled(u.machine.state))
        .map((u) => u.spec.name);
      this.#log({
        level: 'error',
        event: 'stop-timeout',
        message: `service.stop_timeout (${this.#manifest.service.stop_timeout} ms) reached; killing ${left.join(', ')}`,
      });
      this.kill();
    });
    for (const name of this.#units.keys()) this.#down.add(name);
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

  /**
   * Stops these processes (an operator's `corral stop`); they stay stopped until started. A
   * process that others depend on stops only with `withDependents`, which stops those first.
   */
  stopProcesses(
    names: readonly string[],
    options: { readonly withDependents: boolean },
  ): Promise<OperationResult> {
    return this.#operation(async () => {
      const unknown = this.#unknown(names);
      if (unknown !== null) return unknown;
      const named = new Set(names);
      const dependents = transitiveDependents(named, this.#dependents).filter((d) => !named.has(d));
      const active = dependents.filter((d) => !isSettled(this.#stateOf(d)));
      if (active.length > 0 && !options.withDependents) {
        return {
          ok: false,
          error: `${list(active)} ${active.length === 1 ? 'depends' : 'depend'} on ${list([...named])} and ${active.length === 1 ? 'is' : 'are'} running`,
          hint: `stop ${list(active)} first, or add --with-dependents to stop ${active.length === 1 ? 'it' : 'them'} too`,
        };
      }
      // Dependents first: the order they stop in.
      const targets = options.withDependents ? [...dependents.reverse(), ...named] : [...named];
      const before = new Map(targets.map((n) => [n, this.#stateOf(n)]));
      for (const name of targets) this.#hold(name, true);
      await this.#bringDown(targets);
      if (this.#isStopping()) return interrupted();
      const detail = targets.map((n) => {
        const was = before.get(n);
        return was !== undefined && isSettled(was) ? `${n}: was not running (${was.kind})` : `${n}: stopped`;
      });
      return { ok: true, message: `stopped ${list(targets)}`, detail };
    });
  }

  /** Starts these processes (and what they need first); a held process is no longer held. */
  startProcesses(names: readonly string[]): Promise<OperationResult> {
    return this.#operation(async () => {
      const unknown = this.#unknown(names);
      if (unknown !== null) return unknown;
      const targets = this.#withDependencies(names);
      for (const name of targets) {
        this.#hold(name, false);
        this.#dispatch(name, { kind: 'start' });
      }
      this.#evaluate();
      await this.#until(() => !targets.some((n) => this.#progressing(n)));
      return this.#startResult('started', names);
    });
  }

  /**
   * Restarts these processes, or every one that is not held: an ordered stop of them and of what
   * runs on top of them, then a start in dependency order. The supervisor keeps running.
   */
  restartProcesses(names: readonly string[] | 'all'): Promise<OperationResult> {
    return this.#operation(async () => {
      const named =
        names === 'all' ? [...this.#units.values()].filter((u) => !u.held).map((u) => u.spec.name) : names;
      const unknown = this.#unknown(named);
      if (unknown !== null) return unknown;
      const active = transitiveDependents(named, this.#dependents).filter(
        (d) => !named.includes(d) && !this.#isHeld(d) && !isSettled(this.#stateOf(d)),
      );
      const down = [...named, ...active];
      for (const name of named) this.#hold(name, false);
      await this.#bringDown(down);
      if (this.#isStopping()) return interrupted();
      const targets = [...new Set([...this.#withDependencies(named), ...active])];
      for (const name of targets) this.#dispatch(name, { kind: 'start' });
      this.#evaluate();
      await this.#until(() => !targets.some((n) => this.#progressing(n)));
      return this.#startResult('restarted', [...named, ...active]);
    });
  }

  /**
   * Applies a reload: stops what the plan stops (removed processes, and those that restart) in
   * reverse dependency order, swaps in the new manifest, then starts what the plan starts in
   * dependency order. Processes the plan updates keep running with their new settings; the rest
   * are not touched. Reloads and operator actions never interleave: each waits for the last.
   */
  applyReload(next: ResolvedManifest, plan: ReloadPlan): Promise<OperationResult> {
    return this.#operation(async () => {
      const enabled = next.processes.filter((p) => !p.disabled);
      // Stop along the old dependencies and the new ones alike.
      const union = stopDependents([...this.#manifest.processes.filter((p) => !p.disabled), ...enabled]);
      this.#dependents = union;
      const down = plan.stop.filter((n) => this.#units.has(n));
      await this.#bringDown(down);
      if (this.#isStopping()) return interrupted();
      this.#swapManifest(next, enabled, new Set(plan.update));
      const starts = plan.start.filter((n) => {
        const unit = this.#units.get(n);
        return unit !== undefined && !unit.held;
      });
      for (const name of starts) this.#dispatch(name, { kind: 'start' });
      this.#evaluate();
      await this.#until(() => !starts.some((n) => this.#progressing(n)));
      if (this.#isStopping()) return interrupted();
      const detail = starts.map((n) => `${n}: ${describeState(this.#stateOf(n))}`);
      return { ok: true, message: 'reload applied', detail };
    });
  }

  /**
   * A service PAUSE: freezes the process tree of every running process whose `pause` is `suspend`
   * (the others run on) and stops its probes, which would fail meanwhile. Returns their names.
   * A stop step, or resume(), lets a frozen process run again first.
   */
  pause(): string[] {
    if (this.#stopRequested) return [];
    const names: string[] = [];
    for (const unit of this.#units.values()) {
      const kind = unit.machine.state.kind;
      if (unit.spec.pause !== 'suspend' || unit.suspended || unit.child === null) continue;
      if (kind !== 'running' && kind !== 'starting') continue;
      for (const probe of unit.probes.splice(0)) probe.cancel();
      this.deps.launcher.suspend(unit.child);
      unit.suspended = true;
      names.push(unit.spec.name);
    }
    const message =
      names.length === 0 ? 'paused: no process has pause: suspend' : `paused: suspended ${list(names)}`;
    this.#log({ level: 'info', event: 'pause', message });
    return names;
  }

  /** CONTINUE: lets what pause() froze run again, and starts its probes again. Returns their names. */
  resume(): string[] {
    const names: string[] = [];
    for (const unit of this.#units.values()) {
      if (!unit.suspended) continue;
      this.#thaw(unit, true);
      names.push(unit.spec.name);
    }
    if (names.length > 0) this.#log({ level: 'info', event: 'pause', message: `resumed ${list(names)}` });
    return names;
  }

  #thaw(unit: Unit, probes: boolean): void {
    unit.suspended = false;
    if (unit.child !== null) this.deps.launcher.resume(unit.child);
    if (!probes) return;
    const state = unit.machine.state;
    if (state.kind === 'running') this.#probeLiveness(unit, unit.machine.generation);
    if (state.kind === 'starting' && state.pid !== null) this.#probeReady(unit, unit.machine.generation);
  }

  /** Runs `body` after every earlier operation; refused once the supervisor is stopping. */
  #operation(body: () => Promise<OperationResult>): Promise<OperationResult> {
    const run = async (): Promise<OperationResult> => {
      if (this.#isStopping()) return interrupted();
      if (this.#phase === 'stopped') {
        return { ok: false, error: 'the supervisor has not started', hint: 'start it first' };
      }
      return body();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result;
    return result;
  }

  #unknown(names: readonly string[]): OperationResult | null {
    if (names.length === 0)
      return { ok: false, error: 'no process named', hint: 'name at least one process' };
    const missing = names.filter((n) => !this.#units.has(n));
    if (missing.length === 0) return null;
    const known = [...this.#units.keys()];
    const disabled = this.#manifest.processes.filter((p) => p.disabled).map((p) => p.name);
    const off = missing.filter((n) => disabled.includes(n));
    return {
      ok: false,
      error:
        off.length > 0
          ? `${list(off)} ${off.length === 1 ? 'is' : 'are'} disabled in ${this.#manifest.file}`
          : `no process named ${list(missing)} in ${this.#manifest.file}`,
      hint: off.length > 0 ? 'set disabled: false in the manifest' : `processes: ${list(known)}`,
    };
  }

  /** `names` and, transitively, the dependencies whose condition does not hold and that would not get there by themselves. */
  #withDependencies(names: readonly string[]): string[] {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const unit = this.#units.get(name);
      if (unit === undefined) return;
      for (const [dep, condition] of Object.entries(unit.spec.depends_on)) {
        const state = this.#units.get(dep)?.machine.state;
        if (
          state !== undefined &&
          !conditionMet(condition, state) &&
          isSettled(state) &&
          state.kind !== 'waiting'
        ) {
          visit(dep);
        }
      }
      order.push(name);
    };
    for (const name of names) visit(name);
    return order;
  }

  #startResult(verb: string, names: readonly string[]): OperationResult {
    if (this.#isStopping()) return interrupted();
    const detail = names.map((n) => `${n}: ${describeState(this.#stateOf(n))}`);
    const bad = names.filter((n) => {
      const kind = this.#stateOf(n).kind;
      return kind !== 'running' && kind !== 'exited';
    });
    if (bad.length === 0) return { ok: true, message: `${verb} ${list(names)}`, detail };
    return {
      ok: false,
      error: `${list(bad)} did not come up: ${bad.map((n) => `${n} ${describeState(this.#stateOf(n))}`).join('; ')}`,
      hint: 'corral status and the log say more',
    };
  }

  /** Takes these processes down in reverse dependency order; resolves when all have settled. */
  #bringDown(names: readonly string[]): Promise<void> {
    for (const name of names) {
      this.#down.add(name);
      this.#downScope.add(name);
    }
    this.#evaluate();
    return this.#until(() => names.every((n) => !this.#units.has(n) || isSettled(this.#stateOf(n)))).then(
      () => {
        for (const name of names) this.#downScope.delete(name);
      },
    );
  }

  /** Resolves once `done()` holds (checked after each change), or the supervisor is stopping. */
  #until(done: () => boolean): Promise<void> {
    if (done() || this.#stopRequested) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ done, resolve }));
  }

  #swapManifest(next: ResolvedManifest, enabled: readonly ProcessSpec[], updated: ReadonlySet<string>): void {
    this.#manifest = next;
    const specs = new Map(enabled.map((p) => [p.name, p]));
    for (const [name, unit] of this.#units) {
      if (specs.has(name)) continue;
      this.#count(unit, -1);
      if (!isSettled(unit.machine.state)) this.#unsettled--;
      this.#waiting.delete(unit);
      unit.restartTimer?.cancel();
      for (const probe of unit.probes.splice(0)) probe.cancel();
      if (unit.output !== null) this.#closing.push(unit.output.close());
      this.#units.delete(name);
    }
    for (const spec of enabled) {
      const unit = this.#units.get(spec.name);
      if (unit === undefined) {
        this.#addUnit(spec);
        continue;
      }
      const livenessChanged = JSON.stringify(unit.spec.liveness) !== JSON.stringify(spec.liveness);
      this.#count(unit, -1);
      unit.spec = spec;
      unit.env = null;
      this.#count(unit, 1);
      // A running child keeps writing: move it to files for the new settings at once.
      if (unit.output !== null) this.#outputOf(unit);
      if (updated.has(spec.name) && livenessChanged && unit.machine.state.kind === 'running') {
        for (const probe of unit.probes.splice(0)) probe.cancel();
        this.#probeLiveness(unit, unit.machine.generation);
      }
    }
    // Keep the manifest's order (status rows, start order among equals).
    const ordered = enabled.map((p) => this.#units.get(p.name)).filter((u) => u !== undefined);
    this.#units.clear();
    for (const unit of ordered) this.#units.set(unit.spec.name, unit);
    this.#dependents = stopDependents(enabled);
  }

  #addUnit(spec: ProcessSpec): void {
    const unit: Unit = {
      spec,
      machine: initialMachine,
      child: null,
      restartTimer: null,
      stepTimer: null,
      probes: [],
      matcher: null,
      lastWaiting: '',
      held: false,
      env: null,
      restarts: 0,
      startedAt: null,
      lastExit: null,
      ready: false,
      output: null,
      outputKey: '',
      suspended: false,
      slowedAt: null,
    };
    this.#units.set(spec.name, unit);
    this.#count(unit, 1);
  }

  #count(unit: Unit, sign: 1 | -1): void {
    count(this.#summary, { spec: unit.spec, state: unit.machine.state, held: unit.held }, sign);
  }

  #hold(name: string, held: boolean): void {
    const unit = this.#units.get(name);
    if (unit === undefined || unit.held === held) return;
    this.#count(unit, -1);
    unit.held = held;
    this.#count(unit, 1);
  }

  /** A method, not the field: an await may have let a stop begin. */
  #isStopping(): boolean {
    return this.#stopRequested;
  }

  #isHeld(name: string): boolean {
    return this.#units.get(name)?.held === true;
  }

  #stateOf(name: string): ProcessState {
    return this.#units.get(name)?.machine.state ?? IDLE;
  }

  /** Still on its way up: starting, being stopped to restart, or waiting for something that will come. */
  #progressing(name: string): boolean {
    const unit = this.#units.get(name);
    if (unit === undefined) return false;
    const state = unit.machine.state;
    if (state.kind === 'starting') return true;
    if (state.kind === 'stopping') return state.then === 'restart';
    if (state.kind !== 'waiting') return false;
    return !isStuck(unit.spec, this.states(), this.#specs());
  }

  #specs(): Map<string, ProcessSpec> {
    return new Map([...this.#units].map(([name, u]) => [name, u.spec]));
  }

  #wallNow(): number {
    return (this.deps.wallClock ?? Date.now)();
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
    const after = step.machine.state;
    if (after !== before) this.#count(unit, -1);
    unit.machine = step.machine;
    if (after !== before) {
      this.#count(unit, 1);
      this.#track(unit, before, after);
      this.emit('state', name, after);
      // Built only when someone will read it: a stop of 200 children makes 400 of these.
      if (this.#manifest.log.level === 'debug') {
        this.#log({
          level: 'debug',
          process: name,
          event: 'state',
          message: `${before.kind} → ${after.kind}`,
        });
      }
    }
    for (const effect of step.effects) this.#perform(unit, effect);
  }

  /** Keeps the counters and sets that spare #evaluate a walk over every process. */
  #track(unit: Unit, before: ProcessState, after: ProcessState): void {
    if (before.kind === 'waiting') this.#waiting.delete(unit);
    if (after.kind === 'waiting') this.#waiting.add(unit);
    if (before.kind === 'starting') this.#starting--;
    if (after.kind === 'starting') this.#starting++;
    if (!isSettled(before)) this.#unsettled--;
    if (!isSettled(after)) this.#unsettled++;
    if (
      after.kind === 'starting' &&
      after.pid !== null &&
      before.kind === 'starting' &&
      before.pid === null
    ) {
      unit.startedAt = this.#wallNow();
      unit.ready = false;
    }
    if (after.kind === 'running' && before.kind !== 'running') {
      if (before.kind === 'starting' && before.pid === null) unit.startedAt = this.#wallNow();
      unit.ready = true;
    }
  }

  /** What may happen now that something changed: starts, stops, the end of the stop, the status. */
  #evaluate(): void {
    if ((this.#phase === 'starting' || this.#phase === 'running') && this.#waiting.size > 0) {
      const states = this.states();
      for (const unit of [...this.#waiting]) {
        const unmet = unmetDependencies(unit.spec, states);
        if (unmet.length === 0) {
          unit.lastWaiting = '';
          this.#dispatch(unit.spec.name, { kind: 'dependencies-met' });
          states.set(unit.spec.name, unit.machine.state);
        } else {
          const waiting = describeUnmet(unmet);
          if (waiting !== unit.lastWaiting) {
            unit.lastWaiting = waiting;
            this.#log({ level: 'info', process: unit.spec.name, event: 'waiting', message: waiting });
          }
        }
      }
    }
    if (this.#down.size > 0) this.#stopWhatMay();
    if (this.#phase === 'starting' && this.#startupOver()) this.#phase = 'running';
    if (this.#phase === 'stopping' && this.#unsettled === 0) this.#finishStop();
    this.#updateStatus();
    if (this.#waiters.length > 0) this.#wake();
  }

  /** Tells each process waiting in #down to stop once the dependents it must outlast have settled. */
  #stopWhatMay(): void {
    const all = this.#phase === 'stopping';
    for (const name of [...this.#down]) {
      const unit = this.#units.get(name);
      if (unit === undefined) {
        this.#down.delete(name);
        continue;
      }
      const state = unit.machine.state;
      if (state.kind === 'waiting' || state.kind === 'backoff') {
        this.#down.delete(name);
        this.#dispatch(name, { kind: 'stop' });
        continue;
      }
      if (isSettled(state)) {
        this.#down.delete(name);
        continue;
      }
      if (state.kind === 'stopping' && state.then === 'idle') {
        this.#down.delete(name);
        continue;
      }
      const blocked = (this.#dependents.get(name) ?? []).some(
        (d) => (all || this.#downScope.has(d)) && !isSettled(this.#stateOf(d)),
      );
      if (blocked) continue;
      this.#down.delete(name);
      this.#dispatch(name, { kind: 'stop' });
    }
  }

  #startupOver(): boolean {
    if (this.#starting > 0) return false;
    if (this.#waiting.size === 0) return true;
    const states = this.states();
    const specs = this.#specs();
    return [...this.#waiting].every((u) => isStuck(u.spec, states, specs));
  }

  #wake(): void {
    const ready = this.#waiters.filter((w) => this.#stopRequested || w.done());
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  #finishStop(): void {
    if (this.#phase === 'stopped') return;
    this.#phase = 'stopped';
    this.#stopTimer?.cancel();
    this.#log({ level: 'info', event: 'stopped', message: 'all processes stopped' });
    this.#updateStatus();
    // A stop command may still be finishing (its process exited first); it ends by itself or at
    // its step's timeout. The stop is over when it has, so nothing corral ran outlives it.
    if (this.#helpers.size === 0) this.#stopped();
    else
      void Promise.allSettled([...this.#helpers]).then(() => {
        this.#stopped();
      });
  }

  #updateStatus(): void {
    const status = statusOf(this.#phase, this.#summary, this.#fatal !== null);
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
        unit.restarts++;
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
    let env: Readonly<Record<string, string>>;
    try {
      env = this.#environment(spec);
    } catch (error) {
      queueMicrotask(() => {
        this.#later(spec.name, { kind: 'spawn-failed', generation, message: (error as Error).message });
      });
      return;
    }
    const output = this.#outputOf(unit);
    const echo = this.deps.echoOutput ?? true;
    const onLine = (stream: 'stdout' | 'stderr', line: OutputLine): boolean => {
      if (unit.matcher !== null || echo) {
        // As text, a line loses the CR of a CRLF ending (Windows programs); the file keeps it.
        const cr = line.complete && line.bytes.at(-1) === 0x0d;
        const text = line.bytes.toString('utf8', 0, cr ? line.bytes.length - 1 : line.bytes.length);
        unit.matcher?.feed(text);
        if (echo) this.#log({ level: 'info', process: spec.name, event: 'output', stream, message: text });
      }
      // A piece of a line longer than log.max_line is a line of its own in the file too:
      // the file's queue never holds a line longer than that.
      const ok = output?.write(stream, line.complete ? line : { bytes: line.bytes, complete: true }) ?? true;
      if (!ok) this.#slowedDown(unit);
      return ok;
    };
    this.deps.launcher
      .spawn(
        {
          name: spec.name,
          command: spec.command,
          shell: spec.shell,
          cwd: spec.cwd,
          env,
          stdin: usesStdin(spec.stop),
          maxLine: this.#manifest.log.max_line,
        },
        {
          onLine,
          onLines: (stream, bytes) => {
            // Line by line only when someone reads the lines: the console, or a log probe.
            if (unit.matcher === null && !echo) {
              const ok = output?.writeBlock(stream, bytes) ?? true;
              if (!ok) this.#slowedDown(unit);
              return ok;
            }
            let ok = true;
            let start = 0;
            for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
              ok = onLine(stream, { bytes: bytes.subarray(start, end), complete: true }) && ok;
              start = end + 1;
            }
            return ok;
          },
          onExit: (code, signal) => {
            const report = () => {
              if (unit.machine.generation === generation) {
                unit.stepTimer?.cancel();
                unit.child = null;
                unit.suspended = false;
                unit.lastExit = { code, signal, at: this.#wallNow() };
              }
              this.#later(spec.name, { kind: 'exit', generation, code, signal });
            };
            // Every line it wrote is in its files before its exit counts (bounded: a slow disk
            // holds the exit back OUTPUT_FLUSH_MS at most, and a failing one not at all; those
            // lines stay queued for the retry).
            if (output === null || output.failing) report();
            else settleWithin(output.flush(), this.deps.clock, OUTPUT_FLUSH_MS, report);
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

  /**
   * A child writes faster than its log file takes the lines: its pipe is no longer read until the
   * file catches up, so it waits in its writes. Said at most once per BACKPRESSURE_REPORT_MS.
   */
  #slowedDown(unit: Unit): void {
    const now = this.deps.clock.now();
    if (unit.slowedAt !== null && now - unit.slowedAt < BACKPRESSURE_REPORT_MS) return;
    unit.slowedAt = now;
    this.#log({
      level: 'warn',
      process: unit.spec.name,
      event: 'output-file',
      message: `writes output faster than its log file takes it: corral reads on when the file catches up, and the process waits in its writes meanwhile`,
    });
  }

  /** The unit's output files, opened (or reopened, after log.dir or its output settings changed). */
  #outputOf(unit: Unit): OutputSink | null {
    const open = this.deps.openOutput;
    if (open === undefined) return null;
    const key = JSON.stringify([this.#manifest.log.dir, unit.spec.output]);
    if (unit.output !== null && unit.outputKey === key) return unit.output;
    if (unit.output !== null) this.#closing.push(unit.output.close());
    unit.outputKey = key;
    unit.output = open(unit.spec, this.#manifest, () => unit.child?.resumeOutput());
    return unit.output;
  }

  /** Closes every process's output files (after the stop); resolves when all is on disk. */
  async closeOutputs(): Promise<void> {
    const outputs = [...this.#units.values()].map((u) => u.output).filter((o) => o !== null);
    for (const u of this.#units.values()) u.output = null;
    await Promise.all([...outputs.map((o) => o.close()), ...this.#closing.splice(0)]);
  }

  /** The supervisor's environment, then each env_file in order, then env. */
  #environment(spec: ProcessSpec): Readonly<Record<string, string>> {
    const unit = this.#units.get(spec.name);
    if (unit?.env != null && unit.spec === spec) return unit.env;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.deps.baseEnv)) if (v !== undefined) env[k] = v;
    for (const file of spec.env_file) Object.assign(env, this.deps.readEnvFile(file));
    Object.assign(env, spec.env);
    // Without env_files nothing changes between starts: build it once per spec.
    if (unit !== undefined && unit.spec === spec && spec.env_file.length === 0) unit.env = Object.freeze(env);
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
    // A frozen process cannot answer a stop step: let it run first.
    if (unit.suspended) this.#thaw(unit, false);
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
        if (launcher.request === undefined) {
          warn(`${step.kind} is not available on this platform; waiting for the step's timeout`);
        } else launcher.request(child, step.kind);
        return;
      case 'command': {
        const running = launcher
          .runCommand(step.command, {
            shell: step.shell,
            cwd: unit.spec.cwd,
            env: this.#environment(unit.spec),
            timeout: step.timeout,
          })
          .then((r) => {
            if (r.code !== 0)
              warn(`stop command ${r.timedOut ? 'timed out' : `exited with ${r.code ?? r.signal ?? '?'}`}`);
          })
          .finally(() => this.#helpers.delete(running));
        this.#helpers.add(running);
        return;
      }
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

function usesStdin(steps: readonly StopStep[]): boolean {
  return steps.some((s) => s.kind === 'stdin');
}

const IDLE: ProcessState = { kind: 'idle' };

function interrupted(): OperationResult {
  return { ok: false, error: 'corral is stopping; nothing else is done', hint: 'start corral again' };
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

/** A process's state in a few words, for operation results. */
function describeState(state: ProcessState): string {
  switch (state.kind) {
    case 'running':
      return `running (pid ${state.pid})`;
    case 'exited':
      return state.code === 0 ? 'completed' : `exited (${state.code ?? state.signal ?? '?'})`;
    case 'failed':
      return `failed: ${state.reason}`;
    case 'backoff':
      return `restarting after it ${state.reason}`;
    case 'waiting':
      return 'waiting for its dependencies';
    default:
      return state.kind;
  }
}

/** Calls `then` once `promise` settles or `ms` have passed, whichever comes first. */
function settleWithin(promise: Promise<unknown>, clock: Clock, ms: number, then: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    timer.cancel();
    then();
  };
  const timer = clock.after(ms, once);
  promise.then(once, once);
}
