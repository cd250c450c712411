// The service host's brain: relays the SCM's controls to the supervisor and the supervisor's
// progress back to the SCM (through the reporter) and to the event log. The SCM side
// (service-dispatcher wiring in cli/service.ts) and the supervisor are injected, so the whole
// mapping is unit-tested with a fake clock and a fake supervisor.
//
// Lifecycle, as cli/service.ts drives it:
//   1. constructed in ServiceMain, which reports START_PENDING (reporter.set) and returns;
//   2. control(...) from HandlerEx for every control, from then on: returns at once, work deferred;
//   3. attach(supervisor, reloads) once the manifest is loaded and the supervisor exists;
//   4. finish(exitCode) when the supervisor host has returned: STOPPED, with the exit code.
import type { Clock, Timer } from '../../core/clock.js';
import type { AggregateStatus } from '../../core/aggregate.js';
import type { LogRecord, OperationResult } from '../../core/supervisor.js';
import type { ResolvedManifest } from '../../manifest/spec.js';
import { KILL_DEADLINE_MS } from './launcher.js';
import { SERVICE_EXIT_CODES, type ServiceExit } from './service-exit-codes.js';
import type { ServiceReporter } from './service-reporter.js';
import { ERROR_CALL_NOT_IMPLEMENTED, NO_ERROR, SERVICE_CONTROL } from './service-status.js';

/** What the SCM gives a service at SHUTDOWN when it did not ask for PRESHUTDOWN (WaitToKillServiceTimeout). */
export const SHUTDOWN_BUDGET_MS = 20_000;
/** Kept free at the end of a budget for the kill and its wait (the launcher's kill deadline). */
export const KILL_GRACE_MS = KILL_DEADLINE_MS;

/** The supervisor as the service host sees it (core/supervisor.ts). */
export interface ServedSupervisor {
  readonly manifest: ResolvedManifest;
  readonly fatal: string | null;
  readonly killedOnStop: boolean;
  on(event: 'status', listener: (status: AggregateStatus) => void): unknown;
  on(event: 'log', listener: (record: LogRecord) => void): unknown;
  stop(reason: string): Promise<void>;
  kill(): void;
  pause(): string[];
  resume(): string[];
}

export interface ServedReloads {
  request(trigger: string): Promise<OperationResult>;
}

