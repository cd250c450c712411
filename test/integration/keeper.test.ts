// The keeper pair as a user meets it (Linux): `node bin/corral.js run` as a real process, with real
// signals. Whichever half is SIGKILLed, every process it started must be dead within 2 s; Ctrl+C
// still stops in order. Design and measurements: docs/design/linux-containment.md.
//
// Each run has two units from the fixture child: `tree`, a chain of 3 that ignores SIGTERM, and
// `daemon`, which starts a setsid'd grandchild and exits, leaving it to be adopted by the
// supervisor (a child subreaper). The keeper runs the compiled code (bin/corral.js → dist), so
// build first (`npm test` does). Nothing sleeps: every wait is for a line, an exit or a /proc state,
// under a deadline; /proc is polled every millisecond only while a kill is being timed.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  descendantsOf,
  identify,
  isAlive,
  listProcesses,
  readStat,
  type ProcessIdentity,
} from '../../src/platform/posix/proc.js';
import { linesSeen, waitForEnd, waitForLine } from '../helpers/lines.js';
import { child } from '../helpers/supervised.js';

const BIN = path.resolve('bin/corral.js');
const BOUND_MS = 2_000;
const WAIT_MS = 10_000;
const O_CLOEXEC = 0o2000000;
const linux = process.platform === 'linux';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-keeper-'));

type Keeper = ChildProcessByStdio<null, Readable, Readable> & { readonly pid: number };

interface Run {
  readonly keeper: Keeper;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every process of the run seen so far, the keeper included. */
  readonly seen: Map<number, ProcessIdentity>;
}

interface Started {
  readonly run: Run;
  readonly keeper: ProcessIdentity;
  readonly supervisor: ProcessIdentity;
  /** The units' processes: the tree of 3 and the adopted grandchild. */
  readonly units: ProcessIdentity[];
  readonly grandchild: ProcessIdentity;
}

const runs: Run[] = [];
const timings: string[] = [];

afterEach(async () => {
  const left: number[] = [];
  for (const run of runs.splice(0)) {
    for (const root of [...run.seen.values()]) {
      if (!isAlive(root)) continue;
      for (const p of descendantsOf(root.pid)) run.seen.set(p.pid, { pid: p.pid, startTime: p.startTime });
    }
    for (const who of run.seen.values()) {
      if (!isAlive(who)) continue;
      left.push(who.pid);
      try {
        process.kill(who.pid, 'SIGKILL');
      } catch {
        // ESRCH: it died on its own since isAlive looked
      }
    }
    await deadWithin([...run.seen.values()], performance.now(), WAIT_MS);
  }
  expect(left, 'processes still alive at the end of the test (now killed)').toEqual([]);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  if (timings.length > 0) console.info(`keeper timings:\n  ${timings.join('\n  ')}`);
});

function manifest(name: string, graceful = '300ms'): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `version: 1
service: { name: ${name}, stop_timeout: 20s }
processes:
  tree:
    command: ${child('--name', 'tree', '--tree', '2', '--ignore', 'SIGTERM')}
    stop: [ { graceful: ${graceful} }, kill ]
  daemon:
    command: ${child('--name', 'daemon', '--setsid-grandchild', '--exit', '0')}
    restart: { policy: never }
`,
  );
  return file;
}

/** Starts `corral run <args>` in a process group of its own (so a group kill reaches only it). */
function launch(...args: string[]): Run {
  const proc = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { PATH: process.env['PATH'] ?? '' },
  });
  if (proc.pid === undefined) throw new Error(`could not start ${BIN}`);
  const keeper = proc as Keeper;
  // Read from the start: after the exit, child_process drains a stream nobody listens to.
  linesSeen(keeper.stdout);
  linesSeen(keeper.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    keeper.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const seen = new Map<number, ProcessIdentity>();
  const who = identify(keeper.pid);
  if (who !== null) seen.set(who.pid, who);
  const run = { keeper, exited, seen };
  runs.push(run);
  return run;
}

/** Takes log lines in whatever order they come until each pattern has matched one. */
async function seeAll(
  stream: Readable,
  patterns: readonly RegExp[],
  ms = WAIT_MS,
): Promise<RegExpExecArray[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const lines = linesSeen(stream);
    const found = patterns.map((p) => lines.map((l) => p.exec(l)).find((m) => m !== null) ?? null);
    if (found.every((m) => m !== null)) return found;
    await waitForLine(stream, /^/, Math.max(0, Math.ceil(deadline - performance.now())));
  }
}

