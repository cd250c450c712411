// RSS growth over restarts: `corral run` with one child that exits at once (`true`, restart always,
// delay 0) and the floor host doing the same, at the same time; each host's VmRSS is read when
// its output shows `first` restarts and `warmup` restarts (the heap growing to the loop's
// allocation rate, shown apart), again `restarts` later (the measure), and once more after as
// many again (to tell growth that levels off from growth that goes on). Each reading is the
// median of several taken over the next restarts (sampleAt).
import fs from 'node:fs';
import path from 'node:path';
import { CORRAL_BIN, FLOOR_HOST, launchHost } from './hosts.mjs';
import { manifestYaml, QUICK_RESTART } from './manifests.mjs';
import { sampleProcs } from './proc-sample.mjs';
import { withDeadline } from './time.mjs';

const COMMAND = ['true'];
const DEADLINE_MS = 90_000;

/** `{ corral, floor }`: each `{ before, after, later }` samples of the host's own processes (sampleProcs). */
export async function measureRssGrowth({ first, warmup, restarts, temp, tracker }) {
  const file = path.join(temp, 'restart-loop.yaml');
  fs.writeFileSync(
    file,
    manifestYaml('bench-rss', [{ name: 'loop', command: COMMAND, restart: QUICK_RESTART }]),
  );
  const hosts = {
    // corral logs each restart: "loop       | exited with code 0; restart 7 in 0 ms".
    corral: {
      host: launchHost('corral run', [CORRAL_BIN, 'run', file], tracker),
      line: /; restart \d+ in \d+ ms$/,
    },
    floor: {
      host: launchHost('floor host', [FLOOR_HOST, 'loop', ...COMMAND], tracker),
      line: /^RESTART \d+$/,
    },
  };
  try {
    const results = await withDeadline(
      Promise.all(
        Object.values(hosts).map(({ host, line }) => sampleAt(host, line, first, warmup, restarts)),
      ),
      DEADLINE_MS,
      `${warmup + 2 * restarts} restarts from both hosts`,
    );
    return { corral: results[0], floor: results[1] };
  } finally {
    await Promise.all(Object.values(hosts).map(({ host }) => host.stop()));
  }
}

/** Samples per point, `SPREAD` restarts apart: RSS moves with each GC cycle, one reading is noise. */
const SAMPLES = 9;
const SPREAD = 10;

/**
 * Counts the host's restart lines; samples it at `first`, `warmup`, `warmup + restarts` and
 * `warmup + 2 × restarts`, each point the sample of median RSS among SAMPLES readings taken SPREAD
 * restarts apart from that count on.
 */
function sampleAt(host, line, first, warmup, restarts) {
  const bases = [first, warmup, warmup + restarts, warmup + 2 * restarts];
  const due = bases.flatMap((base, point) =>
    Array.from({ length: SAMPLES }, (_, i) => ({ count: base + i * SPREAD, point })),
  );
  const points = bases.map(() => []);
  let count = 0;
  let next = 0;
  return Promise.race([
    host.died,
    new Promise((resolve) => {
      const off = host.onLine((text) => {
        if (!line.test(text) || ++count !== due[next].count) return;
        points[due[next].point].push(sampleProcs(host.ownProcesses()));
        if (++next < due.length) return;
        off();
        const [start, before, after, later] = points.map(median);
        resolve({ start, before, after, later, samples: points });
      });
    }),
  ]);
}

function median(samples) {
  return [...samples].sort((a, b) => a.rssKb - b.rssKb)[samples.length >> 1];
}
