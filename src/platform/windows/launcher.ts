// The Windows ProcessLauncher.
//
// Consoles: each child is started by Node's spawn with windowsHide and all three stdio streams
// piped or NUL, so libuv creates it with CREATE_NO_WINDOW: a console of its own that has no window.
// Ctrl+C and Ctrl+Break are aimed at that console (console-control.ts), and reach the child and
// whatever it started on it, never corral or a sibling. CreateProcessW of our own is not needed for
// this; Node's spawn also gives the pipes, the exit code and spawn errors for free.
//
// Containment and kill: job-object.ts. corral joins a supervisor job before its first child, so
// every child is born inside it; right after spawn returns (the child has had no time to start
// anything yet) the child also gets a job of its own, nested in the supervisor's, which kill
// terminates. A child's stdin is NUL unless a stdin stop step needs it: a batch file's cmd.exe
// asked "Terminate batch job (Y/N)?" after Ctrl+C reads end-of-file and ends instead of hanging.
//
// Every native call goes through WindowsOps (launcher-ops.ts), so the decisions here are unit-tested
// against a fake (test/unit/platform/windows-launcher.test.ts) and run for real under Wine.
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { BatchArgumentError, batchCommandLine, cmdArguments, isBatchFile } from './command-line.js';
import type { CtrlEvent } from './console-control.js';
import { nativeOps, type Job, type WindowsOps } from './launcher-ops.js';
import { watchChild } from '../read-lines.js';
import {
  SpawnError,
  type Child,
  type ChildHandlers,
  type CommandOptions,
  type CommandResult,
  type ProcessLauncher,
  type SpawnRequest,
} from '../types.js';

/** How long killTree waits for the processes of a terminated job to be gone. */
export const KILL_DEADLINE_MS = 5_000;

/** The Windows stop requests beyond graceful: what `signal` accepts (and its Node signal aliases). */
export type WindowsStopRequest = 'ctrl_c' | 'ctrl_break' | 'wm_close';
const REQUESTS: Readonly<Record<string, WindowsStopRequest>> = {
  ctrl_c: 'ctrl_c',
  SIGINT: 'ctrl_c',
  ctrl_break: 'ctrl_break',
  SIGBREAK: 'ctrl_break',
  wm_close: 'wm_close',
};

export interface WindowsLauncherOptions {
  /** Told when a fire-and-forget stop request (Ctrl+C, Ctrl+Break, WM_CLOSE) could not be delivered. */
  readonly onProblem?: (pid: number, message: string) => void;
  /** The native calls; the real ones unless a test passes a fake. */
  readonly ops?: WindowsOps;
}

export class WindowsLauncher implements ProcessLauncher {
  /** The job of each child spawned here, until the child has exited and its job was closed. */
  readonly #jobs = new Map<number, Job>();
  #supervisorJob: Job | undefined;
  /** False when corral could not join its own job: each child is then added to it explicitly. */
  #inSupervisorJob = false;
  readonly #ops: WindowsOps;

  constructor(private readonly options: WindowsLauncherOptions = {}) {
    this.#ops = options.ops ?? nativeOps;
  }

