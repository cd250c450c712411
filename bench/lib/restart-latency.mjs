// Restart latency at zero restart delay: the harness SIGKILLs the child and measures, on the wall
// clock, until the replacement's first instruction (its stamp). corral (restart: always, delay 0)
// and the floor (a spawn in the 'exit' handler) each keep one stamp child; kills alternate between
// them, one restart in flight at a time, so both see the same machine.
import { supervise } from './corral.mjs';
import { floorSpawn, terminateGroup } from './floor.mjs';
import { manifestYaml, QUICK_RESTART, resolveManifest } from './manifests.mjs';
import { parseStamp } from './stamp.mjs';
import { delay, wallNow, withDeadline } from './time.mjs';

/** Between two kills: lets the last restart's remaining work finish before the next is timed. */
export const PAUSE_MS = 25;
const DEADLINE_MS = 10_000;

/** `{ corral, floor }`: the latencies in ms of `kills` restarts each, after `warmup` untimed ones. */
export async function measureRestartLatency({ command, kills, warmup, manifestFile, tracker }) {
  const yaml = manifestYaml('bench-restart', [{ name: 'stamp', command, restart: QUICK_RESTART }]);
  const sides = { corral: corralSide(resolveManifest(yaml, manifestFile)), floor: floorSide(command) };
  const samples = { corral: [], floor: [] };
  try {
    for (const side of Object.values(sides)) {
      const first = await withDeadline(side.start(), DEADLINE_MS, 'the first stamp');
      side.pid = first.pid;
      tracker.add(first.pid);
    }
    for (let i = 0; i < warmup + kills; i++) {
      for (const name of i % 2 === 0 ? ['corral', 'floor'] : ['floor', 'corral']) {
        const side = sides[name];
        const next = side.next();
        const killedAt = wallNow();
        process.kill(side.pid, 'SIGKILL');
        const stamp = await withDeadline(next, DEADLINE_MS, `${name}'s replacement of pid ${side.pid}`);
        if (i >= warmup) samples[name].push(stamp.at - killedAt);
        side.pid = stamp.pid;
        tracker.add(stamp.pid);
        await delay(PAUSE_MS);
      }
    }
  } finally {
    await Promise.all(Object.values(sides).map((side) => withDeadline(side.stop(), DEADLINE_MS, 'a stop')));
  }
  return samples;
}

/** Stamps, in order: next() is the first stamp printed after the call. */
class Stamps {
  #waiters = [];
  push(stamp) {
    for (const resolve of this.#waiters.splice(0)) resolve(stamp);
  }
  next() {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function corralSide(manifest) {
  const stamps = new Stamps();
  const supervisor = supervise(manifest);
  supervisor.on('log', (record) => {
    const stamp = record.event === 'output' ? parseStamp(record.message) : null;
    if (stamp !== null) stamps.push(stamp);
  });
  return {
    pid: 0,
    start() {
      const first = stamps.next();
      supervisor.start();
      return first;
    },
    next: () => stamps.next(),
    stop: () => supervisor.stop('benchmark done'),
  };
}

function floorSide(command) {
  const stamps = new Stamps();
  let child = null;
  let stopping = false;
  let stopped = () => undefined;
  const done = new Promise((resolve) => (stopped = resolve));
  const run = () => {
    child = floorSpawn(command, (line) => {
      const stamp = parseStamp(line);
      if (stamp !== null) stamps.push(stamp);
    });
    child.once('exit', () => (stopping ? stopped() : run()));
  };
  return {
    pid: 0,
    start() {
      const first = stamps.next();
      run();
      return first;
    },
    next: () => stamps.next(),
    stop() {
      stopping = true;
      if (child === null) return Promise.resolve();
      if (child.exitCode === null && child.signalCode === null) terminateGroup(child);
      else stopped();
      return done;
    },
  };
}
