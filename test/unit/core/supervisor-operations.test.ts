// The Supervisor's operations while it runs — an operator's stop, start and restart of some
// processes, a reload — driven through a fake launcher and a fake clock: which children are
// stopped and spawned, in what order, and what each operation answers.
import { describe, expect, it } from 'vitest';
import {
  OUTPUT_FLUSH_MS,
  Supervisor,
  type LogRecord,
  type SupervisorDeps,
} from '../../../src/core/supervisor.js';
import { planReload } from '../../../src/reload/plan.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeLauncher } from '../../helpers/fake-launcher.js';
import { HEAD, load } from '../../helpers/manifest.js';

const STACK = `  db: { command: x }
  api: { command: x, depends_on: { db: started } }
  web: { command: x, depends_on: { api: started } }
  cache: { command: x }
`;

function setup(body: string, deps: Partial<SupervisorDeps> = {}) {
  const manifest = load(`${HEAD}processes:\n${body}`);
  const launcher = new FakeLauncher();
  const clock = new FakeClock();
  const supervisor = new Supervisor(manifest, {
    launcher,
    clock,
    random: () => 0,
    baseEnv: {},
    readEnvFile: () => ({}),
    wallClock: () => 1_000_000 + clock.now(),
    ...deps,
  });
  const logs: LogRecord[] = [];
  supervisor.on('log', (r) => logs.push(r));
  const kinds = () => Object.fromEntries([...supervisor.states()].map(([n, s]) => [n, s.kind]));
  const pids = () => Object.fromEntries(supervisor.processes().map((p) => [p.name, p.pid]));
  return { manifest, launcher, clock, supervisor, logs, kinds, pids };
}

