// The per-process state machine, driven by events alone: every documented transition, the effects
// each one asks for, and that every other state/event pair leaves the machine as it is.
import { describe, expect, it } from 'vitest';
import {
  initialMachine,
  transition,
  type ProcessEffect,
  type ProcessEvent,
  type ProcessMachine,
  type ProcessState,
  type Step,
} from '../../../src/core/process-machine.js';
import { freshHistory, type RestartHistory } from '../../../src/core/restart-policy.js';
import type { ProcessSpec, RestartSpec } from '../../../src/manifest/spec.js';
import { HEAD, load } from '../../helpers/manifest.js';

/** A resolved process `p` with the given extra fields (YAML flow-mapping text). */
function processSpec(fields = ''): ProcessSpec {
  const spec = load(`${HEAD}processes:\n  p: { command: x${fields === '' ? '' : `, ${fields}`} }\n`)
    .processes[0];
  if (spec === undefined) throw new Error('no process');
  return spec;
}

/** Three stop steps (graceful, signal, kill), no probes, jitter 0 so delays are exact. */
const plain = processSpec(
  'stop: [ { graceful: 5s }, { signal: SIGINT, timeout: 2s }, kill ], restart: { jitter: 0, on_limit: give-up }',
);
const withReady = processSpec(
  'ready: { tcp: 8080, timeout: 2s }, liveness: { tcp: 8080 }, restart: { jitter: 0 }',
);
const withLiveness = processSpec('liveness: { tcp: 8080 }, restart: { jitter: 0 }');

function withRestart(spec: ProcessSpec, restart: Partial<RestartSpec>): ProcessSpec {
  return { ...spec, restart: { ...spec.restart, ...restart } };
}

const none = () => 0;

/** Drives one machine through events, keeping time and collecting what each step returned. */
class Driver {
  m: ProcessMachine;
  now = 0;
  constructor(
    readonly spec: ProcessSpec,
    m: ProcessMachine = initialMachine,
    readonly random: () => number = none,
  ) {
    this.m = m;
  }
  get state(): ProcessState {
    return this.m.state;
  }
  get gen(): number {
    return this.m.generation;
  }
  at(now: number): this {
    this.now = now;
    return this;
  }
  send(event: ProcessEvent): readonly ProcessEffect[] {
    const step = transition(this.m, event, { spec: this.spec, now: this.now, random: this.random });
    this.m = step.machine;
    return step.effects;
  }
  /** start → dependencies-met → spawned: running (or starting, with a ready probe). */
  up(pid = 100): this {
    this.send({ kind: 'start' });
    this.send({ kind: 'dependencies-met' });
    this.send({ kind: 'spawned', generation: this.gen, pid });
    return this;
  }
}

const exitEvent = (
  generation: number,
  code: number | null = 1,
  signal: string | null = null,
): ProcessEvent => ({
  kind: 'exit',
  generation,
  code,
  signal,
});

describe('initialMachine', () => {
  it('is idle, generation 0, with a fresh history and no run', () => {
    expect(initialMachine).toEqual({
      state: { kind: 'idle' },
      generation: 0,
      history: freshHistory,
      runStarted: null,
    });
  });
});

describe('starting a process', () => {
  it('waits for dependencies, spawns a new generation, then runs (no probes: no effects)', () => {
    const d = new Driver(plain).at(5);
    expect(d.send({ kind: 'start' })).toEqual([]);
    expect(d.state).toEqual({ kind: 'waiting' });
    expect(d.send({ kind: 'dependencies-met' })).toEqual([{ kind: 'spawn', generation: 1 }]);
    expect(d.m).toMatchObject({
      generation: 1,
      runStarted: null,
      state: { kind: 'starting', pid: null, since: 5 },
    });
    d.at(7);
    expect(d.send({ kind: 'spawned', generation: 1, pid: 4242 })).toEqual([]);
    expect(d.m).toMatchObject({ runStarted: 7, state: { kind: 'running', pid: 4242, since: 7 } });
  });

  it('starts the liveness probe at once when there is no ready probe', () => {
    const d = new Driver(withLiveness);
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    expect(d.send({ kind: 'spawned', generation: 1, pid: 9 })).toEqual([
      { kind: 'probe-liveness', generation: 1 },
    ]);
    expect(d.state.kind).toBe('running');
  });

  it('with a ready probe: stays starting with the pid, probes readiness, then runs and probes liveness', () => {
    const d = new Driver(withReady).at(10);
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    d.at(20);
    expect(d.send({ kind: 'spawned', generation: 1, pid: 9 })).toEqual([
      { kind: 'probe-ready', generation: 1 },
    ]);
    expect(d.m).toMatchObject({ runStarted: 20, state: { kind: 'starting', pid: 9, since: 10 } });
    d.at(900);
    expect(d.send({ kind: 'ready', generation: 1 })).toEqual([{ kind: 'probe-liveness', generation: 1 }]);
    expect(d.m).toMatchObject({ runStarted: 20, state: { kind: 'running', pid: 9, since: 900 } });
  });

  it.each<ProcessState>([
    { kind: 'idle' },
    { kind: 'exited', code: 0, signal: null },
    { kind: 'failed', reason: 'gave up' },
  ])('start from $kind goes to waiting with a fresh restart history', (state) => {
    const history: RestartHistory = { attempt: 4, restarts: [1, 2, 3, 4] };
    const step = transition(
      { state, generation: 7, history, runStarted: null },
      { kind: 'start' },
      ctx(plain),
    );
    expect(step.machine).toEqual({
      state: { kind: 'waiting' },
      generation: 7,
      history: freshHistory,
      runStarted: null,
    });
    expect(step.effects).toEqual([]);
  });
});

