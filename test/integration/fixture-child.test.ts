// The fixture child proves each of its flags with real processes, so the supervisor's integration
// tests can trust what it says. Nothing here sleeps: every wait is for a line, an exit or a
// condition, each under a deadline. Every test ends with everything it started dead (afterEach).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { linesSeen, waitForEnd, waitForLine } from '../helpers/lines.js';

const FIXTURE = path.resolve('test/fixtures/child.mjs');
const WAIT_MS = 5_000;
const linux = process.platform === 'linux';
const windows = process.platform === 'win32';
// Node's timers can fire up to a millisecond early against performance.now().
const TIMER_SLACK_MS = 5;

// What the current test started: the children it spawned (each leads its own process group on
// POSIX, which also holds any descendant whose pid a failing test never read) and every pid the
// fixture reported.
const children = new Set<Started>();
const pids = new Set<number>();

type Started = ChildProcessWithoutNullStreams & { readonly pid: number };

function start(...args: string[]): Started {
  const child = spawn(process.execPath, [FIXTURE, ...args], { detached: !windows, windowsHide: true });
  if (child.pid === undefined) throw new Error(`could not start ${FIXTURE}`);
  const started = child as Started;
  children.add(started);
  pids.add(started.pid);
  return started;
}

/** Waits for a line reporting a pid (in the regex's first group) and tracks that pid for cleanup. */
async function waitForPid(stream: Readable, regex: RegExp): Promise<number> {
  const match = await waitForLine(stream, regex, WAIT_MS);
  const pid = Number(match[1]);
  expect(pid).toBeGreaterThan(0);
  pids.add(pid);
  return pid;
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function exited(child: Started): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`pid ${child.pid} did not exit within ${WAIT_MS} ms`));
    }, WAIT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

interface ProcStat {
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
}

/** Linux: fields 3-6 of /proc/<pid>/stat, or null if there is no such process. */
function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is parenthesised and may hold spaces or parentheses itself.
  const [state = '', ppid, pgrp, session] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) };
}

/**
 * Whether `pid` is a running fixture process. On Linux neither a zombie (dead, not yet reaped: an
 * orphan waits for PID 1, which may be slow) nor an unrelated process that reused the pid counts.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  if (!linux) return true;
  try {
    return procStat(pid)?.state !== 'Z' && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(FIXTURE);
  } catch {
    return false;
  }
}

/** Linux: running fixture processes in process group `pgid`. */
function groupMembers(pgid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => procStat(pid)?.pgrp === pgid && isAlive(pid));
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

afterEach(async () => {
  for (const child of children) {
    // The group is certainly still ours while its leader is unreaped (its pid cannot be reused).
    const unreaped = child.exitCode === null && child.signalCode === null;
    if (unreaped && !windows) killQuietly(-child.pid);
  }
  for (const pid of pids) if (isAlive(pid)) killQuietly(pid);
  await vi.waitFor(
    () => {
      expect([...pids].filter(isAlive)).toEqual([]);
      if (linux) expect([...children].flatMap((child) => groupMembers(child.pid))).toEqual([]);
    },
    { timeout: WAIT_MS, interval: 10 },
  );
  children.clear();
  pids.clear();
});

