// `npm run bench`: the core issue's performance targets, each measured on this machine side by
// side with a floor — a bare Node child_process.spawn doing the same work — in the same run, and
// judged as a ratio to it. Prints the table and writes it, with the machine and every raw sample,
// to bench/results/<date>-core.md. Exit status 1 when a target is missed or the run failed.
// Timing belongs here, never in a test (project rules).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { descendantsOf } from '../dist/platform/posix/proc.js';
import { measureIdle } from './lib/idle.mjs';
import { measureLogThroughput } from './lib/log-throughput.mjs';
import { markdownDocument, markdownTable, tableRows } from './lib/report.mjs';
import { measureRestartLatency } from './lib/restart-latency.mjs';
import { measureRssGrowth } from './lib/rss-growth.mjs';
import { checkWallClock, STAMP_CHILDREN } from './lib/stamp.mjs';
import { measureStartStop } from './lib/start-stop.mjs';
import { delay } from './lib/time.mjs';
import { Tracker } from './lib/tracker.mjs';

const CONFIG = {
  restart: { kills: 35, warmup: 3 },
  startStop: { count: 200, rounds: 7, warmup: 1 },
  idle: { children: 50, settle: 15, seconds: 30, every: 5 },
  rss: { first: 100, warmup: 500, restarts: 1000 },
  logs: { mb: 200, rotateMb: 10, rounds: 11 },
};
const BENCH = import.meta.dirname;

const tracker = new Tracker();
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-bench-'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    tracker.killAll();
    fs.rmSync(temp, { recursive: true, force: true });
    process.exit(128 + os.constants.signals[signal]);
  });
}

const startedAt = new Date();
const loadBefore = loadAverage();
const t0 = performance.now();
const results = {};
const notes = [];
let failure = null;
try {
  const clock = checkWallClock();
  notes.push(
    clock.worst <= 0
      ? `Wall clock check: ${clock.spans.length} bash stamps all fell between the harness's readings before and after (spawn to exit: ${clock.spans.map((v) => v.toFixed(1)).join(', ')} ms).`
      : `Wall clock check: a bash stamp fell ${clock.worst.toFixed(3)} ms outside the harness's readings around it; latencies may be off by as much.`,
  );
  const manifestFile = path.join(BENCH, 'bench.yaml'); // never written: names the children's cwd (bench/)
  results.restart = {};
  for (const [name, command] of Object.entries(STAMP_CHILDREN)) {
    results.restart[name] = await step(`restart latency (${name} stamp child)`, () =>
      measureRestartLatency({ command, ...CONFIG.restart, manifestFile, tracker }),
    );
  }
  results.startStop = await step(`start and stop ${CONFIG.startStop.count}`, () =>
    measureStartStop({ ...CONFIG.startStop, manifestFile, tracker }),
  );
  results.idle = await step(`idle ${CONFIG.idle.seconds} s`, () =>
    measureIdle({ ...CONFIG.idle, temp, tracker }),
  );
  results.rss = await step(`RSS over ${CONFIG.rss.restarts} restarts`, () =>
    measureRssGrowth({ ...CONFIG.rss, temp, tracker }),
  );
  results.logs = await step(`log throughput, ${CONFIG.logs.mb} MB`, () =>
    measureLogThroughput({ ...CONFIG.logs, temp, tracker }),
  );
} catch (error) {
  failure = error;
} finally {
  const leftBehind = tracker.alive();
  tracker.killAll();
  fs.rmSync(temp, { recursive: true, force: true });
  const stillAlive = await settleLeftovers();
  notes.push(
    leftBehind.length === 0
      ? `Cleanup: every process the run started had exited by the end of its measure; none left (checked by pid + start time, and /proc for descendants of the harness).`
      : `Cleanup: ${leftBehind.length} process(es) still ran after their measure (pids ${leftBehind.map((w) => w.pid).join(', ')}); killed.`,
  );
  if (stillAlive.length > 0) {
    failure ??= new Error(`processes left after cleanup: ${stillAlive.join(', ')}`);
  }
}

if (failure !== null) {
  process.stderr.write(`bench failed: ${failure.stack ?? failure}\n`);
  process.exitCode = 1;
} else {
  const rows = tableRows(results, CONFIG);
  const date = localDate(startedAt);
  const document = markdownDocument({
    date,
    machine: describeMachine(),
    run: {
      startedAt: startedAt.toISOString(),
      seconds: (performance.now() - t0) / 1000,
      commit: commitDescription(),
      loadBefore,
      loadAfter: loadAverage(),
    },
    rows,
    results,
    config: CONFIG,
    notes,
  });
  const file = path.join(BENCH, 'results', `${date}-core.md`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, document);
  process.stdout.write(
    `\n${markdownTable(rows)}\n\n${notes.join('\n')}\nwritten to ${path.relative(process.cwd(), file)}\n`,
  );
  if (rows.some((row) => row.ok === false)) process.exitCode = 1;
}

async function step(what, measure) {
  process.stderr.write(`bench: ${what}…`);
  const began = performance.now();
  const result = await measure();
  process.stderr.write(` ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  return result;
}

/** Waits up to 3 s for killed processes to go; returns what is still alive (tracked, or below us). */
async function settleLeftovers() {
  for (let i = 0; ; i++) {
    const alive = [
      ...tracker.alive().map((who) => who.pid),
      ...descendantsOf(process.pid)
        .filter((p) => p.state !== 'Z')
        .map((p) => p.pid),
    ];
    if (alive.length === 0 || i === 30) return [...new Set(alive)];
    await delay(100);
  }
}

function describeMachine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown CPU',
    cpus: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

function loadAverage() {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

function commitDescription() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: BENCH, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'commit unknown';
  }
}

function localDate(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
