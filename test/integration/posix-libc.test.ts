// The libc bindings and the orphan reaper, against real processes (Linux). The subreaper is a
// separate host process (test/fixtures/subreaper-host.mjs), never the vitest worker, which would
// otherwise adopt every orphan of every test it runs. The host runs the compiled modules, so build
// first (`npm test` does; alone: `npm run build && npx vitest run test/integration/posix-libc`).
// Nothing here sleeps: every wait is for a line or an exit, under a deadline.
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeWaitStatus, reapIfZombie } from '../../src/platform/posix/libc.js';
import {
  descendantsOf,
  identify,
  isAlive,
  listProcesses,
  readStat,
  type ProcessIdentity,
} from '../../src/platform/posix/proc.js';
import { linesSeen, waitForLine } from '../helpers/lines.js';

const HOST = path.resolve('test/fixtures/subreaper-host.mjs');
const CHILD = path.resolve('test/fixtures/child.mjs');
const WAIT_MS = 5_000;
const linux = process.platform === 'linux';

type Host = ChildProcessByStdio<Writable, Readable, null> & { readonly pid: number };

// What the current test started: hosts, and every process identity seen below them.
const hosts = new Set<Host>();
const started = new Map<number, ProcessIdentity>();

/** Remembers `pid` for cleanup if `parent` is its parent, so a reused pid never names a stranger. */
function track(pid: number, parent: number): void {
  const stat = readStat(pid);
  if (stat?.ppid === parent) started.set(pid, { pid, startTime: stat.startTime });
}

afterEach(async () => {
  // Everything below each host, found while the host still holds it, then the hosts themselves.
  for (const host of hosts) {
    for (const p of descendantsOf(host.pid)) started.set(p.pid, { pid: p.pid, startTime: p.startTime });
  }
  for (const who of started.values()) if (isAlive(who)) process.kill(who.pid, 'SIGKILL');
  for (const host of hosts) if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  // Zombies count as gone: orphans of a dead host wait for a reaper outside this test.
  await vi.waitFor(
    () => {
      expect([...started.values()].filter(isAlive).map((who) => who.pid)).toEqual([]);
      expect([...hosts].filter((host) => host.exitCode === null && host.signalCode === null)).toEqual([]);
    },
    { timeout: WAIT_MS, interval: 10 },
  );
  hosts.clear();
  started.clear();
});

