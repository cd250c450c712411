// The C library calls corral makes on POSIX, and the only file that imports koffi for them (one
// file per platform reaches native code: STYLE.md). Why each call is needed, and the measurements
// behind the choices, are in docs/design/linux-containment.md.
//
// koffi and libc are loaded on the first call, not at import: the launcher imports this module on
// every platform and most tests never call it, so importing must cost nothing and never throw.
import { createRequire } from 'node:module';
import os from 'node:os';
import type * as Koffi from 'koffi';

const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;
const WNOHANG = 1;
/** O_CLOEXEC on Linux for x86-64 and arm64 (<asm-generic/fcntl.h>), the architectures Node ships for. */
const O_CLOEXEC = 0o2000000;
/** fcntl commands of Linux pipes (<linux/fcntl.h>: F_LINUX_SPECIFIC_BASE 1024 + 7, + 8). */
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;

/** How a reaped process ended: exactly one of the two is set, as in a child_process 'exit' event. */
export interface WaitResult {
  readonly code: number | null;
  /** The number of the signal that killed it (9 for SIGKILL). */
  readonly signal: number | null;
}

/** A libc call failed; the message names the call, the errno and what to do about it. */
export class LibcError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = 'LibcError';
  }
}

interface Libc {
  readonly koffi: typeof Koffi;
  readonly waitpid: (pid: number, status: number[], options: number) => number;
  readonly kill: (pid: number, signal: number) => number;
  readonly strerror: (errnum: number) => string;
  /** Null off Linux, where the symbol does not exist and declaring it would throw. */
  readonly prctl: Prctl | null;
  /** Null off Linux (macOS has no pipe2). */
  readonly pipe2: ((fds: number[], flags: number) => number) | null;
  /** Variadic, as declared in C: the optional argument comes as a type and a value ('int', n). */
  readonly fcntl: (fd: number, cmd: number, ...typedArgs: (string | number)[]) => number;
}

interface Prctl {
  readonly set: (option: number, arg2: number, arg3: number, arg4: number, arg5: number) => number;
  readonly get: (option: number, out: number[], arg3: number, arg4: number, arg5: number) => number;
}

let loaded: Libc | undefined;

function libc(): Libc {
  if (loaded !== undefined) return loaded;
  if (process.platform === 'win32') {
    throw new Error('platform/posix/libc: called on Windows, which has no C library calls like these');
  }
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  // null opens the program itself, whose symbol scope includes the C library Node is linked
  // against, whatever its file is called (libc.so.6 on glibc, another name on musl or macOS).
  const lib = koffi.load(null);
  loaded = {
    koffi,
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)') as Libc['waitpid'],
    kill: lib.func('int kill(int pid, int sig)') as Libc['kill'],
    strerror: lib.func('const char *strerror(int errnum)') as Libc['strerror'],
    prctl:
      process.platform === 'linux'
        ? {
            // Two prototypes for one symbol: PR_GET_* options take an int * where PR_SET_* take a value.
            set: lib.func(
              'int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)',
            ) as Prctl['set'],
            get: lib.func(
              'int prctl(int option, _Out_ int *arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)',
            ) as Prctl['get'],
          }
        : null,
    fcntl: lib.func('int fcntl(int fd, int cmd, ...)') as Libc['fcntl'],
    pipe2:
      process.platform === 'linux'
        ? (lib.func('int pipe2(_Out_ int *fds, int flags)') as NonNullable<Libc['pipe2']>)
        : null,
  };
  return loaded;
}

/** "EINVAL (Invalid argument)", or the bare number if the platform has no name for it. */
function describeErrno(errno: number): string {
  const name = Object.entries(os.constants.errno).find(([, value]) => value === errno)?.[0];
  return `${name ?? `errno ${errno}`} (${libc().strerror(errno)})`;
}

function prctlOf(what: string): Prctl {
  const { prctl } = libc();
  if (prctl === null) {
    throw new Error(`${what}: child subreapers exist only on Linux (prctl(2)); this is ${process.platform}`);
  }
  return prctl;
}

/**
 * Whether process group `pgid` still has a member: kill(-pgid, 0). process.kill does the same but
 * throws for the usual answer, ESRCH, and building that error cost ~8 µs, once per child exit.
 */
export function groupExists(pgid: number): boolean {
  const { kill, koffi } = libc();
  if (kill(-pgid, 0) === 0) return true;
  return koffi.errno() !== os.constants.errno.ESRCH;
}

/** The two ends of a pipe, as file descriptors. */
export interface PipeEnds {
  readonly read: number;
  readonly write: number;
}