/** Lets the fake children's spawns and exits (promises and microtasks) arrive. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function started(body = STACK) {
  const s = setup(body);
  s.supervisor.start();
  await settle();
  s.launcher.events.length = 0;
  return s;
}

describe('stopProcesses', () => {
  it('refuses to stop a process others depend on, naming them and the way out', async () => {
    const s = await started();
    const result = await s.supervisor.stopProcesses(['db'], { withDependents: false });
    expect(result).toEqual({
      ok: false,
      error: 'api, web depend on db and are running',
      hint: 'stop api, web first, or add --with-dependents to stop them too',
    });
    expect(s.launcher.events).toEqual([]);
  });

  it('with dependents: stops them first, in reverse dependency order, and holds all of them', async () => {
    const s = await started();
    const result = await s.supervisor.stopProcesses(['db'], { withDependents: true });
    expect(result).toMatchObject({ ok: true, message: 'stopped web, api, db' });
    expect(s.launcher.events).toEqual(['stop web', 'stop api', 'stop db']);
    expect(s.kinds()).toEqual({ db: 'idle', api: 'idle', web: 'idle', cache: 'running' });
    expect(
      s.supervisor
        .processes()
        .filter((p) => p.held)
        .map((p) => p.name),
    ).toEqual(['db', 'api', 'web']);
    // Held processes are the operator's choice, not a fault.
    expect(s.supervisor.status).toBe('running');
  });

  it('a held process stays stopped: nothing restarts it, not even a restart of everything', async () => {
    const s = await started();
    await s.supervisor.stopProcesses(['cache'], { withDependents: false });
    s.clock.advance(60_000);
    await settle();
    expect(s.kinds()['cache']).toBe('idle');
    const result = await s.supervisor.restartProcesses('all');
    expect(result.ok).toBe(true);
    expect(s.launcher.events.filter((e) => e.endsWith('cache'))).toEqual(['stop cache']);
    expect(s.kinds()['cache']).toBe('idle');
  });

  it('a process that is not running is held all the same, and says so', async () => {
    const s = await started(`  once: { command: x, restart: { policy: never } }\n`);
    const pid = s.launcher.pidOf('once') as number;
    s.launcher.exit(pid, 0);
    await settle();
    const result = await s.supervisor.stopProcesses(['once'], { withDependents: false });
    expect(result).toMatchObject({ ok: true, detail: ['once: was not running (exited)'] });
  });
});

describe('startProcesses', () => {
  it('starts what a process needs first, in dependency order, and releases the hold', async () => {
    const s = await started();
    await s.supervisor.stopProcesses(['db'], { withDependents: true });
    s.launcher.events.length = 0;
    const result = await s.supervisor.startProcesses(['web']);
    expect(s.launcher.events).toEqual(['spawn db', 'spawn api', 'spawn web']);
    expect(result).toMatchObject({ ok: true, message: 'started web' });
    expect(s.kinds()).toEqual({ db: 'running', api: 'running', web: 'running', cache: 'running' });
    expect(s.supervisor.processes().some((p) => p.held)).toBe(false);
  });

  it('says when a process did not come up', async () => {
    const s = await started(`  bad: { command: x, restart: { policy: never } }\n`);
    await s.supervisor.stopProcesses(['bad'], { withDependents: false });
    s.launcher.unspawnable.add('bad');
    const result = await s.supervisor.startProcesses(['bad']);
    expect(result).toMatchObject({
      ok: false,
      error: 'bad did not come up: bad failed: could not be started',
    });
  });
});

describe('restartProcesses', () => {
  it('restarts a process and what runs on top of it; leaves the rest alone', async () => {
    const s = await started();
    const before = s.pids();
    const result = await s.supervisor.restartProcesses(['db']);
    expect(result).toMatchObject({ ok: true, message: 'restarted db, api, web' });
    expect(s.launcher.events).toEqual([
      'stop web',
      'stop api',
      'stop db',
      'spawn db',
      'spawn api',
      'spawn web',
    ]);
    const after = s.pids();
    expect(after['cache']).toBe(before['cache']);
    for (const name of ['db', 'api', 'web']) expect(after[name]).not.toBe(before[name]);
  });

  it('answers an unknown or disabled name with what there is', async () => {
    const s = await started(`${STACK}  off: { command: x, disabled: true }\n`);
    expect(await s.supervisor.restartProcesses(['dbb'])).toEqual({
      ok: false,
      error: `no process named dbb in ${s.manifest.file}`,
      hint: 'processes: db, api, web, cache',
    });
    expect(await s.supervisor.startProcesses(['off'])).toMatchObject({
      ok: false,
      error: `off is disabled in ${s.manifest.file}`,
    });
  });
});

describe('operations and the supervisor life cycle', () => {
  it('wait until start-up is over', async () => {
    const s = setup(`  init: { command: x, restart: { policy: never } }
  app: { command: x, depends_on: { init: completed } }
`);
    s.supervisor.start();
    await settle();
    let done = false;
    const stopping = s.supervisor.stopProcesses(['app'], { withDependents: false }).then((r) => {
      done = true;
      return r;
    });
    await settle();
    expect(done).toBe(false);
    s.launcher.exit(s.launcher.pidOf('init') as number, 0);
    expect(await stopping).toMatchObject({ ok: true });
    expect(s.launcher.events).toEqual(['spawn init', 'spawn app', 'stop app']);
  });

  it('a crash loop at start-up does not hold operations back: start-up is over once it backs off', async () => {
    const s = setup(`  bad: { command: x, restart: { policy: always, delay: 10s, jitter: 0 } }
  app: { command: x, depends_on: { bad: started } }
  other: { command: x }
`);
    s.launcher.unspawnable.add('bad');
    s.supervisor.start();
    await settle();
    expect(s.kinds()).toMatchObject({ bad: 'backoff', app: 'waiting', other: 'running' });
    expect(s.supervisor.phase).toBe('running');
    expect(s.supervisor.status).toBe('degraded');
    // An operation (a reload fixing the command, here a stop) runs now, not after the crash loop.
    expect(await s.supervisor.stopProcesses(['other'], { withDependents: false })).toMatchObject({
      ok: true,
    });
    // When the dependency comes up, what waited for it starts.
    s.launcher.unspawnable.delete('bad');
    s.clock.advance(10_000);
    await settle();
    expect(s.kinds()).toMatchObject({ bad: 'running', app: 'running', other: 'idle' });
  });

  it('one at a time, in the order asked', async () => {
    const s = await started();
    const first = s.supervisor.stopProcesses(['cache'], { withDependents: false });
    const second = s.supervisor.startProcesses(['cache']);
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
    expect(s.launcher.events).toEqual(['stop cache', 'spawn cache']);
  });

  it('a stop of everything ends an operation in progress, which says so', async () => {
    const s = await started();
    s.launcher.stubborn.add('db');
    const restarting = s.supervisor.restartProcesses(['db']);
    await settle();
    expect(s.launcher.events).toEqual(['stop web', 'stop api', 'stop db']);
    const stopped = s.supervisor.stop('test');
    expect(await restarting).toMatchObject({ ok: false, error: 'corral is stopping; nothing else is done' });
    s.clock.advance(s.manifest.service.stop_timeout);
    await stopped;
    expect(s.launcher.running).toEqual([]);
    expect(s.launcher.events.filter((e) => e.startsWith('spawn'))).toEqual([]);
    expect(await s.supervisor.startProcesses(['db'])).toMatchObject({ ok: false });
  });
});

describe('applyReload', () => {
  it('stops removed, restarts changed (and dependents), starts added; the rest keep their pids', async () => {
    const s = await started(`${STACK}  old: { command: x }\n`);
    const before = s.pids();
    const next = load(`${HEAD}processes:
  db: { command: x }
  api: { command: x, depends_on: { db: started }, env: { PORT: "2" } }
  web: { command: x, depends_on: { api: started } }
  cache: { command: x, restart: { delay: 5s } }
  new: { command: x, depends_on: { db: started } }
`);
    const result = await s.supervisor.applyReload(next, planReload(s.manifest, next));
    expect(result.ok).toBe(true);
    const after = s.pids();
    expect(after['db']).toBe(before['db']);
    expect(after['cache']).toBe(before['cache']);
    expect(after['api']).not.toBe(before['api']);
    expect(after['web']).not.toBe(before['web']);
    expect(s.kinds()).toEqual({
      db: 'running',
      api: 'running',
      web: 'running',
      cache: 'running',
      new: 'running',
    });
    const e = s.launcher.events;
    expect(e.filter((x) => x.startsWith('stop')).sort()).toEqual(['stop api', 'stop old', 'stop web']);
    expect(e.indexOf('stop web')).toBeLessThan(e.indexOf('stop api'));
    expect(e.filter((x) => x.startsWith('spawn'))).toEqual(['spawn api', 'spawn new', 'spawn web']);
    // The updated process now runs with its new settings.
    expect(s.supervisor.manifest).toBe(next);
  });

  it('keeps a held process held when its command changes', async () => {
    const s = await started();
    await s.supervisor.stopProcesses(['cache'], { withDependents: false });
    const next = load(
      `${HEAD}processes:\n${STACK.replace('cache: { command: x }', 'cache: { command: y }')}`,
    );
    await s.supervisor.applyReload(next, planReload(s.manifest, next));
    expect(s.kinds()['cache']).toBe('idle');
  });
});

describe('processes()', () => {
  it('shows restarts, the last exit and when the next restart is due', async () => {
    const s = await started(`  flaky: { command: x, restart: { policy: always, delay: 2s, jitter: 0 } }\n`);
    s.clock.advance(500);
    s.launcher.exit(s.launcher.pidOf('flaky') as number, 1);
    await settle();
    const [flaky] = s.supervisor.processes();
    expect(flaky).toMatchObject({
      name: 'flaky',
      state: { kind: 'backoff' },
      pid: null,
      restarts: { total: 1, window: 1 },
      lastExit: { code: 1, signal: null, at: 1_000_500 },
      nextRestartAt: 1_002_500,
      held: false,
      ready: null,
    });
  });
});

describe('output lines', () => {
  it('go to the files as written and to the log as text without the CR of a CRLF ending', async () => {
    const manifest = load(`${HEAD}processes:\n  win: { command: x }\n`);
    const launcher = new FakeLauncher();
    const written: string[] = [];
    const supervisor = new Supervisor(manifest, {
      launcher,
      clock: new FakeClock(),
      random: () => 0,
      baseEnv: {},
      readEnvFile: () => ({}),
      openOutput: () => ({
        write: (_stream, line) => written.push(line.bytes.toString('latin1')) > 0,
        writeBlock: () => true,
        flush: () => Promise.resolve(),
        failing: false,
        close: () => Promise.resolve(),
      }),
    });
    const logged: LogRecord[] = [];
    supervisor.on('log', (r) => logged.push(r));
    supervisor.start();
    await settle();
    launcher.print('win', 'stdout', Buffer.from('hello from windows\r'));
    expect(written).toEqual(['hello from windows\r']);
    expect(logged.filter((r) => r.event === 'output').map((r) => r.message)).toEqual(['hello from windows']);
  });
});

describe('an exit and the last lines of its output', () => {
  /** One process whose output file flushes when the test says so, and fails when it says so. */
  async function withOutput() {
    let release: () => void = () => undefined;
    const output = {
      flushes: 0,
      failing: false,
      write: () => true,
      writeBlock: () => true,
      flush: () => {
        output.flushes++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      close: () => Promise.resolve(),
    };
    const s = setup('  app: { command: x, restart: { policy: never } }\n', { openOutput: () => output });
    s.supervisor.start();
    await settle();
    const exit = async () => {
      s.launcher.exit(s.launcher.pidOf('app') ?? 0, 3);
      await settle();
    };
    const flushed = () => {
      release();
    };
    return { ...s, output, exit, flushed };
  }

  const exitCode = (s: { supervisor: Supervisor }) =>
    s.supervisor.processes().find((p) => p.name === 'app')?.lastExit?.code ?? null;

  it('is reported once its lines are in the file', async () => {
    const s = await withOutput();
    await s.exit();
    expect(s.output.flushes).toBe(1);
    expect(exitCode(s)).toBeNull();
    s.flushed();
    await settle();
    expect(exitCode(s)).toBe(3);
  });

  it('waits for a slow file OUTPUT_FLUSH_MS at most', async () => {
    const s = await withOutput();
    await s.exit();
    s.clock.advance(OUTPUT_FLUSH_MS - 1);
    await settle();
    expect(exitCode(s)).toBeNull();
    s.clock.advance(1);
    await settle();
    expect(exitCode(s)).toBe(3);
  });

  it('does not wait at all for a file that cannot be written: those lines wait for the disk', async () => {
    const s = await withOutput();
    s.output.failing = true;
    await s.exit();
    expect(exitCode(s)).toBe(3);
    expect(s.output.flushes).toBe(0);
  });
});

