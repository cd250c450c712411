// The native operations the Windows launcher is built on, as one seam: the launcher decides (which
// pid gets which Ctrl event, which job is terminated or closed, when a child must not run
// uncontained), these do. The real set is the default; unit tests pass a fake one, which is how
// what Wine cannot show (Ctrl+Break, a refused job) is tested on Linux. Nothing here loads koffi
// until a call is made (win32.ts).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { sendCtrlEvent, type CtrlEvent } from './console-control.js';
import { JobObject } from './job-object.js';
import { isRunning, postCloseToWindowsOf, processStartTime, setProcessSuspended } from './win32.js';

/** What the launcher uses of a job object (job-object.ts says what each does). */
export interface Job {
  /** Adds process `pid`, or this process for 'self'; throws when Windows refuses. */
  add(pid: number | 'self'): void;
  terminate(): void;
  activeProcesses(): number;
  pids(): number[];
  close(): void;
}

export interface WindowsOps {
  /** node:child_process spawn: the child's pipes, exit code and spawn errors. */
  spawn(file: string, args: readonly string[], options: SpawnOptions): ChildProcess;
  /** A new kill-on-close job with no breakaway. */
  createJob(): Job;
  /** Ctrl+C or Ctrl+Break to the console of process `pid`; rejects with the reason it could not. */
  sendCtrlEvent(pid: number, event: CtrlEvent): Promise<void>;
  /** WM_CLOSE to every top-level window of these processes; how many windows it reached. */
  postCloseToWindowsOf(pids: ReadonlySet<number>): number;
  /** False when the process is gone or may not be opened. */
  setProcessSuspended(pid: number, suspended: boolean): boolean;
  isRunning(pid: number): boolean;
  /** With the pid, names one process; null when it cannot be read. */
  processStartTime(pid: number): number | null;
}

export const nativeOps: WindowsOps = Object.freeze({
  spawn: (file: string, args: readonly string[], options: SpawnOptions) => spawn(file, args, options),
  createJob: () => JobObject.create(),
  sendCtrlEvent,
  postCloseToWindowsOf,
  setProcessSuspended,
  isRunning,
  processStartTime,
});