/**
 * A pipe for a child's stdout or stderr, both ends close-on-exec: the child receives the write end
 * through dup2, which clears the flag on its copy, and no other child spawned meanwhile inherits
 * either end. Null where pipe2 does not exist (off Linux): the caller uses Node's stdio pipes.
 * Why corral makes its own: docs/design/performance.md ("Session 5").
 */
export function outputPipe(): PipeEnds | null {
  if (process.platform !== 'linux') return null;
  const { pipe2, koffi } = libc();
  if (pipe2 === null) return null;
  const fds = [-1, -1];
  if (pipe2(fds, O_CLOEXEC) === -1) {
    const errno = koffi.errno();
    const { EMFILE, ENFILE } = os.constants.errno;
    const hint =
      errno === EMFILE || errno === ENFILE
        ? ': too many files open; raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit)'
        : '';
    throw new LibcError(
      'pipe2',
      errno,
      `pipe2() for a child's output failed: ${describeErrno(errno)}${hint}`,
    );
  }
  return { read: fds[0] ?? -1, write: fds[1] ?? -1 };
}

/**
 * Asks for a pipe of `bytes` (Linux, F_SETPIPE_SZ), best effort: returns the capacity it has
 * afterwards, or null when it was refused, as it is past /proc/sys/fs/pipe-max-size or once the
 * user's pipes together pass pipe-user-pages-soft (then the pipe keeps its size and works as before).
 */
export function growPipe(fd: number, bytes: number): number | null {
  const { fcntl } = libc();
  const size = fcntl(fd, F_SETPIPE_SZ, 'int', bytes);
  return size === -1 ? null : size;
}

/** A pipe's capacity in bytes (F_GETPIPE_SZ), or null if `fd` is not a pipe. */
export function pipeSize(fd: number): number | null {
  const size = libc().fcntl(fd, F_GETPIPE_SZ);
  return size === -1 ? null : size;
}

/**
 * Makes this process the reaper of its orphaned descendants: a grandchild whose parent dies is
 * reparented here instead of to init, so it stays findable below corral (PR_SET_CHILD_SUBREAPER).
 * Not inherited by children. Adopted orphans become zombies here unless reaped (see reaper.ts).
 */
export function setChildSubreaper(): void {
  const prctl = prctlOf('setChildSubreaper');
  if (prctl.set(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === -1) {
    const errno = libc().koffi.errno();
    throw new LibcError(
      'prctl',
      errno,
      `prctl(PR_SET_CHILD_SUBREAPER, 1) failed: ${describeErrno(errno)}. corral needs Linux 3.4 or ` +
        `later to keep orphaned grandchildren in its tree.`,
    );
  }
}

export function isChildSubreaper(): boolean {
  const prctl = prctlOf('isChildSubreaper');
  const out = [0];
  if (prctl.get(PR_GET_CHILD_SUBREAPER, out, 0, 0, 0) === -1) {
    const errno = libc().koffi.errno();
    throw new LibcError('prctl', errno, `prctl(PR_GET_CHILD_SUBREAPER) failed: ${describeErrno(errno)}`);
  }
  return out[0] === 1;
}

/**
 * Decodes a wait status by the bit layout Linux and the BSDs share (the W* macros of <sys/wait.h>):
 * low 7 bits 0 means exited with the code in bits 8-15; 0x7f means stopped; else the killing signal.
 * Null for a stopped or continued process, which has not ended.
 */
export function decodeWaitStatus(status: number): WaitResult | null {
  const low = status & 0x7f;
  if (low === 0) return { code: (status >> 8) & 0xff, signal: null };
  if (low === 0x7f) return null;
  return { code: null, signal: low };
}

/**
 * Collects the exit status of one specific child if it has ended, so it stops being a zombie.
 * Null when it has not ended yet, or is not (or no longer) our child. Only ever for one positive
 * pid: waitpid(-1) or a process group could take the status of a child libuv spawned, and that
 * child's 'exit' event would never fire. So it must not be called for pids libuv owns either.
 */
export function reapIfZombie(pid: number): WaitResult | null {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new RangeError(`reapIfZombie: expected one process id (a whole number above 0), got ${pid}`);
  }
  const { waitpid, koffi } = libc();
  const status = [0];
  const result = waitpid(pid, status, WNOHANG);
  if (result === 0) return null;
  if (result === -1) {
    const errno = koffi.errno();
    if (errno === os.constants.errno.ECHILD) return null;
    throw new LibcError('waitpid', errno, `waitpid(${pid}, WNOHANG) failed: ${describeErrno(errno)}`);
  }
  return decodeWaitStatus(status[0] ?? 0);
}
