// The operator commands (src/cli/control.ts) against a real control server with a fake target:
// what they send, what they print, and their exit codes: 0 done, 1 refused or failed, 3 nothing
// running; usage errors throw E_USAGE, which main turns into exit 2.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  reloadCommand,
  restartCommand,
  startCommand,
  statusCommand,
  statusUsage,
  stopCommand,
  stopUsage,
  type Terminal,
} from '../../src/cli/control.js';
import type { Io } from '../../src/cli/io.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import {
  controlSocketPath,
  realManifestPath,
  runtimeContext,
  socketPattern,
} from '../../src/control/socket-path.js';
import { renderStatus, statusJson } from '../../src/control/status-table.js';
import type { ActionResult, ControlTarget, StatusSnapshot } from '../../src/control/target.js';

const posix = process.platform !== 'win32';
const NOW = 1_700_000_100_000;

const snapshot: StatusSnapshot = {
  service: 'shop',
  manifest: '/srv/shop/corral.yaml',
  status: 'running',
  pid: 4242,
  startedAt: NOW - 90_000,
  processes: [
    {
      name: 'web',
      state: 'running',
      pid: 4250,
      startedAt: NOW - 65_000,
      restarts: { total: 2, window: 1 },
      lastExit: { code: 1, signal: null, at: NOW - 70_000 },
      ready: true,
      nextRestartAt: null,
      held: false,
    },
  ],
};

class FakeTarget implements ControlTarget {
  readonly calls: unknown[][] = [];
  answer: () => Promise<ActionResult> = () => Promise.resolve({ ok: true, message: 'done' });

  status(): StatusSnapshot {
    this.calls.push(['status']);
    return snapshot;
  }
  start(names: readonly string[]): Promise<ActionResult> {
    this.calls.push(['start', names]);
    return this.answer();
  }
  stop(names: readonly string[], options: { readonly withDependents: boolean }): Promise<ActionResult> {
    this.calls.push(['stop', names, options]);
    return this.answer();
  }
  restart(names: readonly string[] | 'all'): Promise<ActionResult> {
    this.calls.push(['restart', names]);
    return this.answer();
  }
  reload(options: { readonly dryRun: boolean }): Promise<ActionResult> {
    this.calls.push(['reload', options]);
    return this.answer();
  }
}

interface Captured {
  readonly io: Io;
  readonly out: () => string;
  readonly err: () => string;
}

function capture(env: Record<string, string>): Captured {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), env },
    out: () => out,
    err: () => err,
  };
}

const MANIFEST_TEXT = 'version: 1\nservice: { name: shop }\nprocesses:\n  web: { command: node web.js }\n';

let tmp = '';
let manifest = '';
let env: Record<string, string> = {};
let socketPath = '';
let target: FakeTarget;
let server: ControlServer | null = null;
const terminal: Terminal = { isTTY: false, now: () => NOW };

async function serve(at = socketPath): Promise<void> {
  server = await startControlServer(target, { path: at });
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-ctl-cli-'));
  manifest = path.join(tmp, 'corral.yaml');
  fs.writeFileSync(manifest, MANIFEST_TEXT);
  env = { XDG_RUNTIME_DIR: path.join(tmp, 'run') };
  fs.mkdirSync(path.join(tmp, 'run', 'corral'), { recursive: true, mode: 0o700 });
  socketPath = controlSocketPath(realManifestPath(manifest), 'shop', runtimeContext(env));
  target = new FakeTarget();
});