describe('test/fixtures/child.mjs', () => {
  it('prints READY with its name and pid, "child" unless --name says otherwise', async () => {
    const web = start('--name', 'web');
    const plain = start();
    const ready = /^READY (\S+) pid=(\d+)$/;
    const [, webName, webPid] = await waitForLine(web.stdout, ready, WAIT_MS);
    const [, plainName, plainPid] = await waitForLine(plain.stdout, ready, WAIT_MS);
    expect([webName, Number(webPid)]).toEqual(['web', web.pid]);
    expect([plainName, Number(plainPid)]).toEqual(['child', plain.pid]);
  });

  it('--ready-after MS holds READY back until MS after it started', async () => {
    const before = performance.now();
    const child = start('--ready-after', '300');
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    expect(performance.now() - before).toBeGreaterThanOrEqual(300 - TIMER_SLACK_MS);
  });

  it('--listen 0 listens on a free port, named in READY, that accepts connections', async () => {
    const child = start('--listen', '0');
    const port = Number((await waitForLine(child.stdout, /^READY child pid=\d+ port=(\d+)$/, WAIT_MS))[1]);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    socket.destroy();
  });

  it('--listen PORT on a taken port prints ERROR on stderr and exits 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const child = start('--listen', String(port));
      await waitForLine(
        child.stderr,
        new RegExp(`^ERROR child listen 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
        WAIT_MS,
      );
      expect(await exited(child)).toEqual({ code: 1, signal: null });
      expect(await waitForEnd(child.stdout, WAIT_MS)).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it('--http answers GET /health with 200 "ok", and POST /shutdown with 202 and then exits 0', async () => {
    const child = start('--name', 'api', '--listen', '0', '--http');
    const port = Number((await waitForLine(child.stdout, /^READY api pid=\d+ port=(\d+)$/, WAIT_MS))[1]);
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/health`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    expect((await fetch(`${base}/shutdown`, { method: 'POST' })).status).toBe(202);
    await waitForLine(child.stdout, /^GOT api \/shutdown$/, WAIT_MS);
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  it('--exit CODE --after MS exits with CODE, MS after it started, READY first', async () => {
    const before = performance.now();
    const child = start('--exit', '7', '--after', '300');
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    expect(await exited(child)).toEqual({ code: 7, signal: null });
    expect(performance.now() - before).toBeGreaterThanOrEqual(300 - TIMER_SLACK_MS);
  });

  it('--exit CODE --after MS can exit before a later READY', async () => {
    const child = start('--exit', '4', '--after', '0', '--ready-after', '10000');
    expect(await exited(child)).toEqual({ code: 4, signal: null });
    expect(await waitForEnd(child.stdout, WAIT_MS)).toEqual([]);
  });

  it.each([
    [['--exit', '3'], 3],
    [['--crash'], 1],
  ])('%j prints READY and then exits %i at once', async (args, code) => {
    const child = start(...args);
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    expect(await exited(child)).toEqual({ code, signal: null });
    expect(await waitForEnd(child.stdout, WAIT_MS)).toEqual([`READY child pid=${child.pid}`]);
  });

  it.skipIf(windows)(
    '--ignore SIGNAL (repeatable) logs IGNORED and stays alive; only SIGKILL ends it',
    async () => {
      const child = start('--ignore', 'SIGTERM', '--ignore', 'SIGINT', '--stdin');
      await waitForLine(child.stdout, /^READY child /, WAIT_MS);
      child.kill('SIGTERM');
      await waitForLine(child.stdout, /^IGNORED child SIGTERM$/, WAIT_MS);
      child.kill('SIGINT');
      await waitForLine(child.stdout, /^IGNORED child SIGINT$/, WAIT_MS);
      // A round trip after both signals proves it is still running, not merely not yet dead.
      child.stdin.write('still here\n');
      await waitForLine(child.stdout, /^STDIN child still here$/, WAIT_MS);
      expect(isAlive(child.pid)).toBe(true);
      child.kill('SIGKILL');
      expect(await exited(child)).toEqual({ code: null, signal: 'SIGKILL' });
    },
  );

  it.skipIf(windows).each(['SIGTERM', 'SIGINT'] as const)(
    'by default prints GOT on %s and exits 0',
    async (signal) => {
      const child = start('--name', 'db');
      await waitForLine(child.stdout, /^READY db /, WAIT_MS);
      child.kill(signal);
      await waitForLine(child.stdout, new RegExp(`^GOT db ${signal}$`), WAIT_MS);
      expect(await exited(child)).toEqual({ code: 0, signal: null });
    },
  );

  it.skipIf(windows)('--stop-delay MS exits 0 no sooner than MS after the signal', async () => {
    const child = start('--stop-delay', '300');
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    const signalled = performance.now();
    child.kill('SIGTERM');
    await waitForLine(child.stdout, /^GOT child SIGTERM$/, WAIT_MS);
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(performance.now() - signalled).toBeGreaterThanOrEqual(300 - TIMER_SLACK_MS);
  });

  it('--tree 3 starts a chain of three live descendants, each reporting its PID before READY', async () => {
    const child = start('--tree', '3');
    const tree: number[] = [];
    for (const depth of [1, 2, 3]) {
      tree.push(await waitForPid(child.stdout, new RegExp(`^PID child\\.${depth} ${depth} (\\d+)$`)));
    }
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    expect(new Set([child.pid, ...tree]).size).toBe(4);
    for (const pid of tree) expect(isAlive(pid)).toBe(true);
    if (linux) {
      // A chain, each the parent of the next, all in the top's process group.
      expect(tree.map((pid) => procStat(pid)?.ppid)).toEqual([child.pid, tree[0], tree[1]]);
      expect(tree.map((pid) => procStat(pid)?.pgrp)).toEqual([child.pid, child.pid, child.pid]);
    }
    for (const pid of [child.pid, ...tree]) process.kill(pid, 'SIGKILL');
    await vi.waitFor(
      () => {
        expect([child.pid, ...tree].filter(isAlive)).toEqual([]);
      },
      { timeout: WAIT_MS, interval: 10 },
    );
  });

  it.skipIf(windows)('--tree passes --ignore down, so the whole tree ignores a group SIGTERM', async () => {
    const child = start('--tree', '2', '--ignore', 'SIGTERM', '--stdin');
    const tree = [
      await waitForPid(child.stdout, /^PID child\.1 1 (\d+)$/),
      await waitForPid(child.stdout, /^PID child\.2 2 (\d+)$/),
    ];
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    process.kill(-child.pid, 'SIGTERM');
    const ignored: string[] = [];
    for (let i = 0; i < 3; i++) {
      ignored.push(String((await waitForLine(child.stdout, /^IGNORED (\S+) SIGTERM$/, WAIT_MS))[1]));
    }
    expect(ignored.sort()).toEqual(['child', 'child.1', 'child.2']);
    child.stdin.write('ping\n');
    await waitForLine(child.stdout, /^STDIN child ping$/, WAIT_MS);
    for (const pid of tree) expect(isAlive(pid)).toBe(true);
  });

  it('--setsid-grandchild reports a live grandchild that outlives the child', async () => {
    const child = start('--setsid-grandchild');
    const grandchild = await waitForPid(child.stdout, /^GRANDCHILD child (\d+)$/);
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    child.kill('SIGKILL');
    await exited(child);
    expect(isAlive(grandchild)).toBe(true);
    process.kill(grandchild, 'SIGKILL');
    await vi.waitFor(() => {
      expect(isAlive(grandchild)).toBe(false);
    });
  });

  it.skipIf(!linux)(
    '--setsid-grandchild puts it in its own session and group, out of reach of a group SIGKILL',
    async () => {
      const child = start('--setsid-grandchild');
      const grandchild = await waitForPid(child.stdout, /^GRANDCHILD child (\d+)$/);
      await waitForLine(child.stdout, /^READY child /, WAIT_MS);
      expect(procStat(child.pid)).toMatchObject({ pgrp: child.pid, session: child.pid });
      expect(procStat(grandchild)).toMatchObject({ ppid: child.pid, pgrp: grandchild, session: grandchild });

      process.kill(-child.pid, 'SIGKILL');
      expect(await exited(child)).toEqual({ code: null, signal: 'SIGKILL' });
      expect(isAlive(grandchild)).toBe(true);
      expect(procStat(grandchild)?.ppid).not.toBe(child.pid); // orphaned, adopted by a reaper
      process.kill(grandchild, 'SIGKILL');
      await vi.waitFor(() => {
        expect(isAlive(grandchild)).toBe(false);
      });
    },
  );

  it.skipIf(windows)(
    '--hold-stdout-child exits 0 after READY while its holder keeps writing to the same stdout',
    async () => {
      const child = start('--hold-stdout-child');
      const holder = await waitForPid(child.stdout, /^HOLDER child (\d+)$/);
      await waitForLine(child.stdout, /^READY child /, WAIT_MS);
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(isAlive(holder)).toBe(true);
      // The child is gone, yet a line still arrives on its stdout: the holder has the pipe.
      process.kill(holder, 'SIGTERM');
      await waitForLine(child.stdout, /^GOT child\.holder SIGTERM$/, WAIT_MS);
      await waitForEnd(child.stdout, WAIT_MS);
    },
  );

  it('--print 1000 prints exactly lines 1 to 1000, in order, before READY', async () => {
    const child = start('--print', '1000');
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    const numbered = Array.from({ length: 1000 }, (_, i) => `line child ${i + 1}`);
    expect(linesSeen(child.stdout)).toEqual([...numbered, `READY child pid=${child.pid}`]);
  });

  it('--print N --stderr prints the lines to stderr instead', async () => {
    const child = start('--print', '1000', '--stderr', '--exit', '0');
    const numbered = Array.from({ length: 1000 }, (_, i) => `line child ${i + 1}`);
    expect(await waitForEnd(child.stderr, WAIT_MS)).toEqual(numbered);
    expect(await waitForEnd(child.stdout, WAIT_MS)).toEqual([`READY child pid=${child.pid}`]);
  });

  it('loses no output when it exits right after printing more than a pipe buffer holds', async () => {
    const child = start('--print', '20000', '--exit', '0');
    const numbered = Array.from({ length: 20000 }, (_, i) => `line child ${i + 1}`);
    expect(await waitForEnd(child.stdout, WAIT_MS)).toEqual([...numbered, `READY child pid=${child.pid}`]);
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  it('--stdin echoes each line and exits 0 at EOF', async () => {
    const child = start('--stdin');
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    child.stdin.write('hello\ntwo words\n');
    await waitForLine(child.stdout, /^STDIN child hello$/, WAIT_MS);
    await waitForLine(child.stdout, /^STDIN child two words$/, WAIT_MS);
    child.stdin.end();
    await waitForLine(child.stdout, /^STDIN-EOF child$/, WAIT_MS);
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  it.skipIf(!linux)('--spin idles in a sleep, not a busy loop', async () => {
    const child = start('--spin');
    await waitForLine(child.stdout, /^READY child /, WAIT_MS);
    await vi.waitFor(() => {
      expect(procStat(child.pid)?.state).toBe('S');
    });
  });

  it.each([
    [['--bogus'], /^ERROR child Unknown option '--bogus'/],
    [['--exit', 'x'], /^ERROR child --exit: expected a whole number from 0 to 255, got "x"$/],
    [['--ignore', 'SIGKILL'], /^ERROR child --ignore: "SIGKILL" is not a signal a process can catch here/],
    [['--http'], /^ERROR child --http needs --listen PORT$/],
    [['--spin', '--crash'], /^ERROR child --spin cannot go with --exit\/--crash$/],
  ])('rejects %j on stderr with exit 2', async (args, message) => {
    const child = start(...args);
    await waitForLine(child.stderr, message, WAIT_MS);
    expect(await exited(child)).toEqual({ code: 2, signal: null });
  });
});