function ctx(spec: ProcessSpec, now = 0): { spec: ProcessSpec; now: number; random: () => number } {
  return { spec, now, random: none };
}

describe('a crash loop until the restart limit', () => {
  it('backs off 1s, 2s, 4s, 8s, 16s with exact effects, then gives up on the 6th crash', () => {
    const d = new Driver(plain);
    d.up(100);
    const delays = [1_000, 2_000, 4_000, 8_000, 16_000];
    for (const [i, delay] of delays.entries()) {
      const gen = i + 1;
      expect(d.gen).toBe(gen);
      d.at(d.now + 50); // each run lasts 50 ms
      expect(d.send(exitEvent(gen, 3))).toEqual([
        { kind: 'stop-probes' },
        { kind: 'log', level: 'warn', message: `exited with code 3; restart ${gen} in ${delay} ms` },
        { kind: 'schedule-restart', generation: expect.any(Number) as number, delay },
      ]);
      expect(d.state).toEqual({
        kind: 'backoff',
        until: d.now + delay,
        reason: 'exited with code 3',
        coolDown: false,
      });
      expect(d.m.history.attempt).toBe(gen);
      expect(d.m.runStarted).toBeNull();
      d.at(d.now + delay);
      expect(d.send({ kind: 'restart-due', generation: d.gen })).toEqual([
        { kind: 'spawn', generation: gen + 1 },
      ]);
      expect(d.state).toEqual({ kind: 'starting', pid: null, since: d.now });
      expect(d.send({ kind: 'spawned', generation: gen + 1, pid: 100 + gen })).toEqual([]);
      expect(d.state.kind).toBe('running');
    }
    d.at(d.now + 50);
    expect(d.send(exitEvent(6, 3))).toEqual([
      { kind: 'stop-probes' },
      { kind: 'log', level: 'error', message: 'exited with code 3; gave up after 5 restarts in 60000 ms' },
    ]);
    expect(d.state).toEqual({
      kind: 'failed',
      reason: 'exited with code 3; gave up after 5 restarts in 60000 ms',
    });
    // Failed stays failed: no timer, nothing restarts it but a start.
    expect(d.send({ kind: 'restart-due', generation: d.gen })).toEqual([]);
    expect(d.state.kind).toBe('failed');
    d.send({ kind: 'start' });
    expect(d.m).toMatchObject({ state: { kind: 'waiting' }, history: freshHistory });
  });

  it('adds jitter from the random source to the scheduled delay', () => {
    const d = new Driver(withRestart(plain, { jitter: 0.1 }), initialMachine, () => 0.5);
    d.up();
    expect(d.send(exitEvent(1))).toContainEqual({
      kind: 'schedule-restart',
      generation: expect.any(Number) as number,
      delay: 1_050,
    });
  });

  it('describes a death by signal', () => {
    const d = new Driver(plain).up();
    expect(d.send(exitEvent(1, null, 'SIGSEGV'))).toContainEqual({
      kind: 'log',
      level: 'warn',
      message: 'was killed by SIGSEGV; restart 1 in 1000 ms',
    });
  });

  it('with stop-service: fails and asks to stop the whole service, naming the reason', () => {
    const spec = withRestart(plain, { on_limit: 'stop-service', limit: { restarts: 1, window: 60_000 } });
    const d = new Driver(spec).up();
    d.send(exitEvent(1));
    d.send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawned', generation: 2, pid: 5 });
    const reason = 'exited with code 1; gave up after 1 restarts in 60000 ms';
    expect(d.send(exitEvent(2))).toEqual([
      { kind: 'stop-probes' },
      { kind: 'log', level: 'error', message: reason },
      { kind: 'stop-service', reason: `p ${reason}` },
    ]);
    expect(d.state).toEqual({ kind: 'failed', reason });
  });

  it('with cool-down: waits cool_down, then restarts with a fresh history (the next delay is the first)', () => {
    const spec = withRestart(plain, { on_limit: 'cool-down', limit: { restarts: 2, window: 60_000 } });
    const d = new Driver(spec).up();
    d.send(exitEvent(1));
    d.at(1_000).send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawned', generation: 2, pid: 5 });
    d.send(exitEvent(2));
    d.at(3_000).send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawned', generation: 3, pid: 6 });
    expect(d.m.history).toEqual({ attempt: 2, restarts: [0, 1_000] });
    expect(d.send(exitEvent(3))).toEqual([
      { kind: 'stop-probes' },
      {
        kind: 'log',
        level: 'error',
        message: 'exited with code 1; restart limit reached (2 in 60000 ms), cooling down for 300000 ms',
      },
      { kind: 'schedule-restart', generation: expect.any(Number) as number, delay: 300_000 },
    ]);
    expect(d.state).toEqual({
      kind: 'backoff',
      until: 303_000,
      reason: 'exited with code 1',
      coolDown: true,
    });
    // The history is kept during the cool-down and dropped when it ends.
    expect(d.m.history).toEqual({ attempt: 2, restarts: [0, 1_000] });
    d.at(303_000);
    expect(d.send({ kind: 'restart-due', generation: d.gen })).toEqual([{ kind: 'spawn', generation: 4 }]);
    expect(d.m.history).toEqual(freshHistory);
    d.send({ kind: 'spawned', generation: 4, pid: 7 });
    expect(d.send(exitEvent(4))).toContainEqual({
      kind: 'schedule-restart',
      generation: expect.any(Number) as number,
      delay: 1_000,
    });
  });

  it('a stop during a cool-down cancels it; a later start begins afresh', () => {
    const spec = withRestart(plain, { on_limit: 'cool-down', limit: { restarts: 0, window: 60_000 } });
    const d = new Driver(spec).up();
    d.send(exitEvent(1));
    expect(d.state).toMatchObject({ kind: 'backoff', coolDown: true });
    expect(d.send({ kind: 'stop' })).toEqual([{ kind: 'cancel-restart' }]);
    expect(d.state).toEqual({ kind: 'idle' });
    expect(d.send({ kind: 'restart-due', generation: d.gen })).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
  });

  it('resets the backoff after a run of reset_after', () => {
    const d = new Driver(plain).up();
    d.send(exitEvent(1));
    d.at(1_000).send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawned', generation: 2, pid: 5 });
    d.at(1_000 + 29_999);
    expect(d.send(exitEvent(2))).toContainEqual({
      kind: 'schedule-restart',
      generation: expect.any(Number) as number,
      delay: 2_000,
    });
    d.at(40_000).send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawned', generation: 3, pid: 6 });
    d.at(70_000);
    expect(d.send(exitEvent(3))).toContainEqual({
      kind: 'schedule-restart',
      generation: expect.any(Number) as number,
      delay: 1_000,
    });
    expect(d.m.history.attempt).toBe(1);
  });
});