afterEach(async () => {
  await server?.close();
  server = null;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(posix)('corral status', () => {
  it('prints the table of the supervisor found from the manifest', async () => {
    await serve();
    const c = capture(env);
    expect(await statusCommand(['-c', manifest], c.io, terminal)).toBe(0);
    expect(c.out()).toBe(renderStatus(snapshot, { now: NOW, colour: false }));
    expect(c.out()).toContain('web   running  4250  1m05s   2/1       code 1, 1m10s ago  yes    -\n');
    expect(c.err()).toBe('');
  });

  it('prints JSON with --json', async () => {
    await serve();
    const c = capture(env);
    expect(await statusCommand(['--config', manifest, '--json'], c.io, terminal)).toBe(0);
    expect(c.out()).toBe(statusJson(snapshot));
  });

  it('colours on a terminal unless NO_COLOR is set', async () => {
    await serve();
    const tty = { ...terminal, isTTY: true };
    const coloured = capture(env);
    await statusCommand(['-c', manifest], coloured.io, tty);
    expect(coloured.out()).toContain('\u001b[32mrunning\u001b[0m');
    const plain = capture({ ...env, NO_COLOR: '1' });
    await statusCommand(['-c', manifest], plain.io, tty);
    expect(plain.out()).toBe(renderStatus(snapshot, { now: NOW, colour: false }));
  });

  it('exits 3 when no supervisor is running, saying where it looked', async () => {
    const c = capture(env);
    expect(await statusCommand(['-c', manifest], c.io, terminal)).toBe(3);
    expect(c.err()).toBe(
      `corral: no supervisor is running for ${manifest} (service shop; looked for ${socketPath})\n` +
        `hint: start it with corral run -c ${manifest}; one running as another user (a service runs as root) ` +
        `is found by running this command as that user\n`,
    );
    expect(c.out()).toBe('');
  });

  it('exits 3 when only a stale socket is left', async () => {
    const live = `${socketPath}.live`;
    const old = net.createServer();
    await new Promise<void>((resolve) => old.listen(live, resolve));
    fs.linkSync(live, socketPath);
    await new Promise((resolve) => old.close(resolve));
    const c = capture(env);
    expect(await statusCommand(['-c', manifest], c.io, terminal)).toBe(3);
    expect(c.err()).toContain(`looked for ${socketPath})`);
  });

  it('still finds the supervisor when the manifest has become invalid, with a warning', async () => {
    await serve();
    fs.writeFileSync(manifest, 'version: 1\nservice: { name: shop }\nprocesses:\n  web: { comand: x }\n');
    const c = capture(env);
    expect(await statusCommand(['-c', manifest], c.io, terminal)).toBe(0);
    expect(c.err()).toBe(
      `corral: warning: ${manifest} is invalid (corral validate -c ${manifest} says why); ` +
        `looking for its supervisor by the manifest's path\n`,
    );
    expect(c.out()).toContain('shop: running');
  });

  it('finds the supervisor by the manifest path when the service has been renamed in the file', async () => {
    await serve();
    fs.writeFileSync(manifest, MANIFEST_TEXT.replace('name: shop', 'name: store'));
    const c = capture(env);
    expect(await statusCommand(['-c', manifest, '--json'], c.io, terminal)).toBe(0);
    expect(c.err()).toBe('');
  });

  it('says the service is unknown when an invalid manifest has no supervisor either', async () => {
    fs.writeFileSync(manifest, 'version: 1\nprocesses: 3\n');
    const c = capture(env);
    expect(await statusCommand(['-c', manifest], c.io, terminal)).toBe(3);
    const pattern = socketPattern(path.join(tmp, 'run', 'corral'), realManifestPath(manifest));
    expect(c.err()).toContain(
      `corral: no supervisor is running for ${manifest} (service unknown: the manifest is invalid; looked for ${pattern})\n`,
    );
  });

  it('exits 1 with the fix when the socket path would be too long', async () => {
    const long = { XDG_RUNTIME_DIR: `/${'r'.repeat(100)}` };
    const c = capture(long);
    expect(await statusCommand(['-c', manifest], c.io, terminal)).toBe(1);
    expect(c.err()).toMatch(
      /^corral: the control socket path \/r+\/corral\/shop-[0-9a-f]{12}\.sock is 1\d\d bytes long/,
    );
    expect(c.err()).toContain('hint: set XDG_RUNTIME_DIR to a shorter folder of your own');
  });

  it('lets an unreadable manifest through to main as E_READ', async () => {
    const c = capture(env);
    await expect(statusCommand(['-c', path.join(tmp, 'nope.yaml')], c.io, terminal)).rejects.toMatchObject({
      code: 'E_READ',
    });
  });

  it('prints its usage with --help and refuses process names', async () => {
    const c = capture(env);
    expect(await statusCommand(['--help'], c.io, terminal)).toBe(0);
    expect(c.out()).toBe(statusUsage);
    await expect(statusCommand(['web'], c.io, terminal)).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'corral status takes no process names, got web',
    });
  });
});

