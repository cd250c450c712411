// The service host's decisions, with a fake clock and a fake supervisor: which SERVICE_STATUS is
// reported in each phase, how checkpoints and wait hints move, how each SCM control is answered and
// what it sets off, and how the end maps to the exit codes. SHUTDOWN and PRESHUTDOWN, which Wine
// never delivers, are proved here only.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { AggregateStatus } from '../../../src/core/aggregate.js';
import type { LogRecord, OperationResult } from '../../../src/core/supervisor.js';
import {
  KILL_GRACE_MS,
  SHUTDOWN_BUDGET_MS,
  ServiceController,
  type ServedSupervisor,
} from '../../../src/platform/windows/service-controller.js';
import { SERVICE_EXIT_CODES } from '../../../src/platform/windows/service-exit-codes.js';
import { ServiceReporter } from '../../../src/platform/windows/service-reporter.js';
import {
  ERROR_CALL_NOT_IMPLEMENTED,
  NO_ERROR,
  PENDING_WAIT_HINT_MS,
  SERVICE_ACCEPT,
  SERVICE_CONTROL,
  SERVICE_STATE,
  statusFor,
} from '../../../src/platform/windows/service-status.js';
import type { ServiceStatusFields } from '../../../src/platform/windows/win32.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { load } from '../../helpers/manifest.js';

class FakeSupervisor extends EventEmitter implements ServedSupervisor {
  fatal: string | null = null;
  killedOnStop = false;
  stops: string[] = [];
  kills = 0;
  constructor(readonly manifest: ReturnType<typeof load>) {
    super();
  }
  stop(reason: string): Promise<void> {
    this.stops.push(reason);
    this.emit('status', 'stopping');
    return Promise.resolve();
  }
  kill(): void {
    this.kills++;
    this.killedOnStop = true;
  }
  pauses: string[] = [];
  pause(): string[] {
    this.pauses.push('pause');
    return [];
  }
  resume(): string[] {
    this.pauses.push('resume');
    return [];
  }
  status(status: AggregateStatus): void {
    this.emit('status', status);
  }
}

function setUp(service = '') {
  const clock = new FakeClock();
  const reports: ServiceStatusFields[] = [];
  const events: [string, string][] = [];
  const logs: LogRecord[] = [];
  const deferred: (() => void)[] = [];
  const reloads: string[] = [];
  const reporter = new ServiceReporter({ clock, report: (s) => reports.push(s) });
  const controller = new ServiceController({
    reporter,
    clock,
    defer: (work) => deferred.push(work),
    events: { write: (level, message) => events.push([level, message]) },
    log: (record) => logs.push(record),
  });
  const manifest = load(
    `version: 1\nservice: { name: demo, stop_timeout: 30s${service} }\nprocesses:\n  a: { command: [a] }\n`,
  );
  const supervisor = new FakeSupervisor(manifest);
  const runDeferred = () => {
    for (const work of deferred.splice(0)) work();
  };
  const request = (trigger: string): Promise<OperationResult> => {
    reloads.push(trigger);
    return Promise.resolve({ ok: true, message: 'applied', detail: [] });
  };
  return { clock, reports, events, logs, reporter, controller, supervisor, runDeferred, reloads, request };
}

const last = (reports: ServiceStatusFields[]) => reports.at(-1);

describe('statusFor', () => {
  const context = { now: 0, checkPoint: 3, preshutdown: false };
  it('reports START_PENDING with the checkpoint, a wait hint and only the stop controls', () => {
    expect(statusFor({ kind: 'starting' }, context)).toEqual({
      serviceType: 0x10,
      currentState: SERVICE_STATE.startPending,
      controlsAccepted: SERVICE_ACCEPT.stop | SERVICE_ACCEPT.shutdown,
      win32ExitCode: 0,
      serviceSpecificExitCode: 0,
      checkPoint: 3,
      waitHint: PENDING_WAIT_HINT_MS,
    });
  });
  it('accepts PRESHUTDOWN only when the manifest sets a preshutdown timeout', () => {
    const running = statusFor({ kind: 'running' }, { ...context, preshutdown: true });
    expect(running.controlsAccepted).toBe(
      SERVICE_ACCEPT.stop |
        SERVICE_ACCEPT.shutdown |
        SERVICE_ACCEPT.preshutdown |
        SERVICE_ACCEPT.pauseContinue |
        SERVICE_ACCEPT.paramChange,
    );
    expect(running).toMatchObject({ currentState: SERVICE_STATE.running, checkPoint: 0, waitHint: 0 });
    expect(statusFor({ kind: 'running' }, context).controlsAccepted & SERVICE_ACCEPT.preshutdown).toBe(0);
  });
  it('gives STOP_PENDING the time left to its deadline as the wait hint, never less than the pending hint', () => {
    expect(statusFor({ kind: 'stopping', deadline: 40_000 }, { ...context, now: 10_000 })).toMatchObject({
      currentState: SERVICE_STATE.stopPending,
      controlsAccepted: 0,
      checkPoint: 3,
      waitHint: 30_000,
    });
    expect(statusFor({ kind: 'stopping', deadline: 40_000 }, { ...context, now: 39_000 }).waitHint).toBe(
      PENDING_WAIT_HINT_MS,
    );
  });
  it('reports STOPPED with ERROR_SERVICE_SPECIFIC_ERROR and the documented code', () => {
    expect(statusFor({ kind: 'stopped', exit: 'ok' }, context)).toMatchObject({
      currentState: SERVICE_STATE.stopped,
      win32ExitCode: 0,
      serviceSpecificExitCode: 0,
    });
    for (const [exit, { code }] of Object.entries(SERVICE_EXIT_CODES)) {
      expect(
        statusFor({ kind: 'stopped', exit: exit as keyof typeof SERVICE_EXIT_CODES }, context),
      ).toMatchObject({
        win32ExitCode: 1066,
        serviceSpecificExitCode: code,
        controlsAccepted: 0,
      });
    }
  });
});

