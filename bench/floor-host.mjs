// The floor's host for the idle and RSS-growth measures: a bare Node process doing with
// child_process.spawn what `corral run` does there, and nothing more. It loads nothing of corral.
//   node bench/floor-host.mjs idle <n> <command…>   n copies; prints RUNNING once all have spawned
//   node bench/floor-host.mjs loop <command…>       runs it again on each exit; prints RESTART <count>
// On SIGTERM it sends SIGTERM to every child's process group and exits once they have exited.
import { floorSpawn, terminateGroup } from './lib/floor.mjs';

const [mode, ...rest] = process.argv.slice(2);
const children = new Set();
let stopping = false;

function start(command, onExit) {
  const child = floorSpawn(command);
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    if (stopping) {
      if (children.size === 0) process.exit(0);
    } else onExit?.();
  });
  return child;
}

if (mode === 'idle') {
  const [count, ...command] = rest;
  let spawned = 0;
  for (let i = 0; i < Number(count); i++) {
    start(command).once('spawn', () => {
      if (++spawned === Number(count)) process.stdout.write('RUNNING\n');
    });
  }
} else if (mode === 'loop') {
  let restarts = 0;
  const again = () => {
    restarts++;
    process.stdout.write(`RESTART ${restarts}\n`);
    start(rest, again);
  };
  start(rest, again);
} else {
  process.stderr.write('usage: floor-host.mjs idle <n> <command…> | loop <command…>\n');
  process.exit(2);
}

process.on('SIGTERM', () => {
  stopping = true;
  if (children.size === 0) process.exit(0);
  for (const child of children) terminateGroup(child);
});
