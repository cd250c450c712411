// Reaps the orphans a child subreaper adopts (Linux). Once corral calls setChildSubreaper(), every
// descendant whose parent dies is reparented to corral, and when it exits it stays a zombie of
// corral until corral waits for it: libuv waits only for the pids it spawned. Measured, 20 adopted
// orphans left 20 zombies (docs/design/linux-containment.md, "Zombies in a subreaper").
//
// Why it works this way:
// - It never calls waitpid(-1): that can take the status of a child libuv spawned, whose 'exit'
//   event then never fires (measured: 1 of 20 stolen). It waits for one pid at a time, and only for
//   zombies that are our children and that libuv does not own.
// - It runs on SIGCHLD, not on a timer: the kernel sends this process SIGCHLD for each child that
//   exits, adopted ones included, and also when a child that is already a zombie is reparented
//   here. Nothing polls, so an idle supervisor costs no CPU. Signals coalesce, so each SIGCHLD
//   reaps every zombie found in one /proc scan, not just one.
// - It scans /proc because Linux offers no way to list the zombies among our children without
//   reaping them, and /proc/<pid>/task/<tid>/children may be missing (CONFIG_PROC_CHILDREN).
import { listProcesses } from './proc.js';
import { reapIfZombie, type WaitResult } from './libc.js';

export interface OrphanReaperOptions {
  /**
   * True for a pid this process spawned through child_process (libuv waits for those and must get
   * their status). It must answer true from the moment spawn() returns the pid until that child's
   * 'exit' event, and should forget the pid after 'exit', since the pid may then be reused by an
   * orphan. Every child spawned in this process counts, including any spawned by worker threads.
   */
  isOwnChild(pid: number): boolean;
  /** Called once for each adopted orphan reaped, with how it ended. */
  onReaped?(pid: number, result: WaitResult): void;
}

export interface OrphanReaper {
  /** Stops listening for SIGCHLD. Orphans that die afterwards stay zombies. */
  stop(): void;
}

/**
 * Starts reaping adopted orphans on every SIGCHLD, after one immediate pass for any that died
 * before it started. Linux only. The SIGCHLD listener does not keep the process alive.
 */
export function startOrphanReaper(options: OrphanReaperOptions): OrphanReaper {
  if (process.platform !== 'linux') {
    throw new Error(
      `startOrphanReaper: needs Linux (/proc and child subreapers); this is ${process.platform}`,
    );
  }
  const self = process.pid;
  const reap = (): void => {
    for (const p of listProcesses()) {
      if (p.ppid !== self || p.state !== 'Z' || options.isOwnChild(p.pid)) continue;
      // Null when the zombie is a thread-group leader whose other threads still run: not yet
      // reapable, and its final exit will send another SIGCHLD.
      const result = reapIfZombie(p.pid);
      if (result !== null) options.onReaped?.(p.pid, result);
    }
  };
  process.on('SIGCHLD', reap);
  reap();
  return {
    stop() {
      process.off('SIGCHLD', reap);
    },
  };
}