  async spawn(request: SpawnRequest, handlers: ChildHandlers): Promise<Child> {
    let subprocess: ChildProcess;
    try {
      const stdio: StdioOptions = [request.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
      subprocess = this.#start(commandOf(request), request, stdio);
    } catch (error) {
      // Node throws what CreateProcessW said unless it is one of the few errors it reports as an
      // event (ENOENT, EACCES, ...): "spawn UNKNOWN" for a Windows error libuv has no name for.
      throw diagnose(request, error as NodeJS.ErrnoException);
    }
    const job = this.#contain(subprocess);
    if (job !== null) this.#jobs.set(subprocess.pid as number, job);
    const pid = await spawned(subprocess, request);
    const identity = { pid, startTime: this.#ops.processStartTime(pid) ?? -1 };
    // No orphans: whatever the child left running in its job dies with it.
    const stdio = watchChild(subprocess, request.maxLine, handlers, () => {
      this.#release(pid, job);
    });
    return { pid, identity, ...stdio };
  }

  graceful(child: Child): void {
    this.request(child, 'ctrl_c');
  }

  /** 'ctrl_c' (or SIGINT), 'ctrl_break' (or SIGBREAK) or 'wm_close'; other names are POSIX only. */
  signal(child: Child, signal: string): void {
    const request = REQUESTS[signal];
    if (request === undefined) {
      throw new Error(
        `signal ${signal} does not exist on Windows: use graceful, ctrl_c, ctrl_break or wm_close in the stop steps`,
      );
    }
    this.request(child, request);
  }

  /** Starts a Windows stop request; a failure to deliver it goes to onProblem, the step's timeout goes on. */
  request(child: Child, request: WindowsStopRequest): void {
    const problem = (message: string) => this.options.onProblem?.(child.pid, message);
    if (!this.#jobs.has(child.pid)) return; // it has exited: nothing to ask
    if (request === 'wm_close') {
      const pids = this.#treeOf(child, problem);
      if (pids === null) return;
      const reached = this.#ops.postCloseToWindowsOf(new Set(pids));
      if (reached === 0) problem('WM_CLOSE: the process tree has no top-level window');
      return;
    }
    const event: CtrlEvent = request === 'ctrl_c' ? 'c' : 'break';
    this.#ops.sendCtrlEvent(child.pid, event).catch((error: unknown) => {
      problem((error as Error).message);
    });
  }

  suspend(child: Child): void {
    this.#setSuspended(child, true);
  }

  resume(child: Child): void {
    this.#setSuspended(child, false);
  }

  /** Every process in the child's job, the child first. */
  #setSuspended(child: Child, suspended: boolean): void {
    if (!this.#jobs.has(child.pid)) return;
    const pids = this.#treeOf(child, (message) => this.options.onProblem?.(child.pid, message));
    if (pids === null) return;
    for (const pid of pids) {
      if (!this.#ops.setProcessSuspended(pid, suspended)) {
        this.options.onProblem?.(child.pid, `could not ${suspended ? 'suspend' : 'resume'} pid ${pid}`);
      }
    }
  }

  /**
   * The processes in the child's job, the child first; null (told to `problem`) when Windows would
   * not list them: a stop request or a pause must not throw at the supervisor.
   */
  #treeOf(child: Child, problem: (message: string) => void): number[] | null {
    const job = this.#jobs.get(child.pid);
    if (job === undefined) return [child.pid];
    try {
      return [child.pid, ...job.pids().filter((pid) => pid !== child.pid)];
    } catch (error) {
      problem(`cannot list the processes of its job: ${(error as Error).message}`);
      return null;
    }
  }

  async killTree(child: Child): Promise<void> {
    const job = this.#jobs.get(child.pid);
    if (job === undefined) return; // exited, and #release already killed what it left
    job.terminate();
    await untilEmpty(job, child.pid);
  }

