// The floor: a bare child_process.spawn doing the work corral's launcher does for a child — its
// own process group, stdout and stderr piped and read line by line — and nothing else.
// Plain Node only (floor-host.mjs imports it; nothing of corral may load in the floor's process).
import { spawn } from 'node:child_process';
import readline from 'node:readline';

export function floorSpawn(command, onLine = () => undefined) {
  const child = spawn(command[0], command.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  }
  return child;
}

/** SIGTERM to a floor child's process group (as corral's graceful step does). */
export function terminateGroup(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}
