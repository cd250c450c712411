// `corral run` as a user meets it: Ctrl+C stops in order and exits 0; a second Ctrl+C kills what
// is left; a critical give-up exits 1 naming it; an invalid manifest exits 1 with diagnostics.
// It runs the supervisor in this process (runInProcess): the code the supervisor process runs under
// the keeper on Linux. The keeper itself, with real processes and signals: keeper.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { acquireLock, recordChildren } from '../../src/platform/posix/manifest-lock.js';
import { identify, isAlive, type ProcessIdentity } from '../../src/platform/posix/proc.js';
import { runForeground as start, stopRuns } from '../helpers/run-harness.js';
import { child, CHILD } from '../helpers/supervised.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-run-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
// A test that fails halfway still stops its supervisor and children.
afterEach(stopRuns);

function manifest(name: string, processes: string): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `version: 1\nservice: { name: ${name}, stop_timeout: 20s }\nprocesses:\n${processes}`,
  );
  return file;
}

describe.skipIf(process.platform === 'win32')('corral run', () => {
  it('stops in order on Ctrl+C and exits 0', async () => {
    const r = start(
      manifest(
        'orderly',
        `  db: { command: ${child('--name', 'db')} }\n  api: { command: ${child('--name', 'api')}, depends_on: { db: started } }\n`,
      ),
    );
    await r.until(/READY db[\s\S]*READY api|READY api[\s\S]*READY db/);
    r.signals.emit('SIGINT');
    expect(await r.exit).toBe(0);
    const log = r.log();
    expect(log).toMatch(/stopping all processes in order \(SIGINT received\)/);
    expect(log.indexOf('GOT api SIGTERM')).toBeLessThan(log.indexOf('GOT db SIGTERM'));
    expect(log).toMatch(/status: stopped/);
  });

  it('kills what is left at once on a second Ctrl+C, and says so', async () => {
    const r = start(
      manifest(
        'impatient',
        `  stubborn: { command: ${child('--name', 'stubborn', '--ignore', 'SIGTERM')}, stop: [ { graceful: 60s }, kill ] }\n`,
      ),
    );
    await r.until(/READY stubborn/);
    r.signals.emit('SIGINT');
    await r.until(/IGNORED stubborn SIGTERM/);
    const began = Date.now();
    r.signals.emit('SIGINT');
    expect(await r.exit).toBe(0);
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(r.log()).toMatch(/warn: SIGINT again: killing what is left now/);
  });

  it('exits 1 naming the critical process that gave up', async () => {
    const r = start(
      manifest(
        'doomed',
        `  core:\n    command: ${child('--name', 'core', '--crash')}\n    critical: true\n    restart: { delay: 0, limit: { restarts: 1, window: 1m }, on_limit: give-up }\n`,
      ),
    );
    expect(await r.exit).toBe(1);
    expect(r.log()).toMatch(
      /corral: critical process core exited with code 1; gave up after 1 restarts in 60000 ms\n$/,
    );
  });

  it('exits 1 with the diagnostics of an invalid manifest, starting nothing', async () => {
    const file = manifest('broken', `  web: { comand: x }\n`);
    const r = start(file);
    expect(await r.exit).toBe(1);
    expect(r.log()).toBe(
      `${file}:4:3 processes.web: missing required key "command"\n    hint: add command: ["program", "arg"] (or set it under defaults)\n` +
        `${file}:4:10 processes.web.comand: unknown key "comand"\n    hint: did you mean "command"?\n` +
        `${file}: invalid, 2 errors, 0 warnings\n`,
    );
  });
});

describe.skipIf(process.platform !== 'linux')('corral run and the manifest lock', () => {
  it('refuses a second supervisor on the same manifest, naming the first', async () => {
    const file = manifest('locked', `  a: { command: ${child('--name', 'a')} }\n`);
    const first = start(file);
    await first.until(/READY a/);
    const second = start(file);
    expect(await second.exit).toBe(1);
    expect(second.log()).toMatch(
      new RegExp(`corral: .*locked\\.yaml is already supervised by corral pid ${process.pid} \\(since `),
    );
    first.signals.emit('SIGINT');
    expect(await first.exit).toBe(0);
  });

  it('kills what a crashed predecessor left before starting anything', async () => {
    const file = manifest('inherited', `  a: { command: ${child('--name', 'a')} }\n`);
    const dead = spawn(process.execPath, [CHILD, '--exit', '0']);
    const deadId = identify(dead.pid as number) as ProcessIdentity;
    await new Promise((resolve) => dead.once('exit', resolve));
    const orphan = spawn(process.execPath, [CHILD, '--name', 'orphan'], { detached: true, stdio: 'ignore' });
    const orphanId = identify(orphan.pid as number) as ProcessIdentity;
    const { lock } = acquireLock(file, 'inherited', deadId);
    recordChildren(lock, [orphanId]);
    const r = start(file);
    await r.until(/READY a/);
    expect(r.log()).toMatch(
      new RegExp(`ended without stopping its processes; killed what it left: pid ${orphanId.pid}\\n`),
    );
    expect(isAlive(orphanId)).toBe(false);
    r.signals.emit('SIGINT');
    expect(await r.exit).toBe(0);
  });
});
