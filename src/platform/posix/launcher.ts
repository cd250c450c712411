// The POSIX ProcessLauncher: each child in its own session and process group (so a signal reaches
// its whole group, and a group kill from outside does not reach corral), stdout and stderr read
// line by line, spawn problems found before spawning so the message can name the key and path.
//
// Whole-tree kill: the child, its process group, and every descendant found in /proc by ppid
// (a grandchild in a session of its own included), each killed by pid + start time, repeated
// until none is left, since a dying tree can still fork. Orphans that left the tree entirely are
// the keeper's and the subreaper's job (docs/design/linux-containment.md).
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { spawn as spawnChild } from 'node:child_process';
import { execa } from 'execa';
import { watchChild } from '../read-lines.js';
import { groupExists, growPipe, outputPipe, type PipeEnds } from './libc.js';
import {
  SpawnError,
  type Child,
  type ChildHandlers,
  type CommandOptions,
  type CommandResult,
  type ProcessLauncher,
  type SpawnRequest,
} from '../types.js';
import { descendantsOf, identify, isAlive, killIfSame, listProcesses, type ProcessIdentity } from './proc.js';

/** How long killTree keeps killing (a tree that forks as fast as it is killed) before giving up. */
export const KILL_DEADLINE_MS = 5_000;

export class PosixLauncher implements ProcessLauncher {
  /** Pids spawned here whose 'exit' event has not fired yet: libuv will reap them. */
  readonly #children = new Set<number>();

  /**
   * True for a pid this launcher spawned (a child or a helper command) until libuv has reaped it
   * and reported its 'exit'. It is the orphan reaper's isOwnChild in a subreaper supervisor
   * (reaper.ts): the reaper must leave these zombies to libuv.
   */
  owns(pid: number): boolean {
    return this.#children.has(pid);
  }

  /** Remembers the subprocess as libuv's from now until its 'exit' event. */
  #track(subprocess: EventEmitter & { readonly pid?: number | undefined }): void {
    const pid = subprocess.pid;
    if (pid === undefined) return; // it never started: there is nothing to reap
    this.#children.add(pid);
    subprocess.once('exit', () => this.#children.delete(pid));
  }

  async spawn(request: SpawnRequest, handlers: ChildHandlers): Promise<Child> {
    const [file, ...args] = request.command as [string, ...string[]];
    // node:child_process, not execa, for the supervised children (execa runs the helper commands
    // below): execa's per-child options normalization, result object and error with stack traces
    // made starting 200 children 1.56× and stopping them 2.9× the bare spawn; without it, 0.97× and
    // 1.5× (npm run bench, docs/design/performance.md). Nothing of execa's is needed here: the
    // exit code, the signal and the lines are read directly.
    // stdout and stderr through pipes of our own where we can make them (Linux), read into one
    // shared buffer (read-lines.ts); else Node's stdio pipes.
    const pipes = outputPipes();
    let subprocess: ReturnType<typeof spawnChild>;
    try {
      subprocess = spawnChild(file, args, {
        cwd: request.cwd,
        env: request.env,
        shell: request.shell ? '/bin/sh' : false,
        detached: true,
        stdio: [
          request.stdin ? 'pipe' : 'ignore',
          pipes?.stdout.write ?? 'pipe',
          pipes?.stderr.write ?? 'pipe',
        ],
      });
    } catch (error) {
      // Refused before anything started (an argument Node will not pass, such as a NUL byte).
      if (pipes !== null) closeAll([pipes.stdout.read, pipes.stderr.read]);
      throw error;
    } finally {
      // The child has its copies now (or never will): ours would keep its output from ending.
      if (pipes !== null) closeAll([pipes.stdout.write, pipes.stderr.write]);
    }
    this.#track(subprocess);
    let pid: number;
    try {
      pid = await spawned(subprocess, request);
    } catch (error) {
      if (pipes !== null) closeAll([pipes.stdout.read, pipes.stderr.read]);
      throw error;
    }
    const identity = identify(pid) ?? { pid, startTime: -1 };
    // No orphans: whatever the child left in its process group dies with it.
    const stdio = watchChild(
      subprocess,
      request.maxLine,
      handlers,
      () => {
        killGroupLeftovers(pid);
      },
      pipes === null ? null : { stdout: pipes.stdout.read, stderr: pipes.stderr.read, grow: growBusyPipe },
    );
    return { pid, identity, ...stdio };
  }

  graceful(child: Child): void {
    this.signal(child, 'SIGTERM');
  }

