// The manifest lock against real files in a temp runtime folder and real processes from the fixture
// child (Linux only): a live holder refuses, a dead one is taken over and its recorded children are
// killed only while their pid and start time still match, and racing corrals never both win.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireLock,
  formatRecord,
  killLeftovers,
  LockError,
  lockFileName,
  recordChildren,
  releaseLock,
  type Kill,
  type LockRecord,
} from '../../src/platform/posix/manifest-lock.js';
import { identify, isAlive, type ProcessIdentity } from '../../src/platform/posix/proc.js';
import { linesSeen, waitForLine } from '../helpers/lines.js';

const linux = process.platform === 'linux';
const FIXTURE = 'test/fixtures/child.mjs';
const READY_MS = 10_000;
const GONE_MS = 5_000;
const SINCE = new Date('2026-01-02T03:04:05.000Z');
const now = () => SINCE;

const children: ChildProcess[] = [];
const tracked: ProcessIdentity[] = [];
let dir = '';
let runtimeDir = '';
let manifest = '';
let lockPath = '';

function exited(child: ChildProcess, timeoutMs = GONE_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Polls `condition` until it holds, failing at the deadline: for processes that are not our children. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function track(pid: number): ProcessIdentity {
  const who = identify(pid);
  if (who === null) throw new Error(`pid ${pid} vanished before it could be identified`);
  tracked.push(who);
  return who;
}

interface Fixture {
  readonly child: ChildProcess;
  readonly who: ProcessIdentity;
  readonly stdout: Readable;
}

async function fixture(name: string, ...args: string[]): Promise<Fixture> {
  const child = spawn(process.execPath, [FIXTURE, '--name', name, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const stdout = child.stdout;
  await waitForLine(stdout, /^READY /, READY_MS);
  return { child, who: track(child.pid as number), stdout };
}

/** The identity of a process that ran and is gone (exited and reaped). */
async function deadProcess(name: string): Promise<ProcessIdentity> {
  const { child, who } = await fixture(name);
  child.kill('SIGKILL');
  await exited(child);
  expect(isAlive(who)).toBe(false);
  return who;
}

function me(): ProcessIdentity {
  return identify(process.pid) as ProcessIdentity;
}

function lockError(act: () => unknown): LockError {
  try {
    act();
  } catch (error) {
    if (error instanceof LockError) return error;
    throw error;
  }
  throw new Error('expected a LockError, but nothing was thrown');
}

function readLock(file = lockPath): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function record(supervisor: ProcessIdentity, patch: Partial<LockRecord> = {}): LockRecord {
  const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return {
    version: 1,
    manifest,
    bootId,
    supervisor,
    acquiredAt: SINCE.toISOString(),
    children: [],
    ...patch,
  };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-lock-'));
  runtimeDir = path.join(dir, 'run');
  manifest = path.join(fs.realpathSync(dir), 'corral.yaml');
  fs.writeFileSync(manifest, 'version: 1\n');
  lockPath = path.join(runtimeDir, lockFileName(manifest, 'shop'));
});

afterEach(async () => {
  const started = tracked.splice(0);
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }
  for (const who of started) if (isAlive(who)) process.kill(who.pid, 'SIGKILL');
  await until(
    () => started.every((who) => !isAlive(who)),
    GONE_MS,
    'every process the test started to be gone',
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!linux)('acquireLock on a free manifest', () => {
  it('creates a private runtime folder and writes the documented record', () => {
    const { lock, leftovers, previous } = acquireLock(manifest, 'shop', me(), { runtimeDir, now });
    expect([leftovers, previous, lock.path]).toEqual([[], null, lockPath]);
    expect(fs.statSync(runtimeDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(lockPath).mode & 0o777).toBe(0o600);
    expect(readLock()).toEqual(record(me()));
    expect(fs.readdirSync(runtimeDir)).toEqual([path.basename(lockPath)]);
  });

  it('rewrites the children on record, and removes the lock on release, once', () => {
    const { lock } = acquireLock(manifest, 'shop', me(), { runtimeDir, now });
    const kids = [
      { pid: 4001, startTime: 7 },
      { pid: 4002, startTime: 8 },
    ];
    recordChildren(lock, kids);
    expect(readLock()).toEqual({ ...record(me()), children: kids });
    recordChildren(lock, []);
    expect(readLock()).toEqual(record(me()));
    expect(fs.readdirSync(runtimeDir)).toEqual([path.basename(lockPath)]);
    expect(releaseLock(lock)).toBe(true);
    expect(fs.readdirSync(runtimeDir)).toEqual([]);
    expect(releaseLock(lock)).toBe(false);
    expect(acquireLock(manifest, 'shop', me(), { runtimeDir }).leftovers).toEqual([]);
  });

  it('gives two manifests with the same service name two locks', () => {
    const other = path.join(path.dirname(manifest), 'other.yaml');
    fs.writeFileSync(other, 'version: 1\n');
    const a = acquireLock(manifest, 'shop', me(), { runtimeDir });
    const b = acquireLock(other, 'shop', me(), { runtimeDir });
    expect(a.lock.path).not.toBe(b.lock.path);
    expect(fs.readdirSync(runtimeDir)).toHaveLength(2);
  });

  it('names a manifest by its real path, so a symlink to it finds the same lock', async () => {
    const link = path.join(dir, 'link.yaml');
    fs.symlinkSync(manifest, link);
    const holder = await fixture('holder');
    acquireLock(manifest, 'shop', holder.who, { runtimeDir, now });
    expect(lockError(() => acquireLock(link, 'shop', me(), { runtimeDir })).code).toBe('E_LOCKED');
  });
});

describe.skipIf(!linux)('acquireLock on a held manifest', () => {
  it('refuses while the holder lives: E_LOCKED with its pid, since when, and what to do', async () => {
    const holder = await fixture('holder');
    acquireLock(manifest, 'shop', holder.who, { runtimeDir, now });
    const error = lockError(() => acquireLock(manifest, 'shop', me(), { runtimeDir }));
    expect([error.code, error.message, error.hint]).toEqual([
      'E_LOCKED',
      `${manifest} is already supervised by corral pid ${holder.who.pid} (since 2026-01-02T03:04:05.000Z)`,
      `stop that supervisor first (kill ${holder.who.pid} stops it in order); its lock is ${lockPath}`,
    ]);
    expect(readLock()).toEqual(record(holder.who));
  });

  it('takes over from a dead holder and hands over the children it recorded', async () => {
    const holder = await fixture('holder');
    const { lock } = acquireLock(manifest, 'shop', holder.who, { runtimeDir, now });
    const kids = [{ pid: 4001, startTime: 7 }];
    recordChildren(lock, kids);
    holder.child.kill('SIGKILL');
    await exited(holder.child);

    const taken = acquireLock(manifest, 'shop', me(), { runtimeDir, now });
    expect(taken.leftovers).toEqual(kids);
    expect(taken.previous).toEqual({ ...record(holder.who), children: kids });
    // Until we record our own children, the leftovers stay in the file: a crash now loses nothing.
    expect(readLock()).toEqual({ ...record(me()), children: kids });
    expect(fs.readdirSync(runtimeDir)).toEqual([path.basename(lockPath)]);
  });

  it('treats a lock from before a reboot as stale, with no leftovers, even when its pids are alive', async () => {
    const stranger = await fixture('stranger');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const old = record(stranger.who, { bootId: 'a-previous-boot', children: [stranger.who] });
    fs.writeFileSync(lockPath, formatRecord(old));
    const taken = acquireLock(manifest, 'shop', me(), { runtimeDir, now });
    expect([taken.leftovers, taken.previous]).toEqual([[], old]);
    expect(isAlive(stranger.who)).toBe(true);
  });

  it('refuses while another corral is taking the stale lock over, naming it', async () => {
    const dead = await deadProcess('dead');
    const taker = await fixture('taker');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    fs.writeFileSync(lockPath, formatRecord(record(dead)));
    fs.writeFileSync(`${lockPath}.takeover.${dead.pid}-${dead.startTime}`, formatRecord(record(taker.who)));
    const error = lockError(() => acquireLock(manifest, 'shop', me(), { runtimeDir }));
    expect([error.code, error.message]).toEqual([
      'E_LOCKED',
      `${manifest} is being taken over by corral pid ${taker.who.pid} right now ` +
        `(its previous supervisor, pid ${dead.pid}, died)`,
    ]);
    expect(readLock()).toEqual(record(dead));
  });

  it('takes over even when an earlier takeover crashed halfway, and clears what it left', async () => {
    const dead = await deadProcess('dead');
    const crashed = await deadProcess('crashed-taker');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const kids = [{ pid: 4001, startTime: 7 }];
    fs.writeFileSync(lockPath, formatRecord(record(dead, { children: kids })));
    fs.writeFileSync(`${lockPath}.takeover.${dead.pid}-${dead.startTime}`, formatRecord(record(crashed)));
    const taken = acquireLock(manifest, 'shop', me(), { runtimeDir, now });
    expect(taken.leftovers).toEqual(kids);
    expect(fs.readdirSync(runtimeDir)).toEqual([path.basename(lockPath)]);
  });
});

describe.skipIf(!linux)('a lock that stopped being ours', () => {
  it('is neither rewritten nor released', async () => {
    const { lock } = acquireLock(manifest, 'shop', me(), { runtimeDir, now });
    const other = await fixture('other');
    fs.writeFileSync(lockPath, formatRecord(record(other.who)));
    const error = lockError(() => {
      recordChildren(lock, []);
    });
    expect([error.code, error.message, error.hint]).toEqual([
      'E_LOCK_FILE',
      `the lock ${lockPath} no longer belongs to this supervisor (pid ${process.pid}): ` +
        `corral pid ${other.who.pid} holds it now`,
      `two supervisors may be running ${manifest}; stop this one`,
    ]);
    expect(releaseLock(lock)).toBe(false);
    expect(readLock()).toEqual(record(other.who));
    fs.unlinkSync(lockPath);
    expect(
      lockError(() => {
        recordChildren(lock, []);
      }).message,
    ).toMatch(/: the file was deleted$/);
  });
});

describe.skipIf(!linux)('files and folders corral must not trust', () => {
  it('refuses a lock file it cannot read, and says how to fix it', () => {
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    fs.writeFileSync(lockPath, 'pid 1234\n');
    const error = lockError(() => acquireLock(manifest, 'shop', me(), { runtimeDir }));
    expect([error.code, error.message, error.hint]).toEqual([
      'E_LOCK_FILE',
      `${lockPath} is not a lock this corral can read: not JSON`,
      `if no corral is running for this manifest, delete ${lockPath}`,
    ]);
  });

  it('refuses a runtime folder others may write to', () => {
    fs.mkdirSync(runtimeDir);
    fs.chmodSync(runtimeDir, 0o777);
    const error = lockError(() => acquireLock(manifest, 'shop', me(), { runtimeDir }));
    expect([error.code, error.message, error.hint]).toEqual([
      'E_RUNTIME_DIR',
      `runtime folder ${runtimeDir} is writable by group or others (mode 0777)`,
      `chmod 700 ${runtimeDir}`,
    ]);
  });

  it('refuses a runtime folder that is a symbolic link', () => {
    const elsewhere = fs.mkdtempSync(path.join(dir, 'elsewhere-'));
    fs.symlinkSync(elsewhere, runtimeDir);
    const error = lockError(() => acquireLock(manifest, 'shop', me(), { runtimeDir }));
    expect([error.code, error.message]).toEqual([
      'E_RUNTIME_DIR',
      `runtime folder ${runtimeDir} is a symbolic link`,
    ]);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a runtime folder someone else owns (run as root)', () => {
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    fs.chownSync(runtimeDir, 65534, 65534);
    const error = lockError(() => acquireLock(manifest, 'shop', me(), { runtimeDir }));
    expect([error.code, error.message]).toEqual([
      'E_RUNTIME_DIR',
      `runtime folder ${runtimeDir} belongs to uid 65534, not to you (uid 0)`,
    ]);
  });

  it('says when the runtime folder cannot be created', () => {
    const missing = path.join(dir, 'no-such-parent', 'run');
    const error = lockError(() => acquireLock(manifest, 'shop', me(), { runtimeDir: missing }));
    expect(error.code).toBe('E_RUNTIME_DIR');
    expect(error.message).toMatch(
      /^cannot create the runtime folder .*\/no-such-parent\/run for corral's lock files: ENOENT/,
    );
  });
});

describe.skipIf(!linux)('killLeftovers', () => {
  it('kills a recorded child still running, and its descendants, but not a pid now used by another process', async () => {
    const leftover = await fixture('leftover', '--tree', '1');
    const pidLine = linesSeen(leftover.stdout).find((line) => line.startsWith('PID '));
    const descendant = track(Number(pidLine?.split(' ')[3]));
    const reused = await fixture('reused');
    const holder = await fixture('holder');
    const { lock } = acquireLock(manifest, 'shop', holder.who, { runtimeDir });
    const impostor = { pid: reused.who.pid, startTime: reused.who.startTime + 1 };
    recordChildren(lock, [leftover.who, impostor]);
    holder.child.kill('SIGKILL');
    await exited(holder.child);

    const { leftovers } = acquireLock(manifest, 'shop', me(), { runtimeDir });
    expect(leftovers).toEqual([leftover.who, impostor]);
    const sent: [number, string][] = [];
    const kill: Kill = (pid, signal) => {
      sent.push([pid, signal]);
      process.kill(pid, signal);
    };
    expect(killLeftovers(leftovers, kill)).toEqual([leftover.who, descendant]);
    expect(sent).toEqual([
      [leftover.who.pid, 'SIGSTOP'],
      [descendant.pid, 'SIGSTOP'],
      [leftover.who.pid, 'SIGKILL'],
      [descendant.pid, 'SIGKILL'],
    ]);
    await exited(leftover.child);
    expect(leftover.child.signalCode).toBe('SIGKILL');
    await until(() => !isAlive(descendant), GONE_MS, `the leftover's descendant ${descendant.pid} to die`);
    expect(isAlive(reused.who)).toBe(true);
  });

  it('kills nothing when every leftover is gone', async () => {
    const gone = await deadProcess('gone');
    expect(killLeftovers([gone], () => expect.fail('nothing should be signalled'))).toEqual([]);
  });
});

// Racers run this module transpiled to plain JavaScript. Racer processes are real supervisors'
// stand-ins: each waits at the starting line, then calls acquireLock at the same wall-clock instant.
const RACER = `
import readline from 'node:readline';
import { acquireLock } from './manifest-lock.js';
import { identify } from './proc.js';
const [manifest, runtimeDir] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin });
lines.once('line', (line) => {
  const start = Number(line);
  while (Date.now() < start); // every racer leaves the starting line together
  try {
    const { leftovers } = acquireLock(manifest, 'shop', identify(process.pid), { runtimeDir });
    console.log('WON ' + leftovers.length);
  } catch (error) {
    console.log('LOST ' + (error.code ?? error.message));
  }
});
lines.once('close', () => process.exit(0)); // the winner holds the lock until told to go
console.log('ARMED');
`;

// Racer threads start within microseconds of each other, so they reach every step of a takeover
// together (processes mostly do not). Each acts as one live process; round n starts when the main
// thread stores n (a negative n ends it).
const THREAD = `
import { parentPort, workerData } from 'node:worker_threads';
import { acquireLock } from './manifest-lock.js';
const { go, who, manifest, runtimeDir } = workerData;
for (let seen = 0; ; ) {
  while (Atomics.load(go, 0) === seen) Atomics.wait(go, 0, seen); // a wake-up can be spurious
  seen = Atomics.load(go, 0);
  if (seen < 0) break;
  let result;
  try {
    result = 'WON ' + acquireLock(manifest, 'shop', who, { runtimeDir }).leftovers.length;
  } catch (error) {
    result = 'LOST ' + (error.code ?? error.message);
  }
  parentPort.postMessage({ round: seen, result });
}
`;

describe.skipIf(!linux)('corrals racing for one stale lock', () => {
  let lib = '';
  beforeAll(() => {
    lib = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-lock-lib-'));
    for (const name of ['proc', 'manifest-lock']) {
      const source = fs.readFileSync(`src/platform/posix/${name}.ts`, 'utf8');
      const compilerOptions = { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 };
      fs.writeFileSync(
        path.join(lib, `${name}.js`),
        ts.transpileModule(source, { compilerOptions }).outputText,
      );
    }
    fs.writeFileSync(path.join(lib, 'racer.mjs'), RACER);
    fs.writeFileSync(path.join(lib, 'thread.mjs'), THREAD);
  });
  afterAll(() => {
    fs.rmSync(lib, { recursive: true, force: true });
  });

  /** Exactly one winner, carrying the one leftover over; everyone else told E_LOCKED; no stray files. */
  function expectOneWinner(results: readonly string[]): number {
    expect(
      results.filter((line) => line.startsWith('WON')),
      results.join(', '),
    ).toEqual(['WON 1']);
    expect(
      results.filter((line) => line === 'LOST E_LOCKED'),
      results.join(', '),
    ).toHaveLength(results.length - 1);
    expect(fs.readdirSync(runtimeDir)).toEqual([path.basename(lockPath)]);
    return results.indexOf('WON 1');
  }

  it('lets exactly one racing process win, round after round', async () => {
    const holder = await fixture('holder');
    const { lock } = acquireLock(manifest, 'shop', holder.who, { runtimeDir });
    recordChildren(lock, [{ pid: 4001, startTime: 7 }]);
    holder.child.kill('SIGKILL');
    await exited(holder.child);

    for (let round = 0; round < 5; round++) {
      const racers = Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, [path.join(lib, 'racer.mjs'), manifest, runtimeDir], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        children.push(child);
        return child;
      });
      await Promise.all(racers.map((r) => waitForLine(r.stdout, /^ARMED$/, READY_MS)));
      const start = Date.now() + 50;
      for (const r of racers) r.stdin.write(`${start}\n`);
      const results = await Promise.all(
        racers.map(async (r) => (await waitForLine(r.stdout, /^(WON|LOST) .*$/, READY_MS))[0]),
      );
      const winner = racers[expectOneWinner(results)] as ChildProcess;
      expect((readLock() as LockRecord).supervisor.pid).toBe(winner.pid);
      // The winner's lock, once it exits, is the next round's stale prize, leftover carried over.
      for (const r of racers) r.stdin.end();
      await Promise.all(racers.map((r) => exited(r)));
    }
  });

  it('lets exactly one racing thread win, round after round', async () => {
    const dead = await deadProcess('dead');
    const identities = await Promise.all([1, 2, 3, 4].map(async (i) => (await fixture(`as-${i}`)).who));
    const go = new Int32Array(new SharedArrayBuffer(4));
    const threads = identities.map(
      (who) => new Worker(path.join(lib, 'thread.mjs'), { workerData: { go, who, manifest, runtimeDir } }),
    );
    const stale = record(dead, { children: [{ pid: 4001, startTime: 7 }] });
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    try {
      for (let round = 1; round <= 300; round++) {
        fs.writeFileSync(lockPath, formatRecord({ ...stale, acquiredAt: `round ${round}` }));
        const results = new Promise<string[]>((resolve, reject) => {
          const answers: string[] = [];
          let count = 0;
          const timer = setTimeout(() => {
            reject(new Error(`round ${round}: only ${count} threads answered within ${READY_MS} ms`));
          }, READY_MS);
          threads.forEach((thread, i) => {
            thread.once('message', ({ round: answered, result }: { round: number; result: string }) => {
              answers[i] = answered === round ? result : `round ${answered}: ${result}`;
              if (++count < threads.length) return;
              clearTimeout(timer);
              resolve(answers);
            });
          });
        });
        Atomics.store(go, 0, round);
        Atomics.notify(go, 0);
        const winner = identities[expectOneWinner(await results)] as ProcessIdentity;
        expect((readLock() as LockRecord).supervisor).toEqual(winner);
        fs.unlinkSync(lockPath);
      }
    } finally {
      Atomics.store(go, 0, -1);
      Atomics.notify(go, 0);
      await Promise.all(threads.map((thread) => new Promise((resolve) => thread.once('exit', resolve))));
    }
  });
});
