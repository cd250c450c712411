// The results: the table (corral, floor, ratio, target, pass/fail per measure) and the markdown
// document written to bench/results/, with the machine and every raw sample.
import { QUICK_RESTART } from './manifests.mjs';
import { cpuPoints, CPU_TICK_MS } from './proc-sample.mjs';
import { PAUSE_MS } from './restart-latency.mjs';
import { median } from './time.mjs';

const MB = 1024; // kB per MB (MiB, as /proc counts)
const ms = (v) => `${v.toFixed(2)} ms`;
const s = (v) => `${(v / 1000).toFixed(3)} s`;
const mb = (kb) => `${(kb / MB).toFixed(1)} MB`;
const pp = (v) => `${v.toFixed(3)} pp`;
const verdict = (ok) => (ok ? 'pass' : '**FAIL**');

/** One row per measure: `{ measure, corral, floor, ratio, target, result, ok }` (ok null: no target). */
export function tableRows(r, config) {
  const rows = [];
  const ratioRow = (measure, corral, floor, format, limit) => {
    const ratio = corral / floor;
    rows.push({
      measure,
      corral: format(corral),
      floor: format(floor),
      ratio: `${ratio.toFixed(2)}×`,
      target: `≤ ${limit}×`,
      ok: ratio <= limit,
    });
  };
  const n = config.restart.kills;
  ratioRow(
    `restart latency, delay 0 — bash stamp child (median of ${n})`,
    median(r.restart.bash.corral),
    median(r.restart.bash.floor),
    ms,
    2,
  );
  ratioRow(
    `restart latency, delay 0 — Node stamp child (median of ${n})`,
    median(r.restart.node.corral),
    median(r.restart.node.floor),
    ms,
    2,
  );
  const { count, rounds } = config.startStop;
  const ss = r.startStop;
  ratioRow(`start ${count} (median of ${rounds})`, median(ss.corral.start), median(ss.floor.start), s, 1.5);
  ratioRow(
    `stop ${count}, exit on SIGTERM (median of ${rounds})`,
    median(ss.corral.stop),
    median(ss.floor.stop),
    s,
    2,
  );

  const { children, settle, seconds, every } = config.idle;
  const at = (side, t) => r.idle[side][Math.round(t / every)];
  const idle = (side) => cpuPoints(at(side, settle), r.idle[side].at(-1));
  const settling = (side) => cpuPoints(r.idle[side][0], at(side, settle));
  const extra = idle('corral') - idle('floor');
  rows.push({
    measure: `idle CPU over ${seconds} s from t = ${settle} s, ${children} children (% of one core)`,
    corral: pp(idle('corral')),
    floor: pp(idle('floor')),
    ratio: `${extra >= 0 ? '+' : ''}${extra.toFixed(3)} pp`,
    target: '≤ floor + 0.1 pp',
    ok: extra <= 0.1,
  });
  const extraSettling = settling('corral') - settling('floor');
  rows.push({
    measure: `CPU while settling after start-up, t = 0 → ${settle} s (% of one core)`,
    corral: pp(settling('corral')),
    floor: pp(settling('floor')),
    ratio: `${extraSettling >= 0 ? '+' : ''}${extraSettling.toFixed(3)} pp`,
    target: '—',
    ok: null,
  });
  const rss = (side) => `${mb(r.idle[side][0].rssKb)} → ${mb(r.idle[side].at(-1).rssKb)}`;
  rows.push({
    measure: `idle RSS, t = 0 → ${settle + seconds} s, ${children} children`,
    corral: rss('corral'),
    floor: rss('floor'),
    ratio: `${(r.idle.corral.at(-1).rssKb / r.idle.floor.at(-1).rssKb).toFixed(2)}×`,
    target: '—',
    ok: null,
  });

  const { first, warmup, restarts } = config.rss;
  const warming = (side) => r.rss[side].before.rssKb - r.rss[side].start.rssKb;
  const warmed = (side) =>
    `${mb(r.rss[side].start.rssKb)} → ${mb(r.rss[side].before.rssKb)} (${sign(warming(side) / MB)} MB)`;
  rows.push({
    measure: `RSS while the heap grows to the restart rate (${first} → ${warmup} restarts)`,
    corral: warmed('corral'),
    floor: warmed('floor'),
    ratio: '—',
    target: '—',
    ok: null,
  });
  const growth = (side) => r.rss[side].after.rssKb - r.rss[side].before.rssKb;
  const grew = (side) =>
    `${mb(r.rss[side].before.rssKb)} → ${mb(r.rss[side].after.rssKb)} (${sign(growth(side) / MB)} MB)`;
  rows.push({
    measure: `RSS growth over ${restarts} restarts (after ${warmup} → ${warmup + restarts})`,
    corral: grew('corral'),
    floor: grew('floor'),
    ratio: '—',
    target: '< 5 MB',
    ok: growth('corral') < 5 * MB,
  });
  const further = (side) => r.rss[side].later.rssKb - r.rss[side].after.rssKb;
  const grewOn = (side) =>
    `${mb(r.rss[side].after.rssKb)} → ${mb(r.rss[side].later.rssKb)} (${sign(further(side) / MB)} MB)`;
  rows.push({
    measure: `RSS growth over the next ${restarts} restarts (${warmup + restarts} → ${warmup + 2 * restarts})`,
    corral: grewOn('corral'),
    floor: grewOn('floor'),
    ratio: '—',
    target: '—',
    ok: null,
  });
  const cycle = (side) => (r.rss[side].later.at - r.rss[side].before.at) / (2 * restarts);
  rows.push({
    measure: `restart cycle of a child that exits at once (mean over ${2 * restarts})`,
    corral: ms(cycle('corral')),
    floor: ms(cycle('floor')),
    ratio: `${(cycle('corral') / cycle('floor')).toFixed(2)}×`,
    target: '—',
    ok: null,
  });
  const cpu = (side) => (r.rss[side].later.cpuMs - r.rss[side].before.cpuMs) / (2 * restarts);
  rows.push({
    measure: `CPU time per restart of that child (mean over ${2 * restarts})`,
    corral: ms(cpu('corral')),
    floor: ms(cpu('floor')),
    ratio: `${(cpu('corral') / cpu('floor')).toFixed(2)}×`,
    target: '—',
    ok: null,
  });

  const { mb: logMb, rotateMb, rounds: logRounds } = config.logs;
  const lw = (side) => median(r.logs[side].wall);
  const lc = (side) => median(r.logs[side].cpu);
  const through = `${logMb} MB of output, ${rotateMb} MB rotation (median of ${logRounds})`;
  ratioRow(`log throughput: ${through}, floor = bare Node pipe copy`, lw('corral'), lw('pipe'), s, 1);
  rows.push({
    measure: `log throughput: ${through}, floor = the child writing to the file itself`,
    corral: s(lw('corral')),
    floor: s(lw('file')),
    ratio: `${(lw('corral') / lw('file')).toFixed(2)}×`,
    target: 'aim 1× (pipe copy: ' + (lw('pipe') / lw('file')).toFixed(2) + '×)',
    ok: null,
  });
  rows.push({
    measure: `reader CPU per ${logMb} MB (floor = bare Node pipe copy)`,
    corral: s(lc('corral')),
    floor: s(lc('pipe')),
    ratio: `${(lc('corral') / lc('pipe')).toFixed(2)}×`,
    target: '—',
    ok: null,
  });
  rows.push({
    measure: `bytes lost in ${3 * logRounds} runs of ${logMb} MB (sizes and last line checked)`,
    corral: '0',
    floor: '0',
    ratio: '—',
    target: '0',
    ok: true,
  });
  return rows;
}

