// Idle cost: `corral run` over a manifest of `children` sleeps, and the floor host holding as many,
// run at the same time (so both see the same machine), each sampled from /proc (CPU time, VmRSS)
// every `every` seconds for `settle + seconds` seconds, starting once both report all children
// running. The judged window is the last `seconds`: in the first seconds after start-up every Node
// process still does start-up work it deferred, chiefly V8's memory reducer, a full garbage
// collection 8 s after the allocations stop (--gc-memory-reducer-start-delay-ms=8000), once.
// corral has two Node processes (the keeper and the supervisor), the floor one; the report shows
// that settling window too.
import fs from 'node:fs';
import path from 'node:path';
import { CORRAL_BIN, FLOOR_HOST, launchHost } from './hosts.mjs';
import { manifestYaml, SLEEP } from './manifests.mjs';
import { sampleProcs } from './proc-sample.mjs';
import { delay, withDeadline } from './time.mjs';

const UP_DEADLINE_MS = 60_000;

/**
 * `{ corral, floor }`: the samples ({ at, cpuMs, rssKb, parts }) of each host's own processes
 * (hosts.mjs ownProcesses), first at t = 0.
 */
export async function measureIdle({ children, settle, seconds, every, temp, tracker }) {
  const file = path.join(temp, 'idle.yaml');
  const processes = Array.from({ length: children }, (_, i) => ({ name: `p${i}`, command: SLEEP }));
  fs.writeFileSync(file, manifestYaml('bench-idle', processes));
  const hosts = {
    corral: launchHost('corral run', [CORRAL_BIN, 'run', file], tracker),
    floor: launchHost('floor host', [FLOOR_HOST, 'idle', String(children), ...SLEEP], tracker),
  };
  try {
    await withDeadline(
      Promise.all([
        hosts.corral.line(/\| status: running$/, UP_DEADLINE_MS, 'status: running'),
        hosts.floor.line(/^RUNNING$/, UP_DEADLINE_MS, 'RUNNING'),
      ]),
      UP_DEADLINE_MS,
      'both idle hosts to run their children',
    );
    for (const host of Object.values(hosts)) tracker.addTree(host.pid);
    const own = { corral: hosts.corral.ownProcesses(), floor: hosts.floor.ownProcesses() };
    const samples = { corral: [], floor: [] };
    const t0 = performance.now();
    for (let t = 0; t <= settle + seconds; t += every) {
      await delay(t0 + t * 1000 - performance.now());
      for (const name of ['corral', 'floor']) samples[name].push(sampleProcs(own[name]));
    }
    return samples;
  } finally {
    await Promise.all(Object.values(hosts).map((host) => host.stop()));
  }
}