describe('policies in the machine', () => {
  it('on-failure: a success exit ends as exited (info log), not restarted', () => {
    const d = new Driver(plain).up();
    expect(d.send(exitEvent(1, 0))).toEqual([
      { kind: 'stop-probes' },
      { kind: 'log', level: 'info', message: 'exited with code 0; not restarted (policy on-failure)' },
    ]);
    expect(d.m).toMatchObject({ state: { kind: 'exited', code: 0, signal: null }, runStarted: null });
  });

  it('never: a failure ends as failed, with an error', () => {
    const d = new Driver(withRestart(plain, { policy: 'never' })).up();
    expect(d.send(exitEvent(1, null, 'SIGKILL'))).toEqual([
      { kind: 'stop-probes' },
      { kind: 'log', level: 'error', message: 'was killed by SIGKILL; not restarted (policy never)' },
    ]);
    expect(d.state).toEqual({ kind: 'failed', reason: 'was killed by SIGKILL' });
  });

  it('never: a success ends as exited', () => {
    const d = new Driver(withRestart(plain, { policy: 'never' })).up();
    d.send(exitEvent(1, 0));
    expect(d.state).toEqual({ kind: 'exited', code: 0, signal: null });
  });

  it('a critical process that ends failed asks to stop the whole service, naming itself', () => {
    const d = new Driver({ ...withRestart(plain, { policy: 'never' }), critical: true }).up();
    expect(d.send(exitEvent(1, 3))).toContainEqual({
      kind: 'stop-service',
      reason: 'critical process p exited with code 3; not restarted (policy never)',
    });
    const g = new Driver({
      ...withRestart(plain, { limit: { restarts: 0, window: 60_000 } }),
      critical: true,
    }).up();
    expect(g.send(exitEvent(1, 3))).toContainEqual({
      kind: 'stop-service',
      reason: 'critical process p exited with code 3; gave up after 0 restarts in 60000 ms',
    });
  });

  it('always: a success exit restarts', () => {
    const d = new Driver(withRestart(plain, { policy: 'always' })).up();
    d.send(exitEvent(1, 0));
    expect(d.state.kind).toBe('backoff');
  });

  it('an exit before the ready probe passed is a failed run and restarts', () => {
    const d = new Driver(withReady).up();
    expect(d.state.kind).toBe('starting');
    expect(d.send(exitEvent(1, 1))).toContainEqual({
      kind: 'schedule-restart',
      generation: expect.any(Number) as number,
      delay: 1_000,
    });
    expect(d.state.kind).toBe('backoff');
  });
});

