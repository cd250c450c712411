// A process's CPU time and resident memory, read from /proc the same way for corral and the floor.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** `{ at, cpuMs, rssKb }`: when (monotonic ms), user + system CPU so far (all threads), VmRSS. */
export function sampleProc(pid) {
  const at = performance.now();
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after comm (which may contain spaces); utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[14 - 3]) + Number(rest[15 - 3]);
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return { at, cpuMs: (ticks * 1000) / CLOCK_TICKS, rssKb };
}

/**
 * The processes together: `{ at, cpuMs, rssKb, parts }`, CPU and VmRSS summed (a page two of them
 * share counts twice), `parts` holding each one's own sample.
 */
export function sampleProcs(pids) {
  const parts = pids.map((pid) => ({ pid, ...sampleProc(pid) }));
  const sum = (key) => parts.reduce((total, part) => total + part[key], 0);
  return { at: parts[0].at, cpuMs: sum('cpuMs'), rssKb: sum('rssKb'), parts };
}

/** CPU use between two samples, in percentage points of one core. */
export function cpuPoints(from, to) {
  return ((to.cpuMs - from.cpuMs) / (to.at - from.at)) * 100;
}

/** How fine the CPU figures are: one clock tick. */
export const CPU_TICK_MS = 1000 / CLOCK_TICKS;
