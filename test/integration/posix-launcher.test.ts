// The POSIX launcher with real processes from the fixture child: lines, exits, spawn errors that
// name the key and path, group signals, stdin, the whole-tree kill, helper commands with timeouts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { PosixLauncher } from '../../src/platform/posix/launcher.js';
import { outputPipe, pipeSize } from '../../src/platform/posix/libc.js';
import { readPipe } from '../../src/platform/read-lines.js';
import { identify, isAlive, listProcesses, type ProcessIdentity } from '../../src/platform/posix/proc.js';
import { SpawnError, type Child, type SpawnRequest } from '../../src/platform/types.js';

const launcher = new PosixLauncher();
const fixture = path.resolve('test/fixtures/child.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-launcher-'));
const started: ProcessIdentity[] = [];

afterEach(() => {
  for (const who of started.splice(0)) if (isAlive(who)) process.kill(who.pid, 'SIGKILL');
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A spawned fixture with its lines and exit observable as promises with deadlines. */
async function run(args: string[], overrides: Partial<SpawnRequest> = {}) {
  const lines: string[] = [];
  const waiters: { regex: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  let exitResolve: (e: { code: number | null; signal: string | null; at: number }) => void = () => undefined;
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>(
    (r) => (exitResolve = r),
  );
  const take = (stream: string, line: string) => {
    lines.push(`${stream}: ${line}`);
    for (const w of [...waiters]) {
      const m = w.regex.exec(line);
      if (m !== null) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const child = await launcher.spawn(
    {
      name: 'web',
      command: [process.execPath, fixture, '--name', 'web', ...args],
      shell: false,
      cwd: tmp,
      env: { PATH: process.env['PATH'] ?? '' },
      stdin: false,
      maxLine: 1024 * 1024,
      ...overrides,
    },
    {
      onLine: (stream, piece) => {
        take(stream, piece.bytes.toString('utf8'));
        return true;
      },
      // Whole lines in a block: taken one by one, as the supervisor does when it reads lines.
      onLines: (stream, bytes) => {
        for (const line of bytes.toString('utf8').split('\n').slice(0, -1)) take(stream, line);
        return true;
      },
      onExit: (code, signal) => {
        exitResolve({ code, signal, at: Date.now() });
      },
    },
  );
  started.push(child.identity);
  const line = (regex: RegExp, ms = 10_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const seen = lines.map((l) => l.replace(/^\w+: /, '')).find((l) => regex.test(l));
      if (seen !== undefined) {
        resolve(regex.exec(seen) as RegExpExecArray);
        return;
      }
      waiters.push({ regex, resolve });
      setTimeout(() => {
        reject(new Error(`no line matching ${String(regex)} within ${ms} ms; saw:\n${lines.join('\n')}`));
      }, ms).unref();
    });
  const exit = (ms = 10_000) =>
    Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          reject(new Error(`no exit within ${ms} ms; saw:\n${lines.join('\n')}`));
        }, ms).unref(),
      ),
    ]);
  return { child, lines, line, exit };
}

function spawnError(request: Partial<SpawnRequest>): Promise<SpawnError> {
  return launcher
    .spawn(
      {
        name: 'web',
        command: ['x'],
        shell: false,
        cwd: tmp,
        env: { PATH: '' },
        stdin: false,
        maxLine: 1024,
        ...request,
      },
      { onLine: () => true, onLines: () => true, onExit: () => undefined },
    )
    .then(
      () => {
        throw new Error('spawned, but should not have');
      },
      (error: unknown) => error as SpawnError,
    );
}