/** Starts a run and waits until every unit process is up and the daemon's grandchild is adopted. */
async function startRun(name: string, graceful?: string): Promise<Started> {
  const run = launch('run', manifest(name, graceful));
  const [treeReady, pid1, pid2, grand] = await seeAll(run.keeper.stderr, [
    /\| READY tree pid=(\d+)$/,
    /\| PID tree\.1 1 (\d+)$/,
    /\| PID tree\.2 2 (\d+)$/,
    /\| GRANDCHILD daemon (\d+)$/,
    /daemon +\| exited with code 0; not restarted \(policy never\)$/,
  ]);
  const keeper = run.seen.get(run.keeper.pid) as ProcessIdentity;
  const children = listProcesses().filter((p) => p.ppid === keeper.pid);
  expect(children, 'the supervisor is the keeper’s only child').toHaveLength(1);
  const supervisor = { pid: children[0]?.pid ?? 0, startTime: children[0]?.startTime ?? 0 };
  const below = descendantsOf(keeper.pid);
  for (const p of below) run.seen.set(p.pid, { pid: p.pid, startTime: p.startTime });
  const named = [treeReady, pid1, pid2, grand].map((m) => Number(m?.[1]));
  const units = named.map((pid) => run.seen.get(pid));
  expect(
    units.every((u) => u !== undefined),
    `${named.join(', ')} all below the keeper`,
  ).toBe(true);
  const byPid = (a: number, b: number) => a - b;
  expect(below.map((p) => p.pid).sort(byPid)).toEqual([supervisor.pid, ...named].sort(byPid));
  const grandchild = units[3] as ProcessIdentity;
  // Its parent exited: the supervisor, a child subreaper, adopted it (without that, init would).
  expect(readStat(grandchild.pid)?.ppid).toBe(supervisor.pid);
  return { run, keeper, supervisor, units: units as ProcessIdentity[], grandchild };
}

/**
 * Resolves with how long after `since` the last of `targets` was seen dead (a zombie counts: it
 * runs no more). Polls /proc every millisecond; fails naming the living after `boundMs`.
 */