describe('ServiceReporter', () => {
  it('advances the checkpoint every second while pending, and stops pulsing in a steady state', () => {
    const { clock, reports, reporter } = setUp();
    reporter.set({ kind: 'starting' });
    clock.advance(3_000);
    expect(reports.map((r) => r.checkPoint)).toEqual([1, 2, 3, 4]);
    expect(reports.every((r) => r.waitHint >= 2 * 1_000)).toBe(true);
    reporter.set({ kind: 'running' });
    clock.advance(5_000);
    expect(reports).toHaveLength(5);
    expect(last(reports)).toMatchObject({ currentState: SERVICE_STATE.running, checkPoint: 0 });
  });
  it('reports nothing after STOPPED', () => {
    const { clock, reports, reporter } = setUp();
    reporter.set({ kind: 'stopping', deadline: 10_000 });
    reporter.set({ kind: 'stopped', exit: 'ok' });
    reporter.set({ kind: 'running' });
    clock.advance(5_000);
    expect(reports.map((r) => r.currentState)).toEqual([SERVICE_STATE.stopPending, SERVICE_STATE.stopped]);
  });
});

describe('ServiceController', () => {
  it('answers every control at once and does the work only when deferred', () => {
    const { controller, supervisor, runDeferred, request, reporter } = setUp();
    reporter.set({ kind: 'starting' });
    controller.attach(supervisor, { request });
    expect(controller.control(SERVICE_CONTROL.stop)).toBe(NO_ERROR);
    expect(supervisor.stops).toEqual([]);
    runDeferred();
    expect(supervisor.stops).toEqual(['the service manager asked to stop']);
    expect(controller.control(0x80)).toBe(ERROR_CALL_NOT_IMPLEMENTED);
  });

  it('goes START_PENDING → RUNNING when the status leaves starting, and logs it', () => {
    const { controller, supervisor, reports, reporter, events, request } = setUp();
    reporter.set({ kind: 'starting' });
    controller.attach(supervisor, { request });
    supervisor.status('starting');
    expect(last(reports)?.currentState).toBe(SERVICE_STATE.startPending);
    supervisor.status('degraded');
    expect(last(reports)?.currentState).toBe(SERVICE_STATE.running);
    expect(events).toEqual([['info', 'started: the processes are up (status degraded)']]);
  });

  it('on STOP reports STOP_PENDING with stop_timeout and the kill grace as wait hint, then STOPPED 0', () => {
    const { controller, supervisor, reports, reporter, runDeferred, clock, request } = setUp();
    reporter.set({ kind: 'starting' });
    controller.attach(supervisor, { request });
    supervisor.status('running');
    controller.control(SERVICE_CONTROL.stop);
    runDeferred();
    expect(last(reports)).toMatchObject({
      currentState: SERVICE_STATE.stopPending,
      checkPoint: 1,
      waitHint: 30_000 + KILL_GRACE_MS,
    });
    clock.advance(2_000);
    expect(last(reports)).toMatchObject({ checkPoint: 3, waitHint: 28_000 + KILL_GRACE_MS });
    expect(supervisor.kills).toBe(0);
    expect(controller.finish(0)).toBe('ok');
    expect(last(reports)).toMatchObject({ currentState: SERVICE_STATE.stopped, win32ExitCode: 0 });
  });

  it('on SHUTDOWN stops within the shutdown budget: kills when the budget less the kill grace is over', () => {
    const { controller, supervisor, reports, reporter, runDeferred, clock, request } = setUp();
    reporter.set({ kind: 'starting' });
    controller.attach(supervisor, { request });
    controller.control(SERVICE_CONTROL.shutdown);
    runDeferred();
    expect(supervisor.stops).toEqual(['the system is shutting down']);
    expect(last(reports)?.waitHint).toBe(SHUTDOWN_BUDGET_MS);
    clock.advance(SHUTDOWN_BUDGET_MS - KILL_GRACE_MS - 1);
    expect(supervisor.kills).toBe(0);
    clock.advance(1);
    expect(supervisor.kills).toBe(1);
    expect(controller.finish(0)).toBe('killedOnStop');
    expect(last(reports)).toMatchObject({ win32ExitCode: 1066, serviceSpecificExitCode: 2 });
  });

  it('on PRESHUTDOWN stops within preshutdown_timeout', () => {
    const { controller, supervisor, reports, reporter, runDeferred, clock, request } = setUp(
      ', preshutdown_timeout: 15s',
    );
    reporter.preshutdown = true;
    reporter.set({ kind: 'running' });
    expect(last(reports)?.controlsAccepted).toBe(
      SERVICE_ACCEPT.stop |
        SERVICE_ACCEPT.shutdown |
        SERVICE_ACCEPT.preshutdown |
        SERVICE_ACCEPT.pauseContinue |
        SERVICE_ACCEPT.paramChange,
    );
    controller.attach(supervisor, { request });
    controller.control(SERVICE_CONTROL.preshutdown);
    runDeferred();
    expect(last(reports)?.waitHint).toBe(15_000);
    clock.advance(15_000 - KILL_GRACE_MS);
    expect(supervisor.kills).toBe(1);
  });

  it('a critical give-up: STOP_PENDING when the supervisor stops itself, then STOPPED with code 1 and an event', () => {
    const { controller, supervisor, reports, reporter, events, request } = setUp();
    reporter.set({ kind: 'starting' });
    controller.attach(supervisor, { request });
    supervisor.status('running');
    supervisor.fatal = 'db exited with code 1; gave up after 5 restarts in 60000 ms';
    supervisor.status('failed');
    supervisor.status('stopping');
    expect(last(reports)?.currentState).toBe(SERVICE_STATE.stopPending);
    expect(controller.finish(1)).toBe('criticalGaveUp');
    expect(last(reports)).toMatchObject({ win32ExitCode: 1066, serviceSpecificExitCode: 1 });
    expect(events.at(-1)).toEqual([
      'error',
      'stopped: a critical process gave up: db exited with code 1; gave up after 5 restarts in 60000 ms',
    ]);
  });

  it('never attached (the manifest could not be run): STOPPED with code 3', () => {
    const { controller, reports, reporter } = setUp();
    reporter.set({ kind: 'starting' });
    expect(controller.finish(1)).toBe('couldNotStart');
    expect(last(reports)).toMatchObject({ win32ExitCode: 1066, serviceSpecificExitCode: 3 });
  });

  it('a STOP before the supervisor exists is carried out once it does', () => {
    const { controller, supervisor, reports, reporter, runDeferred, request } = setUp();
    reporter.set({ kind: 'starting' });
    controller.control(SERVICE_CONTROL.stop);
    runDeferred();
    expect(last(reports)?.currentState).toBe(SERVICE_STATE.stopPending);
    controller.attach(supervisor, { request });
    runDeferred();
    expect(supervisor.stops).toEqual(['the service manager asked to stop']);
  });

  it('PARAMCHANGE asks the reload controller; INTERROGATE reports again; PAUSE and CONTINUE pause and resume the supervisor and report PAUSED, then RUNNING', () => {
    const { controller, supervisor, reports, reporter, runDeferred, reloads, request } = setUp();
    reporter.set({ kind: 'running' });
    controller.attach(supervisor, { request });
    controller.control(SERVICE_CONTROL.paramChange);
    runDeferred();
    expect(reloads).toEqual(['PARAMCHANGE']);
    const before = reports.length;
    controller.control(SERVICE_CONTROL.interrogate);
    runDeferred();
    expect(reports).toHaveLength(before + 1);
    controller.control(SERVICE_CONTROL.pause);
    runDeferred();
    expect(last(reports)?.currentState).toBe(SERVICE_STATE.paused);
    expect(supervisor.pauses).toEqual(['pause']);
    controller.control(SERVICE_CONTROL.continue);
    runDeferred();
    expect(last(reports)?.currentState).toBe(SERVICE_STATE.running);
    expect(supervisor.pauses).toEqual(['pause', 'resume']);
  });

  it('relays error records and reload outcomes of the supervisor log to the event log', () => {
    const { controller, supervisor, events, request } = setUp();
    controller.attach(supervisor, { request });
    supervisor.emit('log', { level: 'error', event: 'reload-invalid', message: 'corral.yaml:3:5 bad' });
    supervisor.emit('log', { level: 'info', event: 'reload', message: 'reload (PARAMCHANGE): applied' });
    supervisor.emit('log', { level: 'info', event: 'state', message: 'a: running' });
    expect(events).toEqual([
      ['error', 'corral.yaml:3:5 bad'],
      ['info', 'reload (PARAMCHANGE): applied'],
    ]);
  });
});
