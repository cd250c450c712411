// The core issue's scenarios, with real processes from the fixture child. Each test ends by
// checking that no process it started is left.
import { afterEach, describe, expect, it } from 'vitest';
import { child, Supervised } from '../helpers/supervised.js';

const HEAD = 'version: 1\nservice: { name: scenario, stop_timeout: 20s }\n';
let current: Supervised | null = null;

function supervise(processes: string): Supervised {
  current = new Supervised(`${HEAD}processes:\n${processes}`);
  current.supervisor.start();
  return current;
}

afterEach(async () => {
  if (current !== null) expect(await current.finish()).toEqual([]);
  current = null;
});

describe.skipIf(process.platform === 'win32')('supervisor scenarios', () => {
  it('1. crash loop: exactly the attempts the policy allows, with growing delays; the sibling untouched', async () => {
    const s = supervise(`  crasher:
    command: ${child('--name', 'crasher', '--crash')}
    restart: { delay: 100ms, backoff: 2, max_delay: 1s, jitter: 0, limit: { restarts: 3, window: 1m }, on_limit: give-up }
  sibling:
    command: ${child('--name', 'sibling')}
`);
    await s.state('crasher', 'failed');
    const spawns = s.states('crasher').filter((k) => k === 'running').length;
    expect(spawns).toBe(4);
    expect(s.messages('crasher', 'process')).toEqual([
      'exited with code 1; restart 1 in 100 ms',
      'exited with code 1; restart 2 in 200 ms',
      'exited with code 1; restart 3 in 400 ms',
      'exited with code 1; gave up after 3 restarts in 60000 ms',
    ]);
    expect(s.states('sibling')).toEqual(['waiting', 'starting', 'running']);
    expect(s.supervisor.status).toBe('degraded');
  });

  it('2. a child that ignores SIGTERM is killed when its step times out, not before', async () => {
    const s = supervise(`  stubborn:
    command: ${child('--name', 'stubborn', '--ignore', 'SIGTERM')}
    stop: [ { graceful: 700ms }, kill ]
`);
    await s.line('stubborn', /^READY/);
    void s.supervisor.stop();
    const graceful = await s.waitFor(
      (e) => e.record?.message === 'stop step 1: graceful',
      'the graceful step',
    );
    await s.line('stubborn', /^IGNORED stubborn SIGTERM/);
    const kill = await s.waitFor((e) => e.record?.message === 'stop step 2: kill', 'the kill step');
    const idle = await s.state('stubborn', 'idle');
    expect(kill.at - graceful.at).toBeGreaterThanOrEqual(690);
    expect(idle.at - graceful.at).toBeLessThan(5_000);
  });

  it('3. a three-level tree where every member ignores SIGTERM: all gone after stop', async () => {
    const s = supervise(`  tree:
    command: ${child('--name', 'tree', '--tree', '3', '--ignore', 'SIGTERM')}
    stop: [ { graceful: 300ms }, kill ]
`);
    await s.line('tree', /^READY/);
    expect(s.messages('tree', 'output').filter((m) => m.startsWith('PID '))).toHaveLength(3);
    await s.supervisor.stop();
    expect(s.states('tree').at(-1)).toBe('idle');
  });

  it('4. a grandchild holding stdout open does not delay the exit report', async () => {
    const s = supervise(`  holder:
    command: ${child('--name', 'holder', '--hold-stdout-child')}
    restart: { policy: never }
`);
    const announced = await s.line('holder', /^HOLDER/);
    const exited = await s.state('holder', 'exited', 5_000);
    expect(exited.at - announced.at).toBeLessThan(2_000);
  });

  it('6. a stop while a dependency is still becoming ready: nothing is spawned after the stop began', async () => {
    const s = supervise(`  db:
    command: ${child('--name', 'db', '--ready-after', '3000')}
    ready: { log: "^READY", timeout: 10s, interval: 50ms }
  api:
    command: ${child('--name', 'api')}
    depends_on: { db: ready }
`);
    await s.waitFor(
      (e) => e.name === 'api' && e.record?.message === 'waits for db to be ready (now starting)',
      'api waiting for db to be ready',
    );
    await s.waitFor(
      (e) => e.name === 'db' && e.state?.kind === 'starting' && e.state.pid !== null,
      'db spawned, not ready yet',
    );
    await s.supervisor.stop();
    expect(s.states('api')).toEqual(['waiting', 'idle']);
    expect(s.states('db')).toEqual(['waiting', 'starting', 'starting', 'stopping', 'idle']);
  });

  it('7. double and concurrent stop requests run one ordered stop', async () => {
    const s = supervise(`  a: { command: ${child('--name', 'a')} }
  b: { command: ${child('--name', 'b')}, depends_on: { a: started } }
`);
    await s.state('b', 'running');
    const first = s.supervisor.stop();
    const second = s.supervisor.stop();
    expect(second).toBe(first);
    await Promise.all([first, second, s.supervisor.stop()]);
    expect(s.messages('corral', 'stop')).toHaveLength(1);
    expect(s.states('a').filter((k) => k === 'stopping')).toHaveLength(1);
  });

  it('8. a stop during a restart delay: no restart happens', async () => {
    const s = supervise(`  flaky:
    command: ${child('--name', 'flaky', '--crash')}
    restart: { delay: 5s, jitter: 0 }
`);
    const backoff = await s.state('flaky', 'backoff');
    await s.supervisor.stop();
    const done = s.entries.at(-1)?.at ?? 0;
    expect(s.states('flaky')).toEqual(['waiting', 'starting', 'running', 'backoff', 'idle']);
    expect(done - backoff.at).toBeLessThan(1_000);
  });

  it('9. a chain db ← api ← web starts db, api, web behind readiness and stops web, api, db', async () => {
    const s = supervise(`  web:
    command: ${child('--name', 'web')}
    depends_on: { api: ready }
  api:
    command: ${child('--name', 'api', '--ready-after', '200')}
    depends_on: { db: ready }
    ready: { log: "^READY", interval: 50ms }
  db:
    command: ${child('--name', 'db', '--ready-after', '200')}
    ready: { log: "^READY", interval: 50ms }
`);
    await s.state('web', 'running');
    const spawned = (name: string) =>
      s.entries.find((e) => e.name === name && e.state?.kind === 'starting')?.at ?? -1;
    const ready = (name: string) =>
      s.entries.find((e) => e.name === name && e.state?.kind === 'running')?.at ?? -1;
    expect(ready('db')).toBeLessThanOrEqual(spawned('api'));
    expect(ready('api')).toBeLessThanOrEqual(spawned('web'));
    await s.supervisor.stop();
    const stopped = (name: string) =>
      s.entries.find((e) => e.name === name && e.state?.kind === 'idle')?.at ?? -1;
    const stopBegan = (name: string) =>
      s.entries.find((e) => e.name === name && e.state?.kind === 'stopping')?.at ?? -1;
    expect(stopped('web')).toBeLessThanOrEqual(stopBegan('api'));
    expect(stopped('api')).toBeLessThanOrEqual(stopBegan('db'));
  });

  it('10. a missing executable, a missing cwd: a clear error and backoff, no restart storm', async () => {
    const s = supervise(`  ghost:
    command: [definitely-not-a-program-corral, --flag]
    restart: { delay: 100ms, backoff: 2, jitter: 0, limit: { restarts: 2, window: 1m }, on_limit: give-up }
  lost:
    command: ${child('--name', 'lost')}
    cwd: /nonexistent/corral-test
    restart: { policy: never }
`);
    await s.state('ghost', 'failed');
    await s.state('lost', 'failed');
    expect(s.messages('ghost', 'process')).toEqual([
      `could not start: ghost: command: program "definitely-not-a-program-corral" not found on PATH (${process.env['PATH'] ?? ''})`,
      'could not be started; restart 1 in 100 ms',
      `could not start: ghost: command: program "definitely-not-a-program-corral" not found on PATH (${process.env['PATH'] ?? ''})`,
      'could not be started; restart 2 in 200 ms',
      `could not start: ghost: command: program "definitely-not-a-program-corral" not found on PATH (${process.env['PATH'] ?? ''})`,
      'could not be started; gave up after 2 restarts in 60000 ms',
    ]);
    expect(s.messages('lost', 'process')[0]).toBe(
      'could not start: lost: cwd: the folder /nonexistent/corral-test does not exist',
    );
  });

  it('a critical process that gives up stops everything and names itself', async () => {
    const s = supervise(`  core:
    command: ${child('--name', 'core', '--crash')}
    critical: true
    restart: { delay: 50ms, jitter: 0, limit: { restarts: 1, window: 1m }, on_limit: give-up }
  side:
    command: ${child('--name', 'side')}
`);
    await s.supervisor.whenStopped();
    expect(s.supervisor.fatal).toBe(
      'critical process core exited with code 1; gave up after 1 restarts in 60000 ms',
    );
    expect(s.supervisor.status).toBe('failed');
    expect(s.states('side').at(-1)).toBe('idle');
  });

  it('11. 200 children start and stop cleanly', async () => {
    const lines = Array.from(
      { length: 200 },
      (_, i) => `  p${i}: { command: [sleep, "600"], stop: [ { graceful: 5s }, kill ] }`,
    );
    const s = supervise(`${lines.join('\n')}\n`);
    await s.waitFor(() => s.supervisor.status === 'running', 'all 200 running', 30_000);
    await s.supervisor.stop();
    expect([...s.supervisor.states().values()].every((st) => st.kind === 'idle')).toBe(true);
  }, 60_000);
});
