// The two stamp children of the restart-latency measure, and the stamp they print:
// `STAMP <pid> <seconds>.<microseconds>` of wall time, taken as the child's first instruction.
//   node  bench/child-stamp.mjs: what the issue asks for; its figure includes Node's own boot.
//   bash  reads $EPOCHREALTIME as its first command, then execs sleep: a child whose boot costs
//         about a millisecond, so the figure is mostly the supervisor's own work.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { wallNow } from './time.mjs';

const BENCH = path.dirname(import.meta.dirname);

export const STAMP_CHILDREN = {
  bash: ['bash', '-c', 't=$EPOCHREALTIME; echo "STAMP $$ $t"; exec sleep 307'],
  node: [process.execPath, path.join(BENCH, 'child-stamp.mjs')],
};

/** `{ pid, at }` (at: wall-clock ms) from a stamp line, or null for any other line. */
export function parseStamp(line) {
  const m = /^STAMP (\d+) (\d+)[.,](\d{6})$/.exec(line);
  if (m === null) return null;
  return { pid: Number(m[1]), at: Number(m[2]) * 1000 + Number(m[3]) / 1000 };
}

/**
 * Checks that a child's wall stamp falls between the harness's readings before and after it ran
 * (so stamps and wallNow() share one clock), `times` times. Returns the worst violation in ms
 * (0 when every stamp fell inside) and the median time a bash stamp child took, start to exit.
 */
export function checkWallClock(times = 5) {
  let worst = 0;
  const spans = [];
  for (let i = 0; i < times; i++) {
    const before = wallNow();
    const out = spawnSync('bash', ['-c', 't=$EPOCHREALTIME; echo "STAMP $$ $t"'], { encoding: 'utf8' });
    const after = wallNow();
    const stamp = parseStamp(out.stdout.trim());
    if (stamp === null) throw new Error(`the bash stamp child printed ${JSON.stringify(out.stdout)}`);
    worst = Math.max(worst, before - stamp.at, stamp.at - after);
    spans.push(after - before);
  }
  return { worst, spans };
}
