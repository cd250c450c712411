// Reading Linux /proc: who a process is (pid + start time, so a reused pid is never mistaken for
// the process we started), and which processes descend from which. Used to kill whole trees and
// to clean up what a crashed supervisor left behind (docs/design/linux-containment.md).
import fs from 'node:fs';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** R, S, D, Z, T, ... (Z: a zombie, already dead). */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** Clock ticks after boot when the process started; with the pid, it names one process for good. */
  readonly startTime: number;
}

/** A process as we remember it: a pid alone can be reused by a stranger within seconds. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: number;
}

/**
 * Parses one /proc/<pid>/stat line. comm (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so the fields after it are found from the last ')'.
 */
export function parseStat(line: string): ProcStat | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open === -1 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  const rest = line
    .slice(close + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const field = (n: number) => Number(rest[n - 3]);
  const stat = {
    pid,
    comm: line.slice(open + 1, close),
    state: rest[0] ?? '',
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    startTime: field(22),
  };
  return Number.isInteger(pid) && Number.isFinite(stat.startTime) && stat.state !== '' ? stat : null;
}

/** The stat of a live process, or null when it does not exist (or vanished while being read). */
export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export function identify(pid: number): ProcessIdentity | null {
  const stat = readStat(pid);
  return stat === null ? null : { pid, startTime: stat.startTime };
}

/** True while the very process we identified still runs (not a zombie, and its pid not reused). */
export function isAlive(who: ProcessIdentity): boolean {
  const stat = readStat(who.pid);
  return stat !== null && stat.startTime === who.startTime && stat.state !== 'Z';
}

/**
 * SIGKILLs the process (or sends `signal`) if it is still the one identified (not exited, pid not
 * reused). Returns whether the signal was sent.
 */
export function killIfSame(who: ProcessIdentity, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!isAlive(who)) return false;
  try {
    process.kill(who.pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Every process visible in /proc now (processes that vanish mid-scan are skipped). */
export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat !== null) out.push(stat);
  }
  return out;
}

/**
 * The processes below `root` in the parent tree, nearest first (root itself excluded), from one
 * snapshot. A process that left the tree by being orphaned is found only if it was reparented
 * inside it — which is what making corral a child subreaper ensures.
 */
export function descendantsOf(root: number, snapshot: readonly ProcStat[] = listProcesses()): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of snapshot) {
    const siblings = children.get(p.ppid);
    if (siblings === undefined) children.set(p.ppid, [p]);
    else siblings.push(p);
  }
  const out: ProcStat[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    for (const child of children.get(queue[i] as number) ?? []) {
      if (child.pid === root) continue;
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}
