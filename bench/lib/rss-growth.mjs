// RSS growth over restarts: `corral run` with one child that exits at once (`true`, restart always,
// delay 0) and the floor host doing the same, at the same time; each host's VmRSS is read when
// its output shows `warmup` restarts, again `restarts` later (the measure), and once more after
// as many again (to tell growth that levels off from growth that goes on).
import fs from 'node:fs';
import path from 'node:path';
import { CORRAL_BIN, FLOOR_HOST, launchHost } from './hosts.mjs';
import { manifestYaml, QUICK_RESTART } from './manifests.mjs';
import { sampleProcs } from './proc-sample.mjs';
import { withDeadline } from './time.mjs';

const COMMAND = ['true'];
const DEADLINE_MS = 90_000;

/** `{ corral, floor }`: each `{ before, after, later }` samples of the host's own processes (sampleProcs). */
export async function measureRssGrowth({ warmup, restarts, temp, tracker }) {
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
      Promise.all(Object.values(hosts).map(({ host, line }) => sampleAt(host, line, warmup, restarts))),
      DEADLINE_MS,
      `${warmup + 2 * restarts} restarts from both hosts`,
    );
    return { corral: results[0], floor: results[1] };
  } finally {
    await Promise.all(Object.values(hosts).map(({ host }) => host.stop()));
  }
}

/** Counts the host's restart lines; samples it at `warmup`, `warmup + restarts` and `warmup + 2 × restarts`. */
function sampleAt(host, line, warmup, restarts) {
  const at = [warmup, warmup + restarts, warmup + 2 * restarts];
  const samples = [];
  let count = 0;
  return Promise.race([
    host.died,
    new Promise((resolve) => {
      const off = host.onLine((text) => {
        if (!line.test(text) || ++count !== at[samples.length]) return;
        samples.push(sampleProcs(host.ownProcesses()));
        if (samples.length < at.length) return;
        off();
        const [before, after, later] = samples;
        resolve({ before, after, later });
      });
    }),
  ]);
}