describe('spawn failures', () => {
  it('count as a failed start: logged, backed off with growing delays, up to the limit', () => {
    const d = new Driver(plain);
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    expect(d.send({ kind: 'spawn-failed', generation: 1, message: 'ENOENT: x not found' })).toEqual([
      { kind: 'log', level: 'error', message: 'could not start: ENOENT: x not found' },
      { kind: 'log', level: 'warn', message: 'could not be started; restart 1 in 1000 ms' },
      { kind: 'schedule-restart', generation: expect.any(Number) as number, delay: 1_000 },
    ]);
    const delays = [1_000];
    for (let gen = 2; gen <= 6; gen++) {
      d.at(d.now + (delays.at(-1) ?? 0)).send({ kind: 'restart-due', generation: d.gen });
      expect(d.gen).toBe(gen);
      const effects = d.send({ kind: 'spawn-failed', generation: gen, message: 'ENOENT' });
      const schedule = effects.find((e) => e.kind === 'schedule-restart');
      if (schedule !== undefined) delays.push(schedule.delay);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(d.state).toMatchObject({
      kind: 'failed',
      reason: 'could not be started; gave up after 5 restarts in 60000 ms',
    });
  });

  it('under policy never: not restarted', () => {
    const d = new Driver(withRestart(plain, { policy: 'never' }));
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    d.send({ kind: 'spawn-failed', generation: 1, message: 'EACCES' });
    expect(d.state).toEqual({ kind: 'failed', reason: 'could not be started' });
  });
});

describe('generations', () => {
  it('ignores an exit from generation 1 arriving during generation 2', () => {
    const d = new Driver(plain).up();
    d.send(exitEvent(1));
    d.at(1_000).send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawned', generation: 2, pid: 200 });
    const before = d.m;
    const step = transition(before, exitEvent(1), ctx(plain, 1_500));
    expect(step.machine).toBe(before);
    expect(step.effects).toEqual([]);
    expect(d.state).toEqual({ kind: 'running', pid: 200, since: 1_000 });
  });

  it('ignores a late exit from generation 1 while generation 2 is backing off or starting', () => {
    const d = new Driver(plain).up();
    d.send(exitEvent(1));
    d.send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawn-failed', generation: 2, message: 'x' });
    expect(d.state.kind).toBe('backoff');
    expect(d.send(exitEvent(1))).toEqual([]);
    expect(d.m.history.attempt).toBe(2);
    d.send({ kind: 'restart-due', generation: d.gen });
    expect(d.send(exitEvent(2))).toEqual([]);
    expect(d.send({ kind: 'spawned', generation: 2, pid: 1 })).toEqual([]);
    expect(d.state).toMatchObject({ kind: 'starting', pid: null });
  });

  it.each<ProcessEvent>([
    { kind: 'spawned', generation: 1, pid: 1 },
    { kind: 'spawn-failed', generation: 1, message: 'x' },
    { kind: 'ready', generation: 1 },
    { kind: 'ready-timeout', generation: 1 },
    { kind: 'unhealthy', generation: 1, reason: 'x' },
    { kind: 'exit', generation: 1, code: 1, signal: null },
    { kind: 'step-expired', generation: 1, step: 0 },
    { kind: 'spawned', generation: 3, pid: 1 },
    { kind: 'exit', generation: 3, code: 1, signal: null },
  ])('ignores $kind from generation $generation in every state of generation 2', (event) => {
    for (const [name, state] of STATES) {
      const m: ProcessMachine = { state, generation: 2, history: freshHistory, runStarted: 0 };
      const step = transition(m, event, ctx(plain));
      expect(step.machine, name).toBe(m);
      expect(step.effects, name).toEqual([]);
    }
  });
});

describe('stopping', () => {
  it('a stop during a backoff delay cancels the pending restart', () => {
    const d = new Driver(plain).up();
    d.send(exitEvent(1));
    expect(d.send({ kind: 'stop' })).toEqual([{ kind: 'cancel-restart' }]);
    expect(d.state).toEqual({ kind: 'idle' });
    // A restart-due that was already on its way does nothing.
    expect(d.send({ kind: 'restart-due', generation: d.gen })).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
  });

  it('a stop while waiting for dependencies goes straight to idle', () => {
    const d = new Driver(plain);
    d.send({ kind: 'start' });
    expect(d.send({ kind: 'stop' })).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
    expect(d.send({ kind: 'dependencies-met' })).toEqual([]);
  });

  it('runs the stop steps in order, each only when the current one expires, never past the last', () => {
    const d = new Driver(plain).up(77);
    d.at(500);
    expect(d.send({ kind: 'stop' })).toEqual([
      { kind: 'stop-probes' },
      { kind: 'stop-step', generation: 1, step: 0 },
    ]);
    expect(d.state).toEqual({ kind: 'stopping', pid: 77, step: 0, then: 'idle', cause: null, since: 500 });
    // A second stop changes nothing.
    expect(d.send({ kind: 'stop' })).toEqual([]);
    // An expiry for a step that is not the current one changes nothing.
    expect(d.send({ kind: 'step-expired', generation: 1, step: 1 })).toEqual([]);
    expect(d.send({ kind: 'step-expired', generation: 1, step: 0 })).toEqual([
      { kind: 'stop-step', generation: 1, step: 1 },
    ]);
    expect(d.state).toMatchObject({ step: 1 });
    // A duplicate expiry of step 0 (now stale) does not skip step 1.
    expect(d.send({ kind: 'step-expired', generation: 1, step: 0 })).toEqual([]);
    expect(d.send({ kind: 'step-expired', generation: 1, step: 1 })).toEqual([
      { kind: 'stop-step', generation: 1, step: 2 },
    ]);
    expect(d.state).toMatchObject({ step: 2 });
    // Step 2 is the last (kill): nothing comes after it.
    expect(d.send({ kind: 'step-expired', generation: 1, step: 2 })).toEqual([]);
    expect(d.state).toMatchObject({ kind: 'stopping', step: 2 });
    d.at(9_000);
    expect(d.send(exitEvent(1, null, 'SIGKILL'))).toEqual([]);
    expect(d.m).toMatchObject({ state: { kind: 'idle' }, runStarted: null, history: freshHistory });
  });

  it('a requested stop is not a failure: the history is untouched and nothing restarts', () => {
    const d = new Driver(withRestart(plain, { policy: 'always' })).up();
    d.send(exitEvent(1));
    d.send({ kind: 'restart-due', generation: d.gen });
    d.send({ kind: 'spawned', generation: 2, pid: 3 });
    const history = d.m.history;
    d.send({ kind: 'stop' });
    d.send(exitEvent(2, 0));
    expect(d.state).toEqual({ kind: 'idle' });
    expect(d.m.history).toBe(history);
  });

  it('a stop while the spawn is in flight (pid null) waits for spawned, then runs the first step', () => {
    const d = new Driver(plain);
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    d.at(3);
    expect(d.send({ kind: 'stop' })).toEqual([{ kind: 'stop-probes' }]);
    expect(d.state).toEqual({ kind: 'stopping', pid: null, step: -1, then: 'idle', cause: null, since: 3 });
    expect(d.send({ kind: 'spawned', generation: 1, pid: 55 })).toEqual([
      { kind: 'stop-step', generation: 1, step: 0 },
    ]);
    expect(d.state).toEqual({ kind: 'stopping', pid: 55, step: 0, then: 'idle', cause: null, since: 3 });
    expect(d.send(exitEvent(1))).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
  });

  it('a stop while the spawn is in flight, then the spawn fails: idle, no restart', () => {
    const d = new Driver(plain);
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    d.send({ kind: 'stop' });
    expect(d.send({ kind: 'spawn-failed', generation: 1, message: 'ENOENT' })).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
    expect(d.m.history).toEqual(freshHistory);
  });

  it('a stop while starting with a pid (ready probe pending) stops it', () => {
    const d = new Driver(withReady).up(12);
    expect(d.send({ kind: 'stop' })).toEqual([
      { kind: 'stop-probes' },
      { kind: 'stop-step', generation: 1, step: 0 },
    ]);
    expect(d.state).toMatchObject({ kind: 'stopping', pid: 12, then: 'idle' });
    // The ready probe's late answer changes nothing.
    expect(d.send({ kind: 'ready', generation: 1 })).toEqual([]);
    expect(d.send({ kind: 'ready-timeout', generation: 1 })).toEqual([]);
  });

  it('a stop during a restart-stop turns it into a plain stop', () => {
    const d = new Driver(withLiveness).up(8);
    d.send({ kind: 'unhealthy', generation: 1, reason: 'tcp 8080 refused' });
    d.send({ kind: 'step-expired', generation: 1, step: 0 });
    expect(d.send({ kind: 'stop' })).toEqual([]);
    expect(d.state).toEqual({ kind: 'stopping', pid: 8, step: 1, then: 'idle', cause: null, since: 0 });
    expect(d.send(exitEvent(1))).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
    expect(d.m.history).toEqual(freshHistory);
  });
});

describe('ready-timeout and unhealthy: stop, then the restart decision', () => {
  it('ready-timeout stops the process, then restarts it as a failed start', () => {
    const d = new Driver(withReady).up(31);
    d.at(2_000);
    expect(d.send({ kind: 'ready-timeout', generation: 1 })).toEqual([
      { kind: 'log', level: 'error', message: 'did not become ready in time; stopping it' },
      { kind: 'stop-probes' },
      { kind: 'stop-step', generation: 1, step: 0 },
    ]);
    expect(d.state).toMatchObject({ kind: 'stopping', pid: 31, step: 0, then: 'restart', since: 2_000 });
    d.at(2_500);
    expect(d.send(exitEvent(1, 0))).toEqual([
      { kind: 'log', level: 'warn', message: 'could not be started; restart 1 in 1000 ms' },
      { kind: 'schedule-restart', generation: expect.any(Number) as number, delay: 1_000 },
    ]);
    expect(d.state).toEqual({
      kind: 'backoff',
      until: 3_500,
      reason: 'could not be started',
      coolDown: false,
    });
  });

  it('ready-timeout under policy never: stopped and not restarted (a failed start follows the policy)', () => {
    const d = new Driver(withRestart(withReady, { policy: 'never' })).up(31);
    d.send({ kind: 'ready-timeout', generation: 1 });
    d.send(exitEvent(1, null, 'SIGTERM'));
    expect(d.state).toEqual({ kind: 'failed', reason: 'could not be started' });
  });

  it('unhealthy stops the process with the reason logged, then restarts it whatever its exit code', () => {
    const d = new Driver(withLiveness).up(40);
    d.at(60_000);
    expect(d.send({ kind: 'unhealthy', generation: 1, reason: 'tcp 127.0.0.1:8080: ECONNREFUSED' })).toEqual([
      {
        kind: 'log',
        level: 'warn',
        message: 'liveness failed (tcp 127.0.0.1:8080: ECONNREFUSED); restarting it',
      },
      { kind: 'stop-probes' },
      { kind: 'stop-step', generation: 1, step: 0 },
    ]);
    expect(d.state).toEqual({
      kind: 'stopping',
      pid: 40,
      step: 0,
      then: 'restart',
      cause: { kind: 'unhealthy' },
      since: 60_000,
    });
    // It ran 60 s (≥ reset_after), so this is restart 1; exit code 0 still counts as unhealthy.
    expect(d.send(exitEvent(1, 0))).toEqual([
      { kind: 'log', level: 'warn', message: 'was unhealthy; restart 1 in 1000 ms' },
      { kind: 'schedule-restart', generation: expect.any(Number) as number, delay: 1_000 },
    ]);
    expect(d.state).toMatchObject({ kind: 'backoff', reason: 'was unhealthy' });
  });

  it('unhealthy restarts even under policy never (a failing liveness probe restarts the process)', () => {
    const d = new Driver(withRestart(withLiveness, { policy: 'never' })).up();
    d.send({ kind: 'unhealthy', generation: 1, reason: 'x' });
    d.send(exitEvent(1, 0));
    expect(d.state.kind).toBe('backoff');
  });

  it('unhealthy is only heard while running', () => {
    const d = new Driver(withReady).up();
    expect(d.send({ kind: 'unhealthy', generation: 1, reason: 'x' })).toEqual([]);
    expect(d.state.kind).toBe('starting');
  });
});

describe('kill', () => {
  it('from running: straight past the stop steps, killing the tree now', () => {
    const d = new Driver(plain).up(70);
    d.at(100);
    expect(d.send({ kind: 'kill' })).toEqual([{ kind: 'stop-probes' }, { kind: 'kill-tree', generation: 1 }]);
    expect(d.state).toEqual({ kind: 'stopping', pid: 70, step: 3, then: 'idle', cause: null, since: 100 });
    expect(d.send({ kind: 'step-expired', generation: 1, step: 0 })).toEqual([]);
    expect(d.send({ kind: 'step-expired', generation: 1, step: 3 })).toEqual([]);
    expect(d.send(exitEvent(1, null, 'SIGKILL'))).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
  });

  it('during a stop: abandons the remaining steps and kills now', () => {
    const d = new Driver(plain).up(70);
    d.send({ kind: 'stop' });
    expect(d.send({ kind: 'kill' })).toEqual([{ kind: 'kill-tree', generation: 1 }]);
    expect(d.state).toMatchObject({ kind: 'stopping', step: 3, then: 'idle' });
    expect(d.send({ kind: 'step-expired', generation: 1, step: 0 })).toEqual([]);
  });

  it('while the spawn is in flight: kills the tree once it is spawned, not a graceful first step', () => {
    const d = new Driver(plain);
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    d.send({ kind: 'kill' });
    expect(d.state).toMatchObject({ kind: 'stopping', pid: null, step: 3 });
    expect(d.send({ kind: 'spawned', generation: 1, pid: 61 })).toEqual([
      { kind: 'kill-tree', generation: 1 },
    ]);
    expect(d.state).toMatchObject({ kind: 'stopping', pid: 61, step: 3, then: 'idle' });
    expect(d.send(exitEvent(1))).toEqual([]);
    expect(d.state).toEqual({ kind: 'idle' });
  });

  it('during a restart-stop: kills now and stops for good', () => {
    const d = new Driver(withLiveness).up();
    d.send({ kind: 'unhealthy', generation: 1, reason: 'x' });
    expect(d.send({ kind: 'kill' })).toEqual([{ kind: 'kill-tree', generation: 1 }]);
    expect(d.state).toMatchObject({ then: 'idle', cause: null });
    d.send(exitEvent(1));
    expect(d.state.kind).toBe('idle');
  });

  it('ignores a restart-due from an earlier run (a timer cancelled too late)', () => {
    const d = new Driver(plain).up();
    d.send(exitEvent(1));
    const stale = { kind: 'restart-due', generation: d.gen } as const;
    d.send({ kind: 'stop' });
    d.send({ kind: 'start' });
    d.send({ kind: 'dependencies-met' });
    d.send({ kind: 'spawned', generation: 2, pid: 9 });
    d.send(exitEvent(2));
    expect(d.state.kind).toBe('backoff');
    expect(d.send(stale)).toEqual([]);
    expect(d.state.kind).toBe('backoff');
  });
});

// ----- Every state × every event: the documented transitions, and nothing else. -----

const STATES: readonly (readonly [string, ProcessState])[] = [
  ['idle', { kind: 'idle' }],
  ['waiting', { kind: 'waiting' }],
  ['starting(pid null)', { kind: 'starting', pid: null, since: 0 }],
  ['starting(pid)', { kind: 'starting', pid: 42, since: 0 }],
  ['running', { kind: 'running', pid: 42, since: 0 }],
  ['backoff', { kind: 'backoff', until: 1_000, reason: 'r', coolDown: false }],
  ['backoff(cool-down)', { kind: 'backoff', until: 1_000, reason: 'r', coolDown: true }],
  ['stopping(pid null)', { kind: 'stopping', pid: null, step: -1, then: 'idle', cause: null, since: 0 }],
  ['stopping(then idle)', { kind: 'stopping', pid: 42, step: 0, then: 'idle', cause: null, since: 0 }],
  [
    'stopping(then restart)',
    { kind: 'stopping', pid: 42, step: 0, then: 'restart', cause: { kind: 'unhealthy' }, since: 0 },
  ],
  ['exited', { kind: 'exited', code: 0, signal: null }],
  ['failed', { kind: 'failed', reason: 'r' }],
];

const GEN = 3;
const EVENTS: readonly (readonly [string, ProcessEvent])[] = [
  ['start', { kind: 'start' }],
  ['dependencies-met', { kind: 'dependencies-met' }],
  ['spawned', { kind: 'spawned', generation: GEN, pid: 43 }],
  ['spawn-failed', { kind: 'spawn-failed', generation: GEN, message: 'm' }],
  ['ready', { kind: 'ready', generation: GEN }],
  ['ready-timeout', { kind: 'ready-timeout', generation: GEN }],
  ['unhealthy', { kind: 'unhealthy', generation: GEN, reason: 'r' }],
  ['exit', { kind: 'exit', generation: GEN, code: 1, signal: null }],
  ['restart-due', { kind: 'restart-due', generation: GEN }],
  ['stop', { kind: 'stop' }],
  ['step-expired', { kind: 'step-expired', generation: GEN, step: 0 }],
  ['kill', { kind: 'kill' }],
];

/**
 * The header comment's table, as `event: { state: resulting state kind }` (with `plain`: no ready
 * probe, on-failure, three stop steps). Pairs not listed must leave the machine untouched.
 * Refinements the header implies: ready and ready-timeout need a spawned process (pid); spawned
 * and spawn-failed in stopping need a spawn in flight (pid null); a stop during a restart-stop
 * makes it a plain stop.
 */
const TABLE: Readonly<Record<string, Readonly<Record<string, ProcessState['kind']>>>> = {
  start: { idle: 'waiting', exited: 'waiting', failed: 'waiting' },
  'dependencies-met': { waiting: 'starting' },
  spawned: { 'starting(pid null)': 'running', 'stopping(pid null)': 'stopping' },
  'spawn-failed': {
    'starting(pid null)': 'backoff',
    'starting(pid)': 'backoff',
    'stopping(pid null)': 'idle',
  },
  ready: { 'starting(pid)': 'running' },
  'ready-timeout': { 'starting(pid)': 'stopping' },
  unhealthy: { running: 'stopping' },
  exit: {
    'starting(pid null)': 'backoff',
    'starting(pid)': 'backoff',
    running: 'backoff',
    'stopping(pid null)': 'idle',
    'stopping(then idle)': 'idle',
    'stopping(then restart)': 'backoff',
  },
  'restart-due': { backoff: 'starting', 'backoff(cool-down)': 'starting' },
  stop: {
    waiting: 'idle',
    backoff: 'idle',
    'backoff(cool-down)': 'idle',
    'starting(pid null)': 'stopping',
    'starting(pid)': 'stopping',
    running: 'stopping',
    'stopping(then restart)': 'stopping',
  },
  'step-expired': { 'stopping(then idle)': 'stopping', 'stopping(then restart)': 'stopping' },
  kill: {
    'starting(pid null)': 'stopping',
    'starting(pid)': 'stopping',
    running: 'stopping',
    'stopping(pid null)': 'stopping',
    'stopping(then idle)': 'stopping',
    'stopping(then restart)': 'stopping',
  },
};

describe('the transition table', () => {
  const pairs = EVENTS.flatMap(([eventName, event]) =>
    STATES.map(([stateName, state]) => [eventName, stateName, event, state] as const),
  );

  it.each(pairs)('%s in %s', (eventName, stateName, event, state) => {
    const m: ProcessMachine = {
      state,
      generation: GEN,
      history: { attempt: 1, restarts: [0] },
      runStarted: 0,
    };
    const step: Step = transition(m, event, ctx(plain, 10_000));
    const expected = TABLE[eventName]?.[stateName];
    if (expected === undefined) {
      expect(step.machine).toBe(m);
      expect(step.effects).toEqual([]);
    } else {
      expect(step.machine.state.kind).toBe(expected);
      expect(step.machine).not.toBe(m);
    }
  });

  it('lists only real states and events', () => {
    const stateNames = new Set(STATES.map(([n]) => n));
    const eventNames = new Set(EVENTS.map(([n]) => n));
    for (const [eventName, row] of Object.entries(TABLE)) {
      expect(eventNames.has(eventName), eventName).toBe(true);
      for (const stateName of Object.keys(row)) expect(stateNames.has(stateName), stateName).toBe(true);
    }
  });

  it('never mutates the machine it is given', () => {
    for (const [, event] of EVENTS) {
      for (const [, state] of STATES) {
        const m = Object.freeze({
          state: Object.freeze(state),
          generation: GEN,
          history: freshHistory,
          runStarted: 0,
        });
        expect(() => transition(m, event, ctx(plain))).not.toThrow();
      }
    }
  });

  it('bumps the generation only when it spawns', () => {
    for (const [, event] of EVENTS) {
      for (const [, state] of STATES) {
        const m: ProcessMachine = { state, generation: GEN, history: freshHistory, runStarted: 0 };
        const step = transition(m, event, ctx(plain));
        const spawns = step.effects.filter((e) => e.kind === 'spawn');
        expect(step.machine.generation).toBe(GEN + spawns.length);
        for (const s of spawns) expect(s.generation).toBe(GEN + 1);
      }
    }
  });
});