async function deadWithin(
  targets: readonly ProcessIdentity[],
  since: number,
  boundMs: number,
): Promise<number> {
  for (;;) {
    const now = performance.now();
    const alive = targets.filter(isAlive);
    if (alive.length === 0) return now - since;
    if (now - since > boundMs) {
      throw new Error(`still alive ${Math.round(now - since)} ms on: ${alive.map((a) => a.pid).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function exitWithin(run: Run, ms = WAIT_MS) {
  return Promise.race([
    run.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => {
        reject(
          new Error(`corral run did not exit within ${ms} ms:\n${linesSeen(run.keeper.stderr).join('\n')}`),
        );
      }, ms).unref(),
    ),
  ]);
}

/** The socket inode behind a process's fd, e.g. "socket:[1234]", or null. */
function fdTarget(pid: number, fd: string): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return null;
  }
}

describe.skipIf(!linux)('corral run: the keeper pair', () => {
  beforeAll(() => {
    for (const name of ['cli/run', 'cli/supervise', 'platform/posix/keeper', 'platform/posix/sweep']) {
      const built = `dist/${name}.js`;
      const source = `src/${name}.ts`;
      if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(source).mtimeMs) {
        throw new Error(`${built} is missing or older than ${source}: run \`npm run build\` first`);
      }
    }
  });

  it('SIGKILL of the supervisor: the keeper kills every process it left within 2 s and exits 137', async () => {
    const s = await startRun('sup-killed');
    // The supervisor has its own session; fd 3 (its link to the keeper) is close-on-exec, so no
    // unit holds it and only the keeper's death ends it.
    expect(readStat(s.supervisor.pid)?.session).toBe(s.supervisor.pid);
    const socket = fdTarget(s.supervisor.pid, '3');
    expect(socket).toMatch(/^socket:\[\d+\]$/);
    const flags = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/${s.supervisor.pid}/fdinfo/3`, 'utf8'));
    expect(parseInt(flags?.[1] ?? '0', 8) & O_CLOEXEC).toBe(O_CLOEXEC);
    for (const unit of s.units) {
      const fds = fs.readdirSync(`/proc/${unit.pid}/fd`).map((fd) => fdTarget(unit.pid, fd));
      expect(fds).not.toContain(socket);
    }

    const killedAt = performance.now();
    process.kill(s.supervisor.pid, 'SIGKILL');
    const ms = await deadWithin(s.units, killedAt, BOUND_MS);
    const exit = await exitWithin(s.run);
    const exitMs = performance.now() - killedAt;
    expect(exit).toEqual({ code: 137, signal: null });
    const log = (await waitForEnd(s.run.keeper.stderr, WAIT_MS)).join('\n');
    expect(log).toMatch(
      new RegExp(
        `error: supervisor \\(pid ${s.supervisor.pid}\\) was killed by SIGKILL; in \\d+ ms killed what it left, 4 processes: `,
      ),
    );
    for (const unit of s.units) expect(log).toContain(`${unit.pid} (node)`);
    timings.push(
      `supervisor SIGKILLed: 4 unit processes dead in ${ms.toFixed(1)} ms; keeper exited in ${exitMs.toFixed(1)} ms`,
    );
  });

  it('SIGKILL of the keeper: the supervisor kills every process at once within 2 s, then exits', async () => {
    const s = await startRun('keeper-killed');
    const killedAt = performance.now();
    process.kill(s.keeper.pid, 'SIGKILL');
    const ms = await deadWithin(s.units, killedAt, BOUND_MS);
    const supervisorMs = await deadWithin([s.supervisor], killedAt, BOUND_MS);
    expect(await exitWithin(s.run)).toEqual({ code: null, signal: 'SIGKILL' });
    // The supervisor shared the keeper's stderr: its last lines still arrive, then the stream ends.
    const log = (await waitForEnd(s.run.keeper.stderr, WAIT_MS)).join('\n');
    expect(log).toMatch(
      new RegExp(
        `error: the keeper \\(corral run, pid ${s.keeper.pid}\\) is gone \\(fd 3 reached EOF\\); in [\\d.]+ ms sent SIGKILL to 4 processes: `,
      ),
    );
    expect(log).toMatch(
      /error: nothing is left below the supervisor \(\d+ ms after the first pass\); killed 4 processes: /,
    );
    timings.push(
      `keeper SIGKILLed: 4 unit processes dead in ${ms.toFixed(1)} ms; supervisor exited in ${supervisorMs.toFixed(1)} ms`,
    );
  });

  it('kill -9 of the keeper’s process group reaches only the keeper; the supervisor cleans up', async () => {
    const s = await startRun('group-killed');
    const killedAt = performance.now();
    process.kill(-s.keeper.pid, 'SIGKILL');
    const ms = await deadWithin([...s.units, s.supervisor], killedAt, BOUND_MS);
    expect(await exitWithin(s.run)).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await waitForEnd(s.run.keeper.stderr, WAIT_MS)).join('\n')).toMatch(/the keeper .* is gone/);
    timings.push(`keeper's group SIGKILLed: units and supervisor dead in ${ms.toFixed(1)} ms`);
  });

  it('SIGINT to the keeper: an ordered stop, the adopted orphan killed after it, exit 0', async () => {
    const s = await startRun('interrupted');
    s.run.keeper.kill('SIGINT');
    expect(await exitWithin(s.run)).toEqual({ code: 0, signal: null });
    expect([s.supervisor, ...s.units].filter(isAlive)).toEqual([]);
    const log = (await waitForEnd(s.run.keeper.stderr, WAIT_MS)).join('\n');
    expect(log).toMatch(/stopping all processes in order \(SIGINT received\)/);
    expect(log.indexOf('IGNORED tree SIGTERM')).toBeLessThan(log.indexOf('stop step 2: kill'));
    expect(log).toMatch(/status: stopped/);
    expect(log).toContain(
      `warn: after the stop, killed what was left below the supervisor, 1 process: ${s.grandchild.pid} (node)`,
    );
    expect(log).not.toMatch(/is gone|killed what it left/);
  });

  it('a second SIGINT to the keeper kills what is left at once, and says so', async () => {
    const s = await startRun('impatient', '60s');
    s.run.keeper.kill('SIGINT');
    await waitForLine(s.run.keeper.stderr, /\| IGNORED tree SIGTERM$/, WAIT_MS);
    const began = performance.now();
    s.run.keeper.kill('SIGINT');
    expect(await exitWithin(s.run)).toEqual({ code: 0, signal: null });
    expect(performance.now() - began).toBeLessThan(5_000);
    expect([s.supervisor, ...s.units].filter(isAlive)).toEqual([]);
    expect(linesSeen(s.run.keeper.stderr).join('\n')).toMatch(/warn: SIGINT again: killing what is left now/);
  });

  it('passes the supervisor’s exit code and output through unchanged: an invalid manifest exits 1', async () => {
    const file = path.join(tmp, 'broken.yaml');
    fs.writeFileSync(file, 'version: 1\nservice: { name: broken }\nprocesses:\n  web: { comand: x }\n');
    const run = launch('run', file);
    expect(await exitWithin(run)).toEqual({ code: 1, signal: null });
    expect(await waitForEnd(run.keeper.stderr, WAIT_MS)).toEqual([
      `${file}:4:3 processes.web: missing required key "command"`,
      '    hint: add command: ["program", "arg"] (or set it under defaults)',
      `${file}:4:10 processes.web.comand: unknown key "comand"`,
      '    hint: did you mean "command"?',
      `${file}: invalid, 2 errors, 0 warnings`,
    ]);
  });

  it('corral supervise refuses to run without a keeper', async () => {
    const run = launch('supervise', manifest('alone'));
    expect(await exitWithin(run)).toEqual({ code: 2, signal: null });
    expect((await waitForEnd(run.keeper.stderr, WAIT_MS)).join('\n')).toMatch(
      /^corral: corral supervise is started by corral run \(on Linux\), which it needs on fd 3; it is not run by hand\nhint: corral run <manifest>$/,
    );
  });
});