/** The Windows Application event log under the service's name (event-log.ts). */
export interface EventSink {
  write(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface ServiceControllerDeps {
  readonly reporter: ServiceReporter;
  readonly clock: Clock;
  /** Runs work after HandlerEx has returned (setImmediate). */
  readonly defer: (work: () => void) => void;
  readonly events: EventSink;
  /** The supervisor log (before attach, and after the log is closed, lines may go nowhere). */
  readonly log: (record: LogRecord) => void;
}

type StopKind = 'stop' | 'shutdown' | 'preshutdown';

const STOP_REASONS: Readonly<Record<StopKind, string>> = {
  stop: 'the service manager asked to stop',
  shutdown: 'the system is shutting down',
  preshutdown: 'the system is shutting down (preshutdown)',
};

export class ServiceController {
  #supervisor: ServedSupervisor | null = null;
  #reloads: ServedReloads | null = null;
  /** A stop asked for before the supervisor existed: begun at attach. */
  #stopBeforeAttach: StopKind | null = null;
  #stopping = false;
  #killTimer: Timer | null = null;

  constructor(private readonly deps: ServiceControllerDeps) {}

  /** HandlerEx: answers at once; whatever the control sets off runs after it has returned. */
  control(control: number): number {
    const { defer, reporter } = this.deps;
    switch (control) {
      case SERVICE_CONTROL.stop:
        defer(() => {
          this.#beginStop('stop');
        });
        return NO_ERROR;
      case SERVICE_CONTROL.shutdown:
        defer(() => {
          this.#beginStop('shutdown');
        });
        return NO_ERROR;
      case SERVICE_CONTROL.preshutdown:
        defer(() => {
          this.#beginStop('preshutdown');
        });
        return NO_ERROR;
      case SERVICE_CONTROL.paramChange:
        defer(() => {
          this.#reload();
        });
        return NO_ERROR;
      case SERVICE_CONTROL.pause:
      case SERVICE_CONTROL.continue:
        defer(() => {
          this.#pause(control === SERVICE_CONTROL.pause);
        });
        return NO_ERROR;
      case SERVICE_CONTROL.interrogate:
        defer(() => {
          reporter.interrogate();
        });
        return NO_ERROR;
      default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
  }

  /** The supervisor exists (before it starts): follow its status, relay its notable log lines. */
  attach(supervisor: ServedSupervisor, reloads: ServedReloads): void {
    this.#supervisor = supervisor;
    this.#reloads = reloads;
    supervisor.on('status', (status) => {
      this.#onStatus(status);
    });
    supervisor.on('log', (record) => {
      this.#onLog(record);
    });
    const early = this.#stopBeforeAttach;
    if (early !== null) {
      this.deps.defer(() => {
        this.#stopping = false;
        this.#beginStop(early);
      });
    }
  }

  /** The supervisor host returned `exitCode`: report STOPPED, saying how it ended. */
  finish(exitCode: number): ServiceExit {
    this.#killTimer?.cancel();
    const exit = this.#exitOf(exitCode);
    const supervisor = this.#supervisor;
    if (exit === 'criticalGaveUp' && supervisor?.fatal != null) {
      this.deps.events.write('error', `stopped: a critical process gave up: ${supervisor.fatal}`);
    } else if (exit === 'ok') {
      this.deps.events.write('info', 'stopped: every process stopped in order');
    } else {
      const { code, meaning } = SERVICE_EXIT_CODES[exit];
      this.deps.events.write('error', `stopped with service-specific exit code ${code}: ${meaning}`);
    }
    this.deps.reporter.set({ kind: 'stopped', exit });
    return exit;
  }

  #exitOf(exitCode: number): ServiceExit {
    const supervisor = this.#supervisor;
    if (supervisor === null) return 'couldNotStart';
    if (supervisor.fatal !== null) return 'criticalGaveUp';
    if (supervisor.killedOnStop) return 'killedOnStop';
    return exitCode === 0 ? 'ok' : 'couldNotStart';
  }

  #onStatus(status: AggregateStatus): void {
    const { reporter } = this.deps;
    switch (status) {
      case 'running':
      case 'degraded':
        if (reporter.state.kind === 'starting') {
          reporter.set({ kind: 'running' });
          this.deps.events.write('info', `started: the processes are up (status ${status})`);
        }
        return;
      case 'stopping':
        // The supervisor stops by itself when a critical process gives up.
        if (!this.#stopping) this.#enterStopping(this.#stopTimeout());
        return;
      case 'starting':
      case 'failed':
      case 'stopped':
        return;
    }
  }

  #onLog(record: LogRecord): void {
    const about = record.process === undefined ? '' : `${record.process}: `;
    if (record.level === 'error') this.deps.events.write('error', `${about}${record.message}`);
    else if (record.event === 'reload')
      this.deps.events.write(record.level === 'warn' ? 'warn' : 'info', record.message);
  }

  #beginStop(kind: StopKind): void {
    if (this.#stopping) return;
    const supervisor = this.#supervisor;
    this.#stopping = true;
    if (supervisor === null) {
      this.#stopBeforeAttach = kind;
      this.#enterStopping(this.#stopTimeout());
      return;
    }
    const budget = this.#budgetOf(kind, supervisor.manifest);
    const cap = Math.min(supervisor.manifest.service.stop_timeout, budget);
    if (cap < supervisor.manifest.service.stop_timeout) {
      // The SCM gives less than stop_timeout: the ordered stop gets what is left after the kill's share.
      this.#killTimer = this.deps.clock.after(cap, () => {
        this.deps.log({
          level: 'error',
          event: 'stop-timeout',
          message: `${STOP_REASONS[kind]}: its budget of ${budget + KILL_GRACE_MS} ms leaves ${cap} ms for the ordered stop, which is over; killing what is left`,
        });
        supervisor.kill();
      });
    }
    this.#enterStopping(cap);
    this.deps.events.write('info', `stopping: ${STOP_REASONS[kind]}`);
    void supervisor.stop(STOP_REASONS[kind]);
  }

  /** ms the ordered stop may take before its kill, within what the SCM gives for `kind`. */
  #budgetOf(kind: StopKind, manifest: ResolvedManifest): number {
    const given =
      kind === 'stop'
        ? Infinity
        : kind === 'preshutdown'
          ? (manifest.service.preshutdown_timeout ?? SHUTDOWN_BUDGET_MS)
          : SHUTDOWN_BUDGET_MS;
    return Math.max(0, given - KILL_GRACE_MS);
  }

  #stopTimeout(): number {
    return this.#supervisor?.manifest.service.stop_timeout ?? 0;
  }

  #enterStopping(orderedMs: number): void {
    this.#stopping = true;
    this.deps.reporter.set({ kind: 'stopping', deadline: this.deps.clock.now() + orderedMs + KILL_GRACE_MS });
  }

  #reload(): void {
    const reloads = this.#reloads;
    if (reloads === null) {
      this.deps.events.write('warn', 'PARAMCHANGE ignored: the manifest is still being loaded');
      return;
    }
    void reloads.request('PARAMCHANGE');
  }

  #pause(pause: boolean): void {
    const { reporter } = this.deps;
    const kind = reporter.state.kind;
    if (pause ? kind !== 'running' : kind !== 'paused') return;
    // The supervisor freezes each process whose pause is suspend (and logs what it did); the
    // others run on. Without a supervisor yet there is nothing to freeze.
    if (pause) this.#supervisor?.pause();
    else this.#supervisor?.resume();
    reporter.set({ kind: pause ? 'paused' : 'running' });
  }
}