describe('pause and resume (a service PAUSE)', () => {
  const BODY = `  frozen: { command: x, pause: suspend }\n  awake: { command: x }\n`;

  it('freezes only the processes with pause: suspend, and lets them run again', async () => {
    const s = await started(BODY);
    expect(s.supervisor.pause()).toEqual(['frozen']);
    expect(s.supervisor.pause()).toEqual([]);
    expect(s.supervisor.resume()).toEqual(['frozen']);
    expect(s.launcher.events).toEqual(['suspend frozen', 'resume frozen']);
    expect(s.logs.filter((r) => r.event === 'pause').map((r) => r.message)).toEqual([
      'paused: suspended frozen',
      'paused: no process has pause: suspend',
      'resumed frozen',
    ]);
  });

  it('lets a frozen process run again before its stop step: it could not answer it otherwise', async () => {
    const s = await started(BODY);
    s.supervisor.pause();
    await s.supervisor.stop('test');
    const e = s.launcher.events;
    expect(e.indexOf('resume frozen')).toBeGreaterThan(e.indexOf('suspend frozen'));
    expect(e.indexOf('resume frozen')).toBeLessThan(e.indexOf('stop frozen'));
    expect(s.supervisor.resume()).toEqual([]);
  });

  it('does not freeze anything once stopping', async () => {
    const s = await started(BODY);
    s.launcher.stubborn.add('frozen');
    void s.supervisor.stop('test');
    expect(s.supervisor.pause()).toEqual([]);
    s.clock.advance(s.manifest.service.stop_timeout);
    await s.supervisor.whenStopped();
  });
});

