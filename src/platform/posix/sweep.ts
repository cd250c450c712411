// Killing everything below this process (Linux): the last step of both halves of the keeper pair
// (keeper.ts). It works because both halves are child subreapers: nothing they started can leave
// their subtree by forking, exiting its parent or calling setsid, so "every /proc descendant" is
// every process corral is answerable for (docs/design/linux-containment.md, "Keeper algorithm").
//
// Each pass SIGKILLs every live descendant whose start time still matches the snapshot (a pid can
// be reused between the scan and the kill), and reaps the zombie children libuv does not own. A
// tree that forks while it dies shows up in the next pass, so passes repeat until none is left.
import { reapIfZombie } from './libc.js';
import { descendantsOf, killIfSame, listProcesses, type ProcStat } from './proc.js';

/** How long a sweep keeps killing before it reports the survivors (a process stuck in state D). */
export const SWEEP_DEADLINE_MS = 5_000;
const PASS_INTERVAL_MS = 5;

export interface SweepOptions {
  /** A pid libuv spawned and still waits for (its zombie is libuv's to reap, never ours). */
  readonly isOwnChild: (pid: number) => boolean;
}

export interface SweepResult {
  /** Every process sent SIGKILL, once each, in the order they were found. */
  readonly killed: readonly ProcStat[];
  /** Processes still alive at the deadline; empty when the sweep succeeded. */
  readonly survivors: readonly ProcStat[];
  readonly ms: number;
}

/**
 * One pass, synchronously: SIGKILLs every live descendant (recording each in `killed`) and reaps
 * our zombie children that libuv does not own. Returns those found alive or left unreaped.
 */
export function killPass(options: SweepOptions, killed: Map<string, ProcStat>): ProcStat[] {
  const self = process.pid;
  const snapshot = listProcesses();
  const left: ProcStat[] = [];
  for (const p of descendantsOf(self, snapshot)) {
    if (p.state === 'Z') continue;
    left.push(p);
    if (killIfSame(p)) {
      const key = `${p.pid}/${p.startTime}`;
      if (!killed.has(key)) killed.set(key, p);
    }
  }
  for (const p of snapshot) {
    if (p.ppid !== self || p.state !== 'Z' || options.isOwnChild(p.pid)) continue;
    if (reapIfZombie(p.pid) === null) left.push(p);
  }
  return left;
}

/** Passes until nothing is left below this process, or SWEEP_DEADLINE_MS has passed. */
export async function sweep(
  options: SweepOptions,
  killed = new Map<string, ProcStat>(),
): Promise<SweepResult> {
  const began = performance.now();
  for (;;) {
    const left = killPass(options, killed);
    const ms = performance.now() - began;
    const alive = left.filter((p) => p.state !== 'Z');
    if (left.length === 0 || ms > SWEEP_DEADLINE_MS)
      return { killed: [...killed.values()], survivors: alive, ms };
    await new Promise((resolve) => setTimeout(resolve, PASS_INTERVAL_MS));
  }
}

/** "3 processes: 4120 (node), 4133 (node), 4150 (sleep)". */
export function describeProcesses(list: readonly ProcStat[]): string {
  const names = list.map((p) => `${p.pid} (${p.comm})`).join(', ');
  return `${list.length} process${list.length === 1 ? '' : 'es'}${list.length === 0 ? '' : `: ${names}`}`;
}