  signal(child: Child, signal: string): void {
    // While we own the pid (until its exit event) it cannot have been reused; after, check.
    if (!this.owns(child.pid) && !isAlive(child.identity)) return;
    try {
      process.kill(-child.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  suspend(child: Child): void {
    for (const target of treeOf(child.identity)) killIfSame(target, 'SIGSTOP');
  }

  resume(child: Child): void {
    for (const target of treeOf(child.identity)) killIfSame(target, 'SIGCONT');
  }

  async killTree(child: Child): Promise<void> {
    const deadline = Date.now() + KILL_DEADLINE_MS;
    for (;;) {
      const targets = treeOf(child.identity);
      if (targets.length === 0) return;
      for (const target of targets) killIfSame(target);
      if (Date.now() > deadline) {
        throw new Error(
          `could not kill the tree of pid ${child.pid}: ${targets.map((t) => t.pid).join(', ')} still alive`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async runCommand(command: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const [file, ...args] = command as [string, ...string[]];
    const subprocess = execa(file, args, {
      ...common(options),
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
    });
    this.#track(subprocess);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const pid = subprocess.pid;
      const who = pid === undefined ? null : identify(pid);
      if (who !== null) for (const target of treeOf(who)) killIfSame(target);
    }, options.timeout);
    const result = await subprocess;
    clearTimeout(timer);
    return { code: result.exitCode ?? null, signal: result.signal ?? null, timedOut };
  }
}

/**
 * What every execa call here shares: exactly the given environment, the shell only when asked,
 * a session and group of its own, no rejection on failure (we read exit codes), and no execa
 * cleanup on our exit (containment is the keeper's job).
 */
function common(o: {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly shell: boolean;
}) {
  return {
    cwd: o.cwd,
    env: o.env,
    extendEnv: false,
    shell: o.shell ? '/bin/sh' : false,
    detached: true,
    reject: false,
    cleanup: false,
  } as const;
}

/**
 * A pipe for each of a child's stdout and stderr, or null where corral cannot make them (off
 * Linux). A failure to make one (out of descriptors) is the spawn's failure.
 */
function outputPipes(): { stdout: PipeEnds; stderr: PipeEnds } | null {
  const stdout = outputPipe();
  if (stdout === null) return null;
  try {
    const stderr = outputPipe();
    if (stderr === null) throw new Error('pipe2 worked once, then was not there');
    return { stdout, stderr };
  } catch (error) {
    closeAll([stdout.read, stdout.write]);
    throw error;
  }
}

/**
 * The size a busy output pipe is given: Linux's default pipe-max-size, which an unprivileged user
 * may ask for. Only pipes found full get it, so a supervisor of many quiet children stays far
 * below the per-user limit on pipe memory (pipe-user-pages-soft, 64 MB by default), past which
 * the user's new pipes would be made small. 200 MB of output: reader CPU ~10% lower, wall a few
 * percent (performance.md, "Session 5").
 */
const BUSY_PIPE_BYTES = 1024 * 1024;

function growBusyPipe(fd: number): void {
  growPipe(fd, BUSY_PIPE_BYTES); // refused: the pipe keeps its size, and works as before
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) fs.closeSync(fd);
}

/** Resolves with the pid once the child runs; rejects with a SpawnError when it cannot start. */
function spawned(
  subprocess: EventEmitter & { readonly pid?: number | undefined },
  request: SpawnRequest,
): Promise<number> {
  return new Promise((resolve, reject) => {
    subprocess.once('spawn', () => {
      resolve(subprocess.pid as number);
    });
    subprocess.once('error', (error: NodeJS.ErrnoException) => {
      // Spawn says only ENOENT or EACCES; find out which key and path it means. Done only after
      // a failure, so a successful spawn pays for no file checks.
      try {
        checkSpawnable(request);
      } catch (diagnosis) {
        reject(diagnosis instanceof Error ? diagnosis : new Error(String(diagnosis)));
        return;
      }
      reject(
        new SpawnError(
          'other',
          `${request.name}: command: could not start ${request.command[0] ?? ''}: ${error.message}`,
        ),
      );
    });
  });
}

/**
 * Finds the problems spawn would only report as a bare ENOENT or EACCES, and says which key and
 * path: a missing cwd, a program not found (on PATH or at its path), a file that is not executable.
 */
export function checkSpawnable(request: SpawnRequest): void {
  if (!isDirectory(request.cwd)) {
    throw new SpawnError('no-cwd', `${request.name}: cwd: the folder ${request.cwd} does not exist`);
  }
  if (request.shell) return;
  const program = request.command[0] ?? '';
  if (program.includes('/')) {
    const full = path.resolve(request.cwd, program);
    if (!fs.existsSync(full)) {
      throw new SpawnError('not-found', `${request.name}: command: ${full} does not exist`);
    }
    if (!isExecutableFile(full)) {
      throw new SpawnError(
        'not-executable',
        `${request.name}: command: ${full} is not an executable file (chmod +x ${full}, or run it through its interpreter)`,
      );
    }
    return;
  }
  const searchPath = request.env['PATH'] ?? '';
  const found = searchPath
    .split(':')
    .filter((dir) => dir !== '')
    .map((dir) => path.resolve(request.cwd, dir, program))
    .find((candidate) => isExecutableFile(candidate));
  if (found === undefined) {
    throw new SpawnError(
      'not-found',
      `${request.name}: command: program "${program}" not found on PATH (${searchPath === '' ? 'PATH is empty' : searchPath})`,
    );
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The live members of a child's tree: itself, its process group, its descendants by ppid. */
function treeOf(root: ProcessIdentity): ProcessIdentity[] {
  const snapshot = listProcesses();
  const found = new Map<number, ProcessIdentity>();
  const add = (who: ProcessIdentity) => {
    if (!found.has(who.pid)) found.set(who.pid, who);
  };
  const rootStat = snapshot.find((p) => p.pid === root.pid && p.startTime === root.startTime);
  if (rootStat !== undefined && rootStat.state !== 'Z') add(root);
  for (const p of snapshot) {
    if (p.pgrp === root.pid && p.state !== 'Z' && p.pid !== process.pid)
      add({ pid: p.pid, startTime: p.startTime });
  }
  if (rootStat !== undefined) {
    for (const p of descendantsOf(root.pid, snapshot)) {
      if (p.state !== 'Z') add({ pid: p.pid, startTime: p.startTime });
    }
  }
  return [...found.values()];
}

/** SIGKILLs the members of process group `pgid` that are still alive (its leader has exited). */
function killGroupLeftovers(pgid: number): void {
  // Usually the group died with its leader: a signal 0 says so without scanning /proc, which
  // costs ~0.6 ms per exit on this machine (measured by npm run bench).
  if (!groupExists(pgid)) return;
  for (const p of listProcesses()) {
    if (p.pgrp === pgid && p.state !== 'Z' && p.pid !== process.pid)
      killIfSame({ pid: p.pid, startTime: p.startTime });
  }
}