describe('a child that outruns its log file', () => {
  it('is said in the log, at most once a minute', async () => {
    const { launcher, clock, supervisor } = setup('  chatty: { command: x }\n', {
      echoOutput: false,
      openOutput: () => ({
        write: () => false,
        writeBlock: () => false,
        flush: () => Promise.resolve(),
        failing: false,
        close: () => Promise.resolve(),
      }),
    });
    const warnings: string[] = [];
    supervisor.on('log', (r) => {
      if (r.event === 'output-file') warnings.push(r.message);
    });
    supervisor.start();
    await settle();
    for (let i = 0; i < 3; i++)
      expect(launcher.print('chatty', 'stdout', Buffer.from(`line ${i}`))).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^writes output faster than its log file takes it/);
    clock.advance(60_000);
    launcher.print('chatty', 'stdout', Buffer.from('later'));
    expect(warnings).toHaveLength(2);
  });
});

describe('the whole stop and its stop commands', () => {
  it('is over only when a stop command still running after its process exited has ended', async () => {
    const s = await started(
      `  db: { command: x, stop: [{ command: "db --shutdown", timeout: 10s }, kill] }\n`,
    );
    let release: () => void = () => undefined;
    s.launcher.commandGate = new Promise<void>((resolve) => (release = resolve));
    let stopped = false;
    const stopping = s.supervisor.stop('test').then(() => (stopped = true));
    await settle();
    expect(s.launcher.events).toEqual(['command db --shutdown']);
    // The process exits (the command worked) while the command itself is still finishing.
    s.launcher.exit(s.launcher.pidOf('db') as number, 0);
    await settle();
    expect(s.kinds()['db']).toBe('idle');
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });
});
