// `corral logs` against real files in a real manifest's log.dir: the last lines through rotated
// files, both streams of a separate process, corral's own log, following across a rotation, and
// what it says when it cannot.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { logsCommand, logsUsage } from '../../src/cli/logs.js';
import { CorralError } from '../../src/errors.js';
import { rotatedFileName } from '../../src/logging/output-files.js';
import { createSupervisorLog } from '../../src/logging/supervisor-log.js';
import { BASE, clocks, numbered, rotation, tempDir, within } from './logging/output-helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const MANIFEST = `version: 1
service: { name: shop }
log: { dir: ./logs }
processes:
  web: { command: [node, web.js] }
  api: { command: [node, api.js], log: { streams: separate } }
`;

/** A folder with corral.yaml (log.dir ./logs, not created yet); returns the manifest and log.dir. */
function project(manifest = MANIFEST): { file: string; logs: string } {
  const dir = tempDir();
  cleanup.push(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, 'corral.yaml');
  fs.writeFileSync(file, manifest);
  return { file, logs: path.join(dir, 'logs') };
}

const joined = (lines: readonly string[]): string => lines.map((text) => `${text}\n`).join('');
const HOUR = 3_600_000;

/** Writes lines into a file of log.dir (made when missing); `append` adds to it. */
function put(logs: string, name: string, lines: readonly string[], append = false): void {
  fs.mkdirSync(logs, { recursive: true });
  (append ? fs.appendFileSync : fs.writeFileSync)(path.join(logs, name), joined(lines));
}

/** web's lines 0-209 in a gzipped rotated file, a plain one and the current one. */
function rotatedSet(logs: string): string[] {
  const lines = numbered(210);
  fs.mkdirSync(logs, { recursive: true });
  fs.writeFileSync(
    path.join(logs, rotatedFileName('web', BASE - 2 * HOUR, 0, true)),
    gzipSync(joined(lines.slice(0, 100))),
  );
  put(logs, rotatedFileName('web', BASE - HOUR, 0), lines.slice(100, 200));
  put(logs, 'web.log', lines.slice(200));
  return lines;
}

interface Run {
  readonly code: Promise<number>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout is `expected` (fails at the deadline, or when more or other text came). */
  until(expected: string): Promise<void>;
  /** Resolves once stderr holds `text`. */
  saying(text: string): Promise<void>;
  stop(): Promise<number>;
}

/** Runs `corral logs` with captured output; -f stops when stop() is called. */
function start(args: string[]): Run {
  let stdout = '';
  let stderr = '';
  const wake: (() => void)[] = [];
  const controller = new AbortController();
  const code = logsCommand(
    args,
    {
      stdout: (text) => {
        stdout += text;
        for (const fn of wake.splice(0)) fn();
      },
      stderr: (text) => {
        stderr += text;
        for (const fn of wake.splice(0)) fn();
      },
      env: {},
    },
    { signal: controller.signal, interval: 5 },
  );
  cleanup.push(async () => {
    controller.abort();
    await code.catch(() => undefined);
  });
  const change = (): Promise<void> => new Promise<void>((resolve) => wake.push(resolve));
  return {
    code,
    stdout: () => stdout,
    stderr: () => stderr,
    async until(expected) {
      const reached = async (): Promise<void> => {
        while (stdout.length < expected.length) await change();
      };
      await within(reached(), `${JSON.stringify(expected)} on stdout (have ${JSON.stringify(stdout)})`);
      expect(stdout).toBe(expected);
    },
    async saying(text) {
      const reached = async (): Promise<void> => {
        while (!stderr.includes(text)) await change();
      };
      await within(reached(), `${JSON.stringify(text)} on stderr (have ${JSON.stringify(stderr)})`);
    },
    async stop() {
      controller.abort();
      return within(code, 'corral logs -f to end');
    },
  };
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const running = start(args);
  const code = await within(running.code, `corral logs ${args.join(' ')}`);
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

describe('corral logs', () => {
  it('prints the last N lines through the current, plain rotated and gzipped rotated files', async () => {
    const { file, logs } = project();
    const lines = rotatedSet(logs);
    expect(await run(['web', '-c', file, '-n', '15'])).toEqual({
      code: 0,
      stdout: joined(lines.slice(195)),
      stderr: '',
    });
    expect((await run(['web', '-c', file])).stdout).toBe(joined(lines.slice(160))); // 50 by default
    expect((await run(['web', '-c', file, '--lines', '1000'])).stdout).toBe(joined(lines));
    expect((await run(['web', '-c', file, '-n', '0'])).stdout).toBe('');
  });

  it('prints stdout then stderr of a separate process, each headed, or one with --stream', async () => {
    const { file, logs } = project();
    put(logs, 'api.out.log', ['o1', 'o2', 'o3']);
    put(logs, rotatedFileName('api.err', BASE, 0), ['e1']);
    put(logs, 'api.err.log', ['e2']);
    const both = await run(['api', '-c', file, '-n', '2']);
    expect(both.code).toBe(0);
    expect(both.stdout).toBe(
      `==> api stdout: ${path.join(logs, 'api.out.log')} <==\no2\no3\n\n` +
        `==> api stderr: ${path.join(logs, 'api.err.log')} <==\ne1\ne2\n`,
    );
    expect(await run(['api', '-c', file, '--stream', 'stderr'])).toEqual({
      code: 0,
      stdout: 'e1\ne2\n',
      stderr: '',
    });
  });

  it("prints corral's own log with --supervisor", async () => {
    const { file, logs } = project();
    const { clock, now } = clocks();
    const log = createSupervisorLog({
      spec: { dir: logs, level: 'info', format: 'text', rotation: rotation({ size: 300 }), max_line: 1024 },
      service: 'shop',
      console: null,
      clock,
      now,
    });
    for (let i = 0; i < 60; i++)
      log.log({ level: 'info', process: 'web', event: 'state', message: `event ${i}` });
    await within(log.close(), 'close');
    expect(fs.readdirSync(logs).length).toBeGreaterThan(3); // rotated
    const { code, stdout } = await run(['--supervisor', '-c', file, '-n', '3']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      ['event 57', 'event 58', 'event 59']
        .map((m) => `2026-11-27T10:00:00.000Z web        | ${m}\n`)
        .join(''),
    );
  });

  it('says which processes there are when the name is unknown', async () => {
    const { file } = project();
    expect(await run(['wbe', '-c', file])).toEqual({
      code: 1,
      stdout: '',
      stderr: `corral: no process named "wbe" in ${file}; its processes: web, api\nhint: did you mean web?\n`,
    });
    expect((await run(['corral', '-c', file])).stderr).toBe(
      `corral: no process named "corral" in ${file}; its processes: web, api\n` +
        "hint: corral's own log is printed by corral logs --supervisor\n",
    );
  });

  it('says where it looked when there are no log files yet', async () => {
    const { file, logs } = project();
    expect(await run(['api', '-c', file])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `corral: no log files for api in ${logs} yet (looked for ${path.join(logs, 'api.out.log')} and ` +
        `${path.join(logs, 'api.err.log')} and their rotated files)\n`,
    });
  });

  it('refuses --stream for a process whose streams are combined', async () => {
    const { file, logs } = project();
    put(logs, 'web.log', ['w']);
    expect(await run(['web', '-c', file, '--stream', 'stdout'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'corral: web writes stdout and stderr to one file, web.log (log.streams: combined), so --stream cannot pick one\n' +
        'hint: leave out --stream, or set log: { streams: separate } on web to keep them apart from now on\n',
    });
  });

  it('fails with the reason when log.dir cannot be read', async () => {
    const { file, logs } = project();
    fs.writeFileSync(logs, 'a file where the folder should be\n');
    const { code, stdout, stderr } = await run(['web', '-c', file]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(
      new RegExp(`^corral: cannot read the log files in ${logs}: ENOTDIR: not a directory`),
    );
  });

  it('prints the diagnostics of a manifest that does not load, and fails', async () => {
    const { file } = project('version: 1\nservice: { name: shop }\nprocesses:\n  web: { comand: [node] }\n');
    const { code, stdout, stderr } = await run(['web', '-c', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/processes\.web\.comand/);
    expect(stderr).toMatch(/invalid/);
  });

  it('throws a usage error (exit 2 from main) for a bad command line', async () => {
    const { file } = project();
    const usage = async (args: string[]): Promise<string> => {
      const error: unknown = await run([...args, '-c', file]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorralError);
      expect((error as CorralError).code).toBe('E_USAGE');
      return (error as CorralError).message;
    };
    expect(await usage([])).toBe('corral logs needs a process name (or --supervisor)');
    expect(await usage(['web', 'api'])).toBe('corral logs takes one process name, got 2: web api');
    expect(await usage(['web', '-n', 'ten'])).toBe('-n must be a number of lines like 50, got "ten"');
    expect(await usage(['web', '--stream', 'both'])).toBe('--stream must be stdout or stderr, got "both"');
    expect(await usage(['--supervisor', 'web'])).toBe(
      "--supervisor prints corral's own log and takes no process name, got web",
    );
    expect(await usage(['--supervisor', '--stream', 'stdout'])).toBe(
      "--stream is for a process's output, not with --supervisor",
    );
    expect(await run(['--help'])).toEqual({ code: 0, stdout: logsUsage, stderr: '' });
  });
});

describe('corral logs -f', () => {
  it('prints what is appended after it started, across a rotation, each line once and in order', async () => {
    const { file, logs } = project();
    put(logs, 'web.log', ['a1', 'a2']);
    const running = start(['web', '-c', file, '-f', '-n', '1']);
    await running.until('a2\n');
    put(logs, 'web.log', ['a3'], true);
    await running.until('a2\na3\n');
    // A rotation as the writer does it: the last lines, then a rename, then a new file.
    put(logs, 'web.log', ['a4', 'a5'], true);
    fs.renameSync(path.join(logs, 'web.log'), path.join(logs, rotatedFileName('web', BASE, 0)));
    put(logs, 'web.log', ['b1']);
    await running.until('a2\na3\na4\na5\nb1\n');
    put(logs, 'web.log', ['b2'], true);
    await running.until('a2\na3\na4\na5\nb1\nb2\n');
    expect(await running.stop()).toBe(0);
    expect(running.stderr()).toBe('');
  });

  it('waits for a file that is not there yet', async () => {
    const { file, logs } = project();
    const running = start(['web', '-c', file, '-f']);
    const waiting = `corral: no log files for web in ${logs} yet; waiting for ${path.join(logs, 'web.log')}\n`;
    await running.saying(waiting);
    put(logs, 'web.log', ['first']);
    await running.until('first\n');
    expect(await running.stop()).toBe(0);
    expect(running.stderr()).toBe(waiting);
  });

  it('follows both streams of a separate process, heading each change of stream', async () => {
    const { file, logs } = project();
    put(logs, 'api.out.log', ['o1']);
    put(logs, 'api.err.log', ['e1']);
    const out = `==> api stdout: ${path.join(logs, 'api.out.log')} <==\n`;
    const err = `==> api stderr: ${path.join(logs, 'api.err.log')} <==\n`;
    const running = start(['api', '-c', file, '-f']);
    await running.until(`${out}o1\n\n${err}e1\n`);
    put(logs, 'api.out.log', ['o2'], true);
    await running.until(`${out}o1\n\n${err}e1\n\n${out}o2\n`);
    expect(await running.stop()).toBe(0);
  });
});