  async runCommand(command: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const which = commandOf({ name: 'command', command, shell: options.shell, env: options.env });
    let subprocess: ChildProcess;
    try {
      subprocess = this.#start(which, options, 'ignore');
    } catch {
      // As a spawn error reported as an event: the command did not run (the caller says so).
      return { code: null, signal: null, timedOut: false };
    }
    const job = this.#contain(subprocess);
    return new Promise((resolve) => {
      let timedOut = false;
      const pid = subprocess.pid ?? 0;
      const timer = setTimeout(() => {
        timedOut = true;
        if (job !== null) this.#terminate(pid, job);
      }, options.timeout);
      const done = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        if (job !== null) {
          this.#terminate(pid, job);
          job.close();
        }
        resolve({ code, signal, timedOut });
      };
      subprocess.once('error', () => {
        done(null, null);
      });
      subprocess.once('exit', done);
    });
  }

  /** Node's spawn as every child here gets it: no window, the arguments exactly as commandOf made them. */
  #start(
    { file, args, verbatim }: Command,
    where: { readonly cwd: string; readonly env: Readonly<Record<string, string>> },
    stdio: StdioOptions,
  ): ChildProcess {
    return this.#ops.spawn(file, args, {
      cwd: where.cwd,
      env: where.env,
      windowsHide: true,
      windowsVerbatimArguments: verbatim,
      stdio,
    });
  }

  /**
   * Puts a just-spawned process in a job of its own, nested in the supervisor's. Done before the
   * first await: spawn has only just resumed the process's first thread. Null when it never started,
   * or when it had exited before Windows made its job.
   */
  #contain(subprocess: ChildProcess): Job | null {
    const pid = subprocess.pid;
    if (pid === undefined) return null;
    let job: Job | null = null;
    try {
      const supervisor = this.#supervisor();
      job = this.#ops.createJob();
      if (!this.#inSupervisorJob) supervisor.add(pid);
      job.add(pid);
    } catch (error) {
      // It exited already (there is nothing to contain), or Windows refused to make or fill a job:
      // then it must not run uncontained.
      if (this.#ops.isRunning(pid)) {
        subprocess.kill();
        job?.close();
        throw error;
      }
    }
    return job;
  }

  #supervisor(): Job {
    if (this.#supervisorJob !== undefined) return this.#supervisorJob;
    const job = this.#ops.createJob();
    try {
      job.add('self');
      this.#inSupervisorJob = true;
    } catch {
      // Started inside a job that cannot nest another (UI limits): each child joins it instead.
      this.#inSupervisorJob = false;
    }
    this.#supervisorJob = job;
    return job;
  }

  /**
   * The child has exited: whatever it left in its job is killed, as the POSIX launcher kills its
   * process group, then the job is closed. Terminated explicitly, as a finished command's job is,
   * rather than left to kill-on-close: that waits for the last handle, and one duplicated anywhere
   * would keep the leftovers alive.
   */
  #release(pid: number, job: Job | null): void {
    if (job === null) return;
    this.#jobs.delete(pid);
    this.#terminate(pid, job);
    job.close();
  }

  /** TerminateJobObject, its failure reported and never thrown (it runs in exit and timer callbacks). */
  #terminate(pid: number, job: Job): void {
    try {
      job.terminate();
    } catch (error) {
      this.options.onProblem?.(
        pid,
        `could not kill the processes in its job: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

interface Command {
  readonly file: string;
  readonly args: string[];
  readonly verbatim: boolean;
}

/** The program and arguments to spawn: batch files and shell lines go through cmd.exe. */
function commandOf(request: Pick<SpawnRequest, 'name' | 'command' | 'shell' | 'env'>): Command {
  const shell = request.env['ComSpec'] ?? process.env['ComSpec'] ?? 'cmd.exe';
  if (request.shell) {
    return { file: shell, args: cmdArguments(`"${request.command[0] ?? ''}"`), verbatim: true };
  }
  const [program = '', ...rest] = request.command;
  if (!isBatchFile(program)) return { file: program, args: rest, verbatim: false };
  try {
    return { file: shell, args: cmdArguments(batchCommandLine(request.command)), verbatim: true };
  } catch (error) {
    if (!(error instanceof BatchArgumentError)) throw error;
    throw new SpawnError('other', `${request.name}: ${error.message}`);
  }
}

/** Resolves with the pid once the child runs; rejects with a SpawnError when it cannot start. */
function spawned(subprocess: ChildProcess, request: SpawnRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    subprocess.once('spawn', () => {
      resolve(subprocess.pid as number);
    });
    subprocess.once('error', (error: NodeJS.ErrnoException) => {
      reject(diagnose(request, error));
    });
  });
}

/** Spawn says only ENOENT; find out whether the folder or the program is missing. */
function diagnose(request: SpawnRequest, error: NodeJS.ErrnoException): SpawnError {
  if (!isDirectory(request.cwd)) {
    return new SpawnError('no-cwd', `${request.name}: cwd: the folder ${request.cwd} does not exist`);
  }
  const program = request.command[0] ?? '';
  if (error.code === 'ENOENT' && !request.shell) {
    const where = /[\\/]/.test(program)
      ? `${path.resolve(request.cwd, program)} does not exist`
      : `program "${program}" not found on PATH (${request.env['Path'] ?? request.env['PATH'] ?? 'PATH is empty'})`;
    return new SpawnError('not-found', `${request.name}: command: ${where}`);
  }
  return new SpawnError('other', `${request.name}: command: could not start ${program}: ${error.message}`);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Waits until the terminated job has no process left, or throws after KILL_DEADLINE_MS. */
async function untilEmpty(job: Job, pid: number): Promise<void> {
  const deadline = performance.now() + KILL_DEADLINE_MS;
  while (job.activeProcesses() > 0) {
    if (performance.now() > deadline) {
      throw new Error(`could not kill the tree of pid ${pid}: ${job.pids().join(', ')} still alive`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
