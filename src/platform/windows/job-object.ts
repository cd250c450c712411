// Job objects: how no child outlives corral, and how one child's whole tree is killed at once.
//
// Layout: one supervisor job that corral puts itself in (so every process it starts is born inside
// it, before it runs an instruction), and one job per child nested in it, holding the child and
// everything the child starts. Both kill their processes when their last handle closes and allow no
// breakaway, and their handles are not inheritable, so only corral holds them: whatever ends
// corral, the supervisor job's handle closes and every descendant dies with it. A child's job is
// what kill terminates, and what is terminated (killing leftovers) and closed when the child itself
// has exited. (Under Wine a process that a cmd.exe child starts is not held by that child's job:
// see the README, "Nested jobs under Wine".)
import {
  activeProcessesOf,
  assignToJob,
  closeHandle,
  createKillOnCloseJob,
  processIdsOf,
  terminateJob,
  type Handle,
} from './win32.js';

/** The exit code TerminateJobObject gives each process: the same as `taskkill /F` gives. */
export const KILLED_EXIT_CODE = 1;

export class JobObject {
  #handle: Handle | null;

  private constructor(handle: Handle) {
    this.#handle = handle;
  }

  static create(): JobObject {
    return new JobObject(createKillOnCloseJob());
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  /** Adds process `pid`, or this process for 'self'. */
  add(pid: number | 'self'): void {
    assignToJob(this.#open(), pid === 'self' ? 0 : pid);
  }

  /** Kills every process in the job; they are gone once activeProcesses() says 0. */
  terminate(): void {
    if (this.#handle !== null) terminateJob(this.#handle, KILLED_EXIT_CODE);
  }

  activeProcesses(): number {
    return this.#handle === null ? 0 : activeProcessesOf(this.#handle);
  }

  pids(): number[] {
    return this.#handle === null ? [] : processIdsOf(this.#handle);
  }

  /** Closes the handle; with KILL_ON_JOB_CLOSE, whatever still runs in the job dies. */
  close(): void {
    if (this.#handle === null) return;
    closeHandle(this.#handle);
    this.#handle = null;
  }

  #open(): Handle {
    if (this.#handle === null) throw new Error('job object: used after close()');
    return this.#handle;
  }
}