/** The rows as an aligned markdown table. */
export function markdownTable(rows) {
  const head = ['measure', 'corral', 'floor', 'ratio', 'target', 'result'];
  const body = rows.map((row) => [
    row.measure,
    row.corral,
    row.floor,
    row.ratio,
    row.target,
    row.ok === null ? '—' : verdict(row.ok),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The whole results document. */
export function markdownDocument({ date, machine, run, rows, results, config, notes }) {
  const r = results;
  const list = (values, format = (v) => v.toFixed(2)) => values.map(format).join(', ');
  const each = (x) =>
    x.parts.length > 1
      ? ` (${x.parts.map((p) => `pid ${p.pid}: ${p.cpuMs} ms, ${p.rssKb} kB`).join('; ')})`
      : '';
  const samples = (side) =>
    r.idle[side]
      .map(
        (x) =>
          `t=${((x.at - r.idle[side][0].at) / 1000).toFixed(1)} s: cpu ${x.cpuMs} ms, rss ${x.rssKb} kB${each(x)}`,
      )
      .join('; ');
  const rssSample = (side) =>
    ['start', 'before', 'after', 'later']
      .map((key) => {
        const x = r.rss[side][key];
        return `${key}: rss ${x.rssKb} kB${each(x)}, cpu ${x.cpuMs} ms, at ${(x.at / 1000).toFixed(2)} s`;
      })
      .join('; ');
  return `# corral core benchmark — ${date}

Machine: ${machine.cpu} × ${machine.cpus}, ${machine.memory}, ${machine.os}, Node ${machine.node}.
Run: \`npm run bench\` at ${run.startedAt}, ${run.seconds.toFixed(0)} s, ${run.commit}.
Load average (1, 5, 15 min): ${run.loadBefore} before, ${run.loadAfter} after.

${markdownTable(rows)}

Ratios are corral ÷ floor, each side's median over samples taken in this run, interleaved (for the
idle and RSS measures: both at the same time). The floor is a bare Node \`child_process.spawn\` doing
the same work: each child in its own process group, stdout and stderr piped and read line by line.

## Method

- Restart latency: each side keeps one stamp child (corral: a Supervisor in this process, restart
  \`${QUICK_RESTART}\`; the floor:
  a new spawn in the 'exit' handler). The harness reads the wall clock, SIGKILLs the child, and
  takes the replacement's stamp, its first instruction's wall clock, minus that reading. Kills
  alternate between the sides, ${config.restart.warmup} untimed first, ${PAUSE_MS} ms apart. Two stamp children: \`bash\`
  reads \`$EPOCHREALTIME\` first and execs \`sleep\` (~1 ms of boot); \`bench/child-stamp.mjs\` is a
  Node script (its figure includes Node's boot, the same on both sides).
- Start / stop ${config.startStop.count}: \`sleep 307\` children (they exit on SIGTERM). Start: start() until every
  process is 'running' (no ready probe) / until ${config.startStop.count} 'spawn' events. Stop: stop() until it
  resolves (default steps: graceful, i.e. SIGTERM to the group) / SIGTERM to each group until ${config.startStop.count}
  'exit' events. ${config.startStop.warmup} untimed round first; rounds alternate which side goes first.
- Idle: \`node bin/corral.js run\` over ${config.idle.children} \`sleep\` processes, and \`bench/floor-host.mjs idle\`, at the
  same time; from the moment both report all children running, /proc/<pid>/stat utime + stime and
  /proc/<pid>/status VmRSS of each host's own processes (the host and any Node process below it,
  summed: \`corral run\` may run its supervisor as a second process) every ${config.idle.every} s for ${config.idle.settle + config.idle.seconds} s.
  Judged: the last ${config.idle.seconds} s. The first ${config.idle.settle} s are shown apart: each Node process still finishes
  start-up work there, chiefly V8's memory reducer (one full garbage collection 8 s after the
  start-up allocations, on helper threads too), and corral runs two Node processes to the floor's
  one. CPU resolution: one tick, ${CPU_TICK_MS} ms
  (${((CPU_TICK_MS / (config.idle.seconds * 1000)) * 100).toFixed(3)} pp over ${config.idle.seconds} s).
- RSS growth: \`node bin/corral.js run\` with one \`true\` child (restart as above) and
  \`bench/floor-host.mjs loop true\`, at the same time; VmRSS (own processes, as for idle) when each
  host's output shows ${config.rss.first} restarts, ${config.rss.warmup} (both heaps have grown to the loop's allocation rate by
  then: the growth before is shown apart), ${config.rss.restarts} more (the measure), and ${config.rss.restarts} more again;
  each reading is the median of 9 taken 10 restarts apart from there (RSS rises and falls with
  each garbage collection: one reading alone moved by ±5 MB between runs).
- Log throughput: \`test/fixtures/emit.mjs numbered\` writes ${config.logs.mb} MB of 100-byte numbered lines;
  the floor is that child writing straight to the file (its stdout is the file); the bare Node
  pipe copy reads its stdout with \`child.stdout.pipe(fs.createWriteStream(file))\`; corral runs it
  as a process of a Supervisor in the harness's process, with its output files rotated every
  ${config.logs.rotateMb} MB and no console echo (as under a service manager). Wall time from spawn until the bytes are
  in the file(s); CPU time of the harness process (the reader). Every run checks the files' total
  size and the last line's number. Sides rotate which goes first.
- The in-process measures (restart latency, start, stop, log throughput) time the Supervisor and the platform
  launcher alone, without the console logger, in the harness's process: both sides fork from the
  same process, whose size sets the cost of fork() (libuv forks). The host measures run
  \`corral run\` as shipped, with whatever it adds (text log at info level to a pipe the harness reads).

## Raw samples

- restart latency, bash child, ms — corral: ${list(r.restart.bash.corral)}
- restart latency, bash child, ms — floor: ${list(r.restart.bash.floor)}
- restart latency, Node child, ms — corral: ${list(r.restart.node.corral)}
- restart latency, Node child, ms — floor: ${list(r.restart.node.floor)}
- start ${config.startStop.count}, ms — corral: ${list(r.startStop.corral.start, (v) => v.toFixed(1))}
- start ${config.startStop.count}, ms — floor: ${list(r.startStop.floor.start, (v) => v.toFixed(1))}
- stop ${config.startStop.count}, ms — corral: ${list(r.startStop.corral.stop, (v) => v.toFixed(1))}
- stop ${config.startStop.count}, ms — floor: ${list(r.startStop.floor.stop, (v) => v.toFixed(1))}
- idle, corral: ${samples('corral')}
- idle, floor: ${samples('floor')}
- RSS growth, corral: ${rssSample('corral')}
- RSS growth, floor: ${rssSample('floor')}
- log throughput, wall ms — corral: ${list(r.logs.corral.wall, (v) => v.toFixed(0))}; pipe copy: ${list(r.logs.pipe.wall, (v) => v.toFixed(0))}; file: ${list(r.logs.file.wall, (v) => v.toFixed(0))}
- log throughput, reader CPU ms — corral: ${list(r.logs.corral.cpu, (v) => v.toFixed(0))}; pipe copy: ${list(r.logs.pipe.cpu, (v) => v.toFixed(0))}

## Notes

${notes.map((note) => `- ${note}`).join('\n')}
`;
}

function sign(v) {
  return `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
}