describe.skipIf(process.platform === 'win32')('PosixLauncher', () => {
  it('reads stdout and stderr line by line, in order, and reports the exit code', async () => {
    const p = await run(['--print', '3', '--exit', '4']);
    expect(await p.exit()).toMatchObject({ code: 4, signal: null });
    expect(p.lines.filter((l) => l.startsWith('stdout: line'))).toEqual([
      'stdout: line web 1',
      'stdout: line web 2',
      'stdout: line web 3',
    ]);
    const e = await run(['--print', '2', '--stderr', '--exit', '0']);
    await e.exit();
    expect(e.lines.filter((l) => l.includes('line web'))).toEqual([
      'stderr: line web 1',
      'stderr: line web 2',
    ]);
  });

  it('passes a line longer than maxLine on in pieces, and a last line without its newline', async () => {
    const p = await run([], {
      command: ['/bin/sh', '-c', 'head -c 2500 /dev/zero | tr "\\0" x; echo; printf "tail"'],
      maxLine: 1000,
    });
    await p.exit();
    expect(p.lines.map((l) => l.length)).toEqual([8 + 1000, 8 + 1000, 8 + 500, 8 + 4]);
    expect(p.lines.at(-1)).toBe('stdout: tail');
  });

  it('names the key and the path when a child cannot be started', async () => {
    const missing = await spawnError({
      command: ['definitely-not-a-program-corral'],
      env: { PATH: '/usr/bin:/bin' },
    });
    expect([missing.code, missing.message]).toEqual([
      'not-found',
      'web: command: program "definitely-not-a-program-corral" not found on PATH (/usr/bin:/bin)',
    ]);
    const script = path.join(tmp, 'run.sh');
    fs.writeFileSync(script, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    const notExec = await spawnError({ command: [script] });
    expect([notExec.code, notExec.message]).toEqual([
      'not-executable',
      `web: command: ${script} is not an executable file (chmod +x ${script}, or run it through its interpreter)`,
    ]);
    const noCwd = await spawnError({ command: [process.execPath], cwd: path.join(tmp, 'gone') });
    expect([noCwd.code, noCwd.message]).toEqual([
      'no-cwd',
      `web: cwd: the folder ${path.join(tmp, 'gone')} does not exist`,
    ]);
    expect(noCwd).toBeInstanceOf(SpawnError);
  });

  it('stops a child gracefully with SIGTERM to its group, and sends named signals', async () => {
    const p = await run([]);
    await p.line(/^READY /);
    launcher.graceful(p.child);
    await p.line(/^GOT web SIGTERM/);
    expect(await p.exit()).toMatchObject({ code: 0 });
    const q = await run([]);
    await q.line(/^READY /);
    launcher.signal(q.child, 'SIGINT');
    await q.line(/^GOT web SIGINT/);
    expect(await q.exit()).toMatchObject({ code: 0 });
  });

  it('writes to stdin and closes it', async () => {
    const p = await run(['--stdin'], { stdin: true });
    await p.line(/^READY /);
    expect(p.child.write('hello there\n')).toBe(true);
    await p.line(/^STDIN web hello there/);
    p.child.closeStdin();
    await p.line(/^STDIN-EOF web/);
    expect(await p.exit()).toMatchObject({ code: 0 });
  });

  it('kills the whole tree: a chain that ignores SIGTERM and a grandchild in its own session', async () => {
    const p = await run(['--tree', '3', '--ignore', 'SIGTERM', '--setsid-grandchild']);
    const grandchild = Number((await p.line(/^GRANDCHILD web (\d+)/))[1]);
    await p.line(/^READY /);
    const members = p.lines
      .map((l) => /PID \S+ \d+ (\d+)/.exec(l)?.[1])
      .filter((pid): pid is string => pid !== undefined)
      .map((pid) => identify(Number(pid)))
      .filter((who): who is ProcessIdentity => who !== null);
    const lonely = identify(grandchild) as ProcessIdentity;
    started.push(...members, lonely);
    expect(members).toHaveLength(3);
    launcher.graceful(p.child);
    await p.line(/^IGNORED web SIGTERM/);
    await launcher.killTree(p.child);
    expect([p.child.identity, ...members, lonely].filter(isAlive)).toEqual([]);
    expect(await p.exit()).toMatchObject({ signal: 'SIGKILL' });
  });

  it('reports the exit promptly although a grandchild keeps stdout open, and leaves no orphan', async () => {
    const p = await run(['--hold-stdout-child']);
    const holder = identify(Number((await p.line(/^HOLDER web (\d+)/))[1])) as ProcessIdentity;
    started.push(holder);
    const exit = await p.exit(5_000);
    expect(exit.code).toBe(0);
    // It was sent SIGKILL at the child's exit; its stdout closes during its own exit, so wait for
    // /proc to show it gone rather than read it at once.
    const deadline = Date.now() + 2_000;
    while (isAlive(holder) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(isAlive(holder)).toBe(false);
  });

  it('runs a helper command to its exit code, and kills one that outlives its timeout', async () => {
    const env = { PATH: process.env['PATH'] ?? '' };
    const ok = await launcher.runCommand([process.execPath, fixture, '--exit', '3'], {
      shell: false,
      cwd: tmp,
      env,
      timeout: 10_000,
    });
    expect(ok).toEqual({ code: 3, signal: null, timedOut: false });
    const shell = await launcher.runCommand(['exit 5'], { shell: true, cwd: tmp, env, timeout: 10_000 });
    expect(shell).toEqual({ code: 5, signal: null, timedOut: false });
    const slow = await launcher.runCommand([process.execPath, fixture, '--ignore', 'SIGTERM'], {
      shell: false,
      cwd: tmp,
      env,
      timeout: 300,
    });
    expect(slow).toEqual({ code: null, signal: 'SIGKILL', timedOut: true });
  });

  it("owns each child and helper command until its 'exit' has been reported (the orphan reaper's isOwnChild)", async () => {
    const p = await run([]);
    await p.line(/^READY /);
    expect(launcher.owns(p.child.pid)).toBe(true);
    launcher.graceful(p.child);
    await p.exit();
    expect(launcher.owns(p.child.pid)).toBe(false);

    const env = { PATH: process.env['PATH'] ?? '' };
    const helper = launcher.runCommand([process.execPath, fixture, '--name', 'owned-helper'], {
      shell: false,
      cwd: tmp,
      env,
      timeout: 10_000,
    });
    const pid = await vi.waitFor(
      () => {
        const found = listProcesses().find(
          (s) =>
            s.ppid === process.pid &&
            fs.readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').includes('owned-helper'),
        );
        if (found === undefined) throw new Error('the helper command is not running yet');
        started.push({ pid: found.pid, startTime: found.startTime });
        return found.pid;
      },
      { timeout: 5_000, interval: 10 },
    );
    expect(launcher.owns(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    expect(await helper).toMatchObject({ signal: 'SIGKILL' });
    expect(launcher.owns(pid)).toBe(false);
    expect(launcher.owns(process.pid)).toBe(false);
  });
});

/** The supervisor's open descriptors, by number, with what each is (a pipe, a socket, a file). */
function ownFds(): Map<string, string> {
  const dir = '/proc/self/fd';
  const fds = new Map<string, string>();
  for (const fd of fs.readdirSync(dir)) {
    try {
      fds.set(fd, fs.readlinkSync(path.join(dir, fd)));
    } catch {
      // the descriptor readdir itself used, gone by now
    }
  }
  return fds;
}

/** The descriptors in `after` that `before` did not have (a leak, once everything has ended). */
function newFds(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([fd, target]) => before.get(fd) !== target).map(([fd, t]) => `${fd} -> ${t}`);
}

/** Our read ends of the pipes that are a child's stdout and stderr (found by pipe inode). */
function readEndsOf(pid: number): { stdout: number; stderr: number } {
  const mine = ownFds();
  const ourEnd = (target: string): number => {
    const found = [...mine].find(([, t]) => t === target);
    if (found === undefined) throw new Error(`no descriptor here reads ${target}`);
    return Number(found[0]);
  };
  return {
    stdout: ourEnd(fs.readlinkSync(`/proc/${pid}/fd/1`)),
    stderr: ourEnd(fs.readlinkSync(`/proc/${pid}/fd/2`)),
  };
}

describe.skipIf(process.platform !== 'linux')(
  'PosixLauncher: output through pipes of its own (Linux)',
  () => {
    const emit = path.resolve('test/fixtures/emit.mjs');
    const env = { PATH: process.env['PATH'] ?? '' };
    const request = (command: string[]): SpawnRequest => ({
      name: 'out',
      command,
      shell: false,
      cwd: tmp,
      env,
      stdin: false,
      maxLine: 1024 * 1024,
    });

    it('gives the child a pipe, not a socket, and no other child its ends (close-on-exec)', async () => {
      const exits: Promise<unknown>[] = [];
      const spawnSleeper = async () => {
        let done: (v: unknown) => void = () => undefined;
        exits.push(new Promise((resolve) => (done = resolve)));
        const child = await launcher.spawn(request(['sleep', '30']), {
          onLine: () => true,
          onLines: () => true,
          onExit: (code, signal) => {
            done({ code, signal });
          },
        });
        started.push(child.identity);
        return child;
      };
      const inherited = ownFds(); // what the test runner itself passes on (not close-on-exec)
      const first = await spawnSleeper();
      const second = await spawnSleeper();
      // An fd closed between listing and reading its link was the loader's (below), not a leak.
      const fdsOf = (child: Child) =>
        new Map(
          fs.readdirSync(`/proc/${child.pid}/fd`).flatMap((fd) => {
            try {
              return [[fd, fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`)] as const];
            } catch {
              return [];
            }
          }),
        );
      const [a, b] = [fdsOf(first), fdsOf(second)];
      for (const fds of [a, b]) {
        expect(fds.get('1')).toMatch(/^pipe:\[\d+\]$/);
        expect(fds.get('2')).toMatch(/^pipe:\[\d+\]$/);
        expect(fds.get('1')).not.toBe(fds.get('2'));
        // Beyond 0-2 no pipe or socket but what the runner passed on to every child. (Files are
        // left out: while sleep starts, the dynamic loader has libc open on fd 3 for a moment.)
        const extra = [...fds].filter(([fd, target]) => Number(fd) > 2 && /^(pipe|socket):/.test(target));
        expect(extra.filter(([fd, target]) => inherited.get(fd) !== target)).toEqual([]);
      }
      const pipesOf = (fds: Map<string, string>) => [fds.get('1'), fds.get('2')];
      expect([...b.values()].filter((t) => pipesOf(a).includes(t))).toEqual([]);
      expect([...a.values()].filter((t) => pipesOf(b).includes(t))).toEqual([]);
      for (const child of [first, second]) launcher.signal(child, 'SIGKILL');
      await Promise.all(exits);
    });

    it('leaves no descriptor open once a child has ended, nor after a spawn that failed', async () => {
      const before = ownFds();
      const p = await run(['--print', '5', '--exit', '0']);
      await p.exit();
      // The read ends close as their sockets close, a moment after the exit is reported.
      await vi.waitFor(
        () => {
          expect(newFds(before, ownFds())).toEqual([]);
        },
        { timeout: 5_000, interval: 10 },
      );
      await expect(spawnError({ command: ['no-such-program-here'] })).resolves.toBeInstanceOf(SpawnError);
      await expect(spawnError({ cwd: path.join(tmp, 'missing') })).resolves.toBeInstanceOf(SpawnError);
      // Refused by Node before spawning: a NUL byte in the environment.
      const nul = await spawnError({ command: ['true'], env: { PATH: '/bin:/usr/bin', BAD: 'a\0b' } });
      expect(nul.message).toContain('null bytes');
      expect(newFds(before, ownFds())).toEqual([]);
    });

    it('asks to grow a pipe whose read comes back large, and no other', async () => {
      const grown: number[] = [];
      const [busy, quiet] = [outputPipe(), outputPipe()];
      if (busy === null || quiet === null) throw new Error('no pipe2 on Linux?');
      // Written before anything reads: the first read takes all 60 KB at once.
      fs.writeSync(busy.write, Buffer.alloc(60_000, 0x61));
      fs.writeSync(busy.write, '\n');
      fs.writeSync(quiet.write, 'one line\n');
      fs.closeSync(busy.write);
      fs.closeSync(quiet.write);
      const handlers = { onLine: () => true, onLines: () => true, onExit: () => undefined };
      const readers = [busy, quiet].map((p) =>
        readPipe(p.read, 'stdout', 1024 * 1024, handlers, (fd) => grown.push(fd)),
      );
      await Promise.all(readers.map((reader) => reader.ended));
      expect(grown).toEqual([busy.read]);
    });

    it("makes a busy child's stdout pipe 1 MB and leaves its quiet stderr at the default", async () => {
      let done: (v: unknown) => void = () => undefined;
      const exited = new Promise((resolve) => (done = resolve));
      const sizes = { stdout: 0, stderr: 0 };
      let ours: { stdout: number; stderr: number } | null = null;
      const child = await launcher.spawn(
        request([process.execPath, emit, 'numbered', String(100_000), '100']), // 10 MB
        {
          onLine: () => true,
          onLines: () => {
            ours ??= readEndsOf(child.pid);
            sizes.stdout = pipeSize(ours.stdout) ?? -1;
            sizes.stderr = pipeSize(ours.stderr) ?? -1;
            return true;
          },
          onExit: (code, signal) => {
            done({ code, signal });
          },
        },
      );
      started.push(child.identity);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(sizes).toEqual({ stdout: 1024 * 1024, stderr: 64 * 1024 });
    });

    it('stops reading while a handler asks to pause, and loses nothing over many pauses', async () => {
      const lines = 100_000;
      const width = 100;
      const parts: Buffer[] = [];
      let total = 0;
      let calls = 0;
      let pauses = 0;
      let stillAtPause = 0;
      let child: Child | null = null;
      let done: (v: { code: number | null }) => void = () => undefined;
      const exited = new Promise<{ code: number | null }>((resolve) => (done = resolve));
      const take = (bytes: Buffer): boolean => {
        parts.push(Buffer.from(bytes)); // a copy: the launcher's buffer is reused once this returns
        total += bytes.length;
        if (++calls % 2 !== 0 || pauses === 10) return true;
        pauses++;
        // Nothing may arrive while paused (the rest of the read under way still does, at once);
        // then resume, as the log file's onDrain does.
        setImmediate(() => {
          const at = total;
          setTimeout(() => {
            if (total === at) stillAtPause++;
            child?.resumeOutput();
          }, 20);
        });
        return false;
      };
      child = await launcher.spawn(
        request([process.execPath, emit, 'numbered', String(lines), String(width)]),
        {
          onLine: (_stream, line) =>
            take(Buffer.concat([line.bytes, Buffer.from(line.complete ? '\n' : '')])),
          onLines: (_stream, bytes) => take(bytes),
          onExit: (code) => {
            done({ code });
          },
        },
      );
      started.push(child.identity);
      expect(await exited).toEqual({ code: 0 });
      expect(pauses).toBe(10);
      expect(stillAtPause).toBe(10);
      const received = Buffer.concat(parts);
      expect(received.length).toBe(lines * width);
      const numbers = received
        .toString('latin1')
        .split('\n')
        .slice(0, -1)
        .map((line) => Number(line.slice(0, 10)));
      expect(numbers).toEqual(Array.from({ length: lines }, (_, i) => i));
    });
  },
);

export type { Child };
