// The operator commands against a real running supervisor (corral run in this process, real
// children, the real control socket): status rows match what the children did, and actions on
// single processes touch only what they name (and, when asked, what depends on it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  reloadCommand,
  restartCommand,
  startCommand,
  statusCommand,
  stopCommand,
} from '../../src/cli/control.js';
import type { Io } from '../../src/cli/io.js';
import type { StatusSnapshot } from '../../src/control/target.js';
import { RUN_ENV, runForeground, stopRuns } from '../helpers/run-harness.js';
import { child } from '../helpers/supervised.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-live-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
// A test that fails halfway still stops its supervisor and children.
afterEach(stopRuns);
const env = { ...RUN_ENV, XDG_RUNTIME_DIR: path.join(tmp, 'run') };
// As systemd makes it for a session: there, owner-only; corral makes its own folder inside.
fs.mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });

function cli(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), env },
    out: () => out,
    err: () => err,
  };
}

async function status(file: string): Promise<StatusSnapshot> {
  const c = cli();
  expect(await statusCommand(['-c', file, '--json'], c.io, { isTTY: false, now: Date.now })).toBe(0);
  return JSON.parse(c.out()) as StatusSnapshot;
}

function row(snapshot: StatusSnapshot, name: string) {
  const found = snapshot.processes.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no row for ${name}`);
  return found;
}

/** The pid of each READY line of `name`, in order. */
function readyPids(log: string, name: string): number[] {
  return [...log.matchAll(new RegExp(`READY ${name} pid=(\\d+)`, 'g'))].map((m) => Number(m[1]));
}

async function running(name: string, processes: string, names: string[], service = '') {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `version: 1\nservice: { name: ${name}, stop_timeout: 20s${service} }\nprocesses:\n${processes}`,
  );
  const r = runForeground(file, [], env);
  for (const n of names) await r.until(new RegExp(`READY ${n} `));
  await r.until(/status: (running|degraded)/);
  const stop = async () => {
    r.signals.emit('SIGINT');
    expect(await r.exit).toBe(0);
  };
  return { ...r, file, stop };
}

const CHAIN = `  db: { command: ${child('--name', 'db')} }
  api: { command: ${child('--name', 'api')}, depends_on: { db: started } }
  cache: { command: ${child('--name', 'cache')} }
`;

describe.skipIf(process.platform === 'win32')('operator commands against a running supervisor', () => {
  it('status rows match reality after a crash and a restart', async () => {
    const r = await running(
      'rows',
      `  steady: { command: ${child('--name', 'steady')} }
  flaky: { command: ${child('--name', 'flaky', '--exit', '3', '--after', '300')}, restart: { policy: always, delay: 1m, jitter: 0 } }
`,
      ['steady', 'flaky'],
    );
    await r.until(/flaky +\| warn: exited with code 3; restart 1 in 60000 ms/);
    const s = await status(r.file);
    expect(s.service).toBe('rows');
    expect(s.status).toBe('degraded');
    expect(row(s, 'steady')).toMatchObject({
      state: 'running',
      pid: readyPids(r.log(), 'steady')[0],
      held: false,
    });
    const flaky = row(s, 'flaky');
    expect(flaky).toMatchObject({ state: 'backoff', pid: null, restarts: { total: 1, window: 1 } });
    expect(flaky.lastExit).toMatchObject({ code: 3, signal: null });
    expect(flaky.nextRestartAt).toBeGreaterThan(Date.now() + 50_000);
    await r.stop();
  });

  it('restart of one process leaves the others with their pids', async () => {
    const r = await running('restart1', CHAIN, ['db', 'api', 'cache']);
    const before = await status(r.file);
    const c = cli();
    expect(await restartCommand(['-c', r.file, 'cache'], c.io)).toBe(0);
    expect(c.out()).toMatch(/restarted cache/);
    await r.untilCount(/READY cache /g, 2);
    const after = await status(r.file);
    expect(row(after, 'db').pid).toBe(row(before, 'db').pid);
    expect(row(after, 'api').pid).toBe(row(before, 'api').pid);
    expect(row(after, 'cache').pid).not.toBe(row(before, 'cache').pid);
    expect(row(after, 'cache').pid).toBe(readyPids(r.log(), 'cache')[1]);
    await r.stop();
  });

  it('stop refuses a process others need unless --with-dependents; start brings them back in order', async () => {
    const r = await running('stops', CHAIN, ['db', 'api', 'cache']);
    const refused = cli();
    expect(await stopCommand(['-c', r.file, 'db'], refused.io)).toBe(1);
    expect(refused.err()).toMatch(/api depends on db and is running/);
    expect(r.log()).not.toMatch(/GOT db/);
    const c = cli();
    expect(await stopCommand(['-c', r.file, '--with-dependents', 'db'], c.io)).toBe(0);
    expect(r.log().indexOf('GOT api SIGTERM')).toBeLessThan(r.log().indexOf('GOT db SIGTERM'));
    const stopped = await status(r.file);
    expect(row(stopped, 'db')).toMatchObject({ state: 'stopped', held: true, pid: null });
    expect(row(stopped, 'api')).toMatchObject({ state: 'stopped', held: true });
    expect(row(stopped, 'cache').state).toBe('running');
    expect(stopped.status).toBe('running');
    expect(await startCommand(['-c', r.file, 'api'], cli().io)).toBe(0);
    // Each READY line carries the new pid; db's may arrive after api's.
    await r.untilCount(/READY db /g, 2);
    await r.untilCount(/READY api /g, 2);
    const back = await status(r.file);
    expect(row(back, 'db')).toMatchObject({
      state: 'running',
      held: false,
      pid: readyPids(r.log(), 'db')[1],
    });
    expect(row(back, 'api')).toMatchObject({
      state: 'running',
      held: false,
      pid: readyPids(r.log(), 'api')[1],
    });
    await r.stop();
  });

  it('reload --dry-run prints the plan for the edited file and applies nothing; reload applies it', async () => {
    const r = await running('dry', CHAIN, ['db', 'api', 'cache'], ', auto_reload: false');
    fs.writeFileSync(
      r.file,
      fs.readFileSync(r.file, 'utf8').replace('"--name","cache"', '"--name","cache","--print","1"'),
    );
    const dry = cli();
    expect(await reloadCommand(['-c', r.file, '--dry-run'], dry.io)).toBe(0);
    expect(dry.out()).toMatch(/restart +cache +\(changed: command/);
    expect(r.log()).not.toMatch(/reload applied/);
    expect(readyPids(r.log(), 'cache')).toHaveLength(1);
    const applied = cli();
    expect(await reloadCommand(['-c', r.file], applied.io)).toBe(0);
    expect(applied.out()).toMatch(/reload applied/);
    await r.untilCount(/READY cache /g, 2);
    expect(readyPids(r.log(), 'db')).toHaveLength(1);
    await r.stop();
  });

  it('says plainly when no supervisor runs for the manifest (exit 3)', async () => {
    const file = path.join(tmp, 'nobody.yaml');
    fs.writeFileSync(file, `version: 1\nservice: { name: nobody }\nprocesses:\n  a: { command: x }\n`);
    const c = cli();
    expect(await statusCommand(['-c', file], c.io, { isTTY: false, now: Date.now })).toBe(3);
    expect(c.err()).toMatch(/no supervisor is running for .*nobody\.yaml \(service nobody; looked for /);
  });
});
