// The contracts between the platform-neutral core and each platform. core/ reaches processes
// only through these; src/platform/<platform>/ implements them; one place chooses which.
//
// Lifecycle of a child, as the core drives it:
//   1. spawn(request, handlers)  → a Child (or a SpawnError: counts as a failed start)
//   2. handlers.onLine(...)      for each line of stdout/stderr, in order per stream (false: pause
//                                reading until child.resumeOutput())
//   3. stop steps:               graceful(child) / signal(child, name) / runCommand(...) for
//                                `command` steps; http and stdin steps are done by the core
//   4. killTree(child)           the final step: the child and every descendant, however detached
//   5. handlers.onExit(...)      exactly once, when the child itself has exited and its output
//                                streams have ended (or been given up on, if a grandchild holds them)
import type { ProcessIdentity } from './posix/proc.js';

export interface SpawnRequest {
  /** The process name from the manifest (for messages and the per-process marker). */
  readonly name: string;
  /** With shell, a single element: the command line for the shell. */
  readonly command: readonly string[];
  readonly shell: boolean;
  readonly cwd: string;
  /** The complete environment of the child (the supervisor's + env_file + env, merged by the core). */
  readonly env: Readonly<Record<string, string>>;
  /** Whether the child's stdin stays open for `stdin` stop steps. */
  readonly stdin: boolean;
  /** Output lines longer than this many bytes are passed on in pieces (log.max_line). */
  readonly maxLine: number;
}

/** One line of a child's output, bytes as written (no newline); long lines come in pieces. */
export interface OutputLine {
  readonly bytes: Buffer;
  /** False when the line was cut at max_line and goes on in the next piece. */
  readonly complete: boolean;
}

/**
 * What a launcher calls with a child's output and exit. The bytes given to onLine and onLines are
 * valid only during the call (a launcher may read every child into one reused buffer): a handler
 * copies whatever it keeps.
 */
export interface ChildHandlers {
  /**
   * A line (or piece) of output. Returning false asks the launcher to stop reading that child's
   * output (the child then blocks when its pipe fills) until Child.resumeOutput().
   */
  onLine(stream: 'stdout' | 'stderr', line: OutputLine): boolean;
  /**
   * Several whole lines at once, each ended by its \n, none longer than max_line: what the launcher
   * passes instead of onLine calls where it can (the middle of a chunk). Same return as onLine.
   */
  onLines(stream: 'stdout' | 'stderr', bytes: Buffer): boolean;
  onExit(code: number | null, signal: string | null): void;
}

export interface Child {
  readonly pid: number;
  readonly identity: ProcessIdentity;
  /** Writes to the child's stdin; false when stdin is closed or was not kept open. */
  write(text: string): boolean;
  closeStdin(): void;
  /** Reads the child's output again after onLine returned false. */
  resumeOutput(): void;
}

/** Why a child could not be spawned; the message names the process, the key and the path. */
export class SpawnError extends Error {
  constructor(
    readonly code: 'not-found' | 'not-executable' | 'no-cwd' | 'other',
    message: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}

export interface CommandOptions {
  readonly shell: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** ms; then the command and its tree are killed. */
  readonly timeout: number;
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: string | null;
  /** True when it was killed because it outlived its timeout. */
  readonly timedOut: boolean;
}

export interface ProcessLauncher {
  spawn(request: SpawnRequest, handlers: ChildHandlers): Promise<Child>;
  /** The platform's graceful request: SIGTERM to the process group on POSIX, Ctrl+C on Windows. */
  graceful(child: Child): void;
  /** A named signal to the child's process group (POSIX only). */
  signal(child: Child, signal: string): void;
  /**
   * A Windows stop request (Windows only; undefined elsewhere): Ctrl+C or Ctrl+Break to the
   * child's own console, or WM_CLOSE to its tree's top-level windows. A failure to deliver is
   * reported by the launcher; the step's timeout goes on either way.
   */
  request?(child: Child, what: 'ctrl_c' | 'ctrl_break' | 'wm_close'): void;
  /** Freezes the child and every descendant (a Windows service PAUSE, for `pause: suspend`). */
  suspend(child: Child): void;
  /** Lets a suspended child and its descendants run again. */
  resume(child: Child): void;
  /** Kills the child and all its descendants at once; resolves when none is left. */
  killTree(child: Child): Promise<void>;
  /** Runs a helper command (a `command` stop step, an `exec` probe) to completion or its timeout. */
  runCommand(command: readonly string[], options: CommandOptions): Promise<CommandResult>;
}