async function startHost(): Promise<{ host: Host; before: boolean; after: boolean }> {
  const child = spawn(process.execPath, [HOST], { stdio: ['pipe', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error(`could not start ${HOST}`);
  const host = child as Host;
  hosts.add(host);
  track(host.pid, process.pid);
  const [, before, after, pid] = await waitForLine(
    host.stdout,
    /^SUBREAPER before=(true|false) after=(true|false) pid=(\d+)$/,
    WAIT_MS,
  );
  expect(Number(pid)).toBe(host.pid);
  return { host, before: before === 'true', after: after === 'true' };
}

/** Has the host spawn `argv` as its own (libuv's) child; resolves with that child's pid. */
async function hostSpawns(host: Host, ...argv: string[]): Promise<number> {
  host.stdin.write(`${JSON.stringify(argv)}\n`);
  const pid = Number((await waitForLine(host.stdout, /^SPAWNED (\d+)$/, WAIT_MS))[1]);
  track(pid, host.pid);
  return pid;
}

/** The pids of the zombies `parent` has not reaped. */
function zombiesOf(parent: number): number[] {
  return listProcesses()
    .filter((p) => p.ppid === parent && p.state === 'Z')
    .map((p) => p.pid);
}

/**
 * Takes lines matching `regex` as they arrive, in whatever order, until `done(all taken so far)`;
 * rejects with the output if that has not happened `timeoutMs` from now.
 */
async function collect(
  stream: Readable,
  regex: RegExp,
  done: (taken: readonly RegExpExecArray[]) => boolean,
  timeoutMs: number,
): Promise<RegExpExecArray[]> {
  const deadline = performance.now() + timeoutMs;
  const taken: RegExpExecArray[] = [];
  while (!done(taken)) {
    taken.push(await waitForLine(stream, regex, Math.max(0, Math.ceil(deadline - performance.now()))));
  }
  return taken;
}

describe('decodeWaitStatus', () => {
  it('reads the exit code or the killing signal the way <sys/wait.h> does', () => {
    expect(decodeWaitStatus(0)).toEqual({ code: 0, signal: null });
    expect(decodeWaitStatus(7 << 8)).toEqual({ code: 7, signal: null });
    expect(decodeWaitStatus(255 << 8)).toEqual({ code: 255, signal: null });
    expect(decodeWaitStatus(9)).toEqual({ code: null, signal: 9 });
    expect(decodeWaitStatus(15 | 0x80)).toEqual({ code: null, signal: 15 }); // 0x80: core dumped
  });

  it('says null for a stopped or continued process, which has not ended', () => {
    expect(decodeWaitStatus((19 << 8) | 0x7f)).toBeNull();
    expect(decodeWaitStatus(0xffff)).toBeNull();
  });
});

describe.skipIf(!linux)('libc bindings in this process', () => {
  it('reapIfZombie refuses anything but one positive pid, since -1, 0 or -pgid would steal from libuv', () => {
    for (const pid of [-1, 0, -process.pid, 1.5]) expect(() => reapIfZombie(pid)).toThrow(RangeError);
  });

  it('reapIfZombie says null for a process that is not our child (ECHILD)', () => {
    expect(reapIfZombie(process.ppid)).toBeNull();
  });
});

describe.skipIf(!linux)('a child subreaper running the orphan reaper', () => {
  beforeAll(() => {
    for (const name of ['libc', 'reaper']) {
      const built = `dist/platform/posix/${name}.js`;
      const source = `src/platform/posix/${name}.ts`;
      if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(source).mtimeMs) {
        throw new Error(`${built} is missing or older than ${source}: run \`npm run build\` first`);
      }
    }
  });

  it('says what to do when a pipe for a child cannot be made for want of descriptors', () => {
    // In a Node of its own with a low limit: koffi is loaded by a first pipe, then every free
    // descriptor but one is taken, and pipe2 needs two.
    const script = [
      `import fs from 'node:fs';`,
      `import { outputPipe } from ${JSON.stringify(path.resolve('dist/platform/posix/libc.js'))};`,
      `outputPipe();`,
      `const held = [];`,
      `try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch {}`,
      `fs.closeSync(held.pop());`,
      `try { outputPipe(); console.log('made a pipe'); } catch (e) { console.log(e.message); }`,
    ].join('\n');
    const out = execFileSync(
      'sh',
      ['-c', 'ulimit -n 64 && exec "$0" --input-type=module -e "$1"', process.execPath, script],
      {
        encoding: 'utf8',
      },
    );
    expect(out.trim()).toBe(
      "pipe2() for a child's output failed: EMFILE (Too many open files): too many files open; raise the " +
        'limit (ulimit -n, or LimitNOFILE= in a systemd unit)',
    );
  });

  it('loads koffi only on first use, and is a subreaper only after setChildSubreaper', async () => {
    const { host, before, after } = await startHost();
    expect(linesSeen(host.stdout)).toContain('LAZY koffi-mapped=false');
    expect({ before, after }).toEqual({ before: false, after: true });
    expect(readStat(host.pid)?.ppid).toBe(process.pid);
  });

  it('adopts an orphaned setsid grandchild, and reaps it when it dies instead of leaving a zombie', async () => {
    const { host } = await startHost();
    const child = await hostSpawns(host, process.execPath, CHILD, '--name', 'o', '--setsid-grandchild');
    const grandchild = Number((await waitForLine(host.stdout, /^GRANDCHILD o (\d+)$/, WAIT_MS))[1]);
    track(grandchild, child);
    await waitForLine(host.stdout, /^READY o /, WAIT_MS);
    expect(readStat(grandchild)?.ppid).toBe(child);

    // (a) Its parent dies: the grandchild goes to the host, not to init. The kernel reparents it
    // before the parent's death is reported, so the host's EXIT line is late enough to look.
    process.kill(child, 'SIGKILL');
    await waitForLine(host.stdout, new RegExp(`^EXIT ${child} code=null signal=SIGKILL$`), WAIT_MS);
    expect(readStat(grandchild)?.ppid).toBe(host.pid);

    // (b) It dies: the reaper collects it, so it leaves /proc rather than staying in state Z.
    const who = identify(grandchild) as ProcessIdentity;
    process.kill(grandchild, 'SIGKILL');
    await waitForLine(host.stdout, new RegExp(`^REAPED ${grandchild} code=null signal=9$`), WAIT_MS);
    expect(identify(grandchild)?.startTime).not.toBe(who.startTime);
    // The host's own child went to libuv, not to the reaper.
    expect(linesSeen(host.stdout).filter((line) => line.startsWith(`REAPED ${child} `))).toEqual([]);
    expect(zombiesOf(host.pid)).toEqual([]);
  });

  it("leaves libuv's children alone: each still gets its 'exit' event with its code", async () => {
    const { host } = await startHost();
    // Each sh is the host's own child and exits 5 at once; its background subshell is orphaned to
    // the host and exits 3 soon after. Own children and orphans die interleaved, so a reaper that
    // waited for the wrong pid (or for any pid) would take some sh's status and lose its EXIT.
    // 40: a reaper that ignored isOwnChild lost an EXIT in 6 of 6 runs at 40, in 2 of 3 at 20.
    const count = 40;
    for (let i = 0; i < count; i++) {
      host.stdin.write(`${JSON.stringify(['sh', '-c', '(sleep 0.05; exit 3) & echo ORPHAN $!; exit 5'])}\n`);
    }
    const lines = await collect(
      host.stdout,
      /^(SPAWNED|ORPHAN|EXIT|REAPED) (\d+)(?: (code=\S+ signal=\S+))?$/,
      (seen) => seen.filter(([, word]) => word === 'EXIT' || word === 'REAPED').length === 2 * count,
      WAIT_MS,
    );
    const pids = (word: string) => lines.filter((m) => m[1] === word).map((m) => Number(m[2]));
    const ends = (word: string) => lines.filter((m) => m[1] === word).map((m) => `${m[2]} ${m[3]}`);
    expect(pids('SPAWNED')).toHaveLength(count);
    expect(pids('ORPHAN')).toHaveLength(count);
    const sorted = (list: readonly string[]) => [...list].sort();
    expect(sorted(ends('EXIT'))).toEqual(sorted(pids('SPAWNED').map((pid) => `${pid} code=5 signal=null`)));
    expect(sorted(ends('REAPED'))).toEqual(sorted(pids('ORPHAN').map((pid) => `${pid} code=3 signal=null`)));
    expect(zombiesOf(host.pid)).toEqual([]);

    // And a node child, as the launcher spawns them.
    const node = await hostSpawns(host, process.execPath, CHILD, '--name', 'n', '--exit', '7');
    await waitForLine(host.stdout, new RegExp(`^EXIT ${node} code=7 signal=null$`), WAIT_MS);
    expect(host.exitCode).toBeNull();
  });
});
