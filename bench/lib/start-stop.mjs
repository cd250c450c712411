// Starting and stopping many children that exit on SIGTERM (`sleep`). Start: from start() until all
// are spawned (corral: every process 'running', there being no ready probe; the floor: every
// 'spawn' event). Stop: from stop() until all have exited (corral: stop() resolves, its default
// steps being SIGTERM to the group then a kill; the floor: SIGTERM to each group, every 'exit').
// Rounds alternate which side goes first.
import { supervise } from './corral.mjs';
import { floorSpawn, terminateGroup } from './floor.mjs';
import { manifestYaml, resolveManifest, SLEEP } from './manifests.mjs';
import { delay, withDeadline } from './time.mjs';

/** Between the start and the stop of a round, and between rounds. */
const SETTLE_MS = 200;
const DEADLINE_MS = 60_000;

/** `{ corral: { start, stop }, floor: { start, stop } }`: ms per timed round. */
export async function measureStartStop({ count, rounds, warmup, manifestFile, tracker }) {
  const processes = Array.from({ length: count }, (_, i) => ({ name: `p${i}`, command: SLEEP }));
  const manifest = resolveManifest(manifestYaml('bench-start-stop', processes), manifestFile);
  const sides = {
    corral: () => corralRound(manifest, count, tracker),
    floor: () => floorRound(count, tracker),
  };
  const samples = { corral: { start: [], stop: [] }, floor: { start: [], stop: [] } };
  for (let round = 0; round < warmup + rounds; round++) {
    for (const name of round % 2 === 0 ? ['corral', 'floor'] : ['floor', 'corral']) {
      const { start, stop } = await sides[name]();
      if (round >= warmup) {
        samples[name].start.push(start);
        samples[name].stop.push(stop);
      }
      await delay(SETTLE_MS);
    }
  }
  return samples;
}

async function corralRound(manifest, count, tracker) {
  const supervisor = supervise(manifest);
  const pids = [];
  const errors = [];
  supervisor.on('log', (record) => {
    if (record.level === 'error') errors.push(`${record.process ?? 'corral'}: ${record.message}`);
  });
  const up = new Promise((resolve) => {
    supervisor.on('state', (_, state) => {
      if (state.kind === 'running' && pids.push(state.pid) === count) resolve(performance.now());
    });
  });
  const t0 = performance.now();
  supervisor.start();
  let t1;
  try {
    t1 = await withDeadline(up, DEADLINE_MS, () => `${count} corral children running; errors: ${errors}`);
  } finally {
    for (const pid of pids) tracker.add(pid);
  }
  await delay(SETTLE_MS);
  const t2 = performance.now();
  await withDeadline(supervisor.stop('benchmark'), DEADLINE_MS, 'corral to stop');
  const t3 = performance.now();
  return { start: t1 - t0, stop: t3 - t2 };
}

async function floorRound(count, tracker) {
  const children = [];
  let spawned = 0;
  const t0 = performance.now();
  const up = new Promise((resolve, reject) => {
    for (let i = 0; i < count; i++) {
      const child = floorSpawn(SLEEP);
      children.push(child);
      child.once('error', reject);
      child.once('spawn', () => {
        if (++spawned === count) resolve(performance.now());
      });
    }
  });
  let t1;
  try {
    t1 = await withDeadline(up, DEADLINE_MS, `${count} floor children spawned`);
  } finally {
    for (const child of children) if (child.pid !== undefined) tracker.add(child.pid);
  }
  await delay(SETTLE_MS);
  const exited = Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  const t2 = performance.now();
  for (const child of children) terminateGroup(child);
  await withDeadline(exited, DEADLINE_MS, 'the floor children to exit');
  const t3 = performance.now();
  return { start: t1 - t0, stop: t3 - t2 };
}