describe.runIf(posix)('corral start, stop, restart, reload', () => {
  it('start sends the names and prints what the supervisor says', async () => {
    await serve();
    target.answer = () => Promise.resolve({ ok: true, message: 'started web, api' });
    const c = capture(env);
    expect(await startCommand(['-c', manifest, 'web', 'api'], c.io)).toBe(0);
    expect(target.calls).toEqual([['start', ['web', 'api']]]);
    expect(c.out()).toBe('started web, api\n');
  });

  it('stop sends --with-dependents', async () => {
    await serve();
    const c = capture(env);
    expect(await stopCommand(['db', '--with-dependents', '-c', manifest], c.io)).toBe(0);
    expect(await stopCommand(['-c', manifest, 'web'], c.io)).toBe(0);
    expect(target.calls).toEqual([
      ['stop', ['db'], { withDependents: true }],
      ['stop', ['web'], { withDependents: false }],
    ]);
  });

  it('restart takes names or --all', async () => {
    await serve();
    const c = capture(env);
    expect(await restartCommand(['-c', manifest, '--all'], c.io)).toBe(0);
    expect(await restartCommand(['-c', manifest, 'web'], c.io)).toBe(0);
    expect(target.calls).toEqual([
      ['restart', 'all'],
      ['restart', ['web']],
    ]);
  });

  it('reload --dry-run prints the plan under its headline', async () => {
    await serve();
    target.answer = () =>
      Promise.resolve({
        ok: true,
        message: 'a reload would:',
        detail: ['restart web (command)', 'start api'],
      });
    const c = capture(env);
    expect(await reloadCommand(['-c', manifest, '--dry-run'], c.io)).toBe(0);
    expect(target.calls).toEqual([['reload', { dryRun: true }]]);
    expect(c.out()).toBe('a reload would:\n  restart web (command)\n  start api\n');
  });

  it('reload refuses an invalid manifest itself, with its diagnostics', async () => {
    await serve();
    fs.writeFileSync(manifest, 'version: 1\nservice: { name: shop }\nprocesses:\n  web: { comand: x }\n');
    const c = capture(env);
    expect(await reloadCommand(['-c', manifest], c.io)).toBe(1);
    expect(c.err()).toMatch(new RegExp(`^${manifest.replace(/[.]/g, '\\.')}:4:\\d+ `));
    expect(target.calls).toEqual([]);
  });

  it('exits 1 with the error and hint when the supervisor refuses', async () => {
    await serve();
    target.answer = () =>
      Promise.resolve({
        ok: false,
        error: 'api depends on db',
        hint: 'stop api first, or use --with-dependents',
      });
    const c = capture(env);
    expect(await stopCommand(['-c', manifest, 'db'], c.io)).toBe(1);
    expect(c.err()).toBe('corral: api depends on db\nhint: stop api first, or use --with-dependents\n');
    expect(c.out()).toBe('');
  });

  it('exits 1 when the supervisor does not answer within --timeout', async () => {
    await serve();
    target.answer = () => new Promise<ActionResult>(() => undefined);
    const c = capture(env);
    expect(await restartCommand(['-c', manifest, '--timeout', '200ms', 'web'], c.io)).toBe(1);
    expect(c.err()).toBe(
      `corral: no reply from the supervisor on ${socketPath} within 0.2s\n` +
        'hint: the supervisor may still be carrying it out: corral status shows where it is\n',
    );
  });

  it('exits 3 when no supervisor is running', async () => {
    for (const run of [
      () => startCommand(['-c', manifest, 'web'], capture(env).io),
      () => stopCommand(['-c', manifest, 'web'], capture(env).io),
      () => restartCommand(['-c', manifest, '--all'], capture(env).io),
      () => reloadCommand(['-c', manifest], capture(env).io),
    ]) {
      expect(await run()).toBe(3);
    }
  });

  it.each([
    [() => startCommand([], capture({}).io), 'corral start needs the names of processes'],
    [() => stopCommand(['--with-dependents'], capture({}).io), 'corral stop needs the names of processes'],
    [() => restartCommand([], capture({}).io), 'corral restart needs the names of processes (or --all)'],
    [
      () => restartCommand(['--all', 'web'], capture({}).io),
      'give process names or --all, not both (got --all and web)',
    ],
    [
      () => reloadCommand(['corral.yaml'], capture({}).io),
      'corral reload takes no arguments, got corral.yaml; the manifest goes after -c',
    ],
    [() => startCommand(['--timeout', '10', 'web'], capture({}).io), /^--timeout: expected a duration/],
    [
      () => startCommand(['--timeout', '0', 'web'], capture({}).io),
      '--timeout must be more than 0 and at most 24d, got "0"',
    ],
  ])('refuses a wrong command line (%#) with E_USAGE', async (run, message) => {
    const expected = typeof message === 'string' ? message : (expect.stringMatching(message) as unknown);
    await expect(run()).rejects.toMatchObject({ code: 'E_USAGE', message: expected });
  });

  it('leaves unknown options to parseArgs, whose errors main turns into exit 2', async () => {
    await expect(stopCommand(['--force', 'web'], capture({}).io)).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
  });

  it('prints usage with --help', async () => {
    const c = capture({});
    expect(await stopCommand(['--help'], c.io)).toBe(0);
    expect(c.out()).toBe(stopUsage);
  });
});
