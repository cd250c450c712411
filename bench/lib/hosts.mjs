// Supervisors run as processes of their own, for the measures that watch a whole process (idle
// CPU and RSS, RSS growth): `corral run <manifest>` as shipped, and floor-host.mjs for the floor.
// Each host gets its own process group; stop() asks it to stop (SIGTERM), then kills the group.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { descendantsOf } from '../../dist/platform/posix/proc.js';
import { withDeadline } from './time.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const CORRAL_BIN = path.join(ROOT, 'bin/corral.js');
export const FLOOR_HOST = path.join(ROOT, 'bench/floor-host.mjs');

const NODE = fs.realpathSync(process.execPath);

/** Starts `node <args>`; every line it prints (stdout or stderr) goes to the onLine listeners. */
export function launchHost(name, args, tracker) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) tracker.add(child.pid);
  const listeners = new Set();
  const tail = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      for (const listener of listeners) listener(line);
    });
  }
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const describe = () => `${name} (pid ${child.pid}); its last lines:\n  ${tail.join('\n  ')}`;
  const died = exited.then(({ code, signal }) => {
    throw new Error(`${name} host exited (${code ?? signal}) early; its last lines:\n  ${tail.join('\n  ')}`);
  });
  died.catch(() => undefined);

  return {
    name,
    pid: child.pid,
    /**
     * The supervisor's own processes: the host and every Node process below it (`corral run` may
     * run its supervisor as a child process), not the children it supervises.
     */
    ownProcesses() {
      return [
        child.pid,
        ...descendantsOf(child.pid)
          .map((p) => p.pid)
          .filter(isNode),
      ];
    },
    /** Rejects when the host exits (early or not): race it against what you wait for. */
    died,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Resolves with the first line from now on that matches; rejects if the host exits first. */
    line(regex, ms, what) {
      const found = new Promise((resolve) => {
        const off = this.onLine((line) => {
          if (!regex.test(line)) return;
          off();
          resolve(line);
        });
      });
      return withDeadline(Promise.race([found, died]), ms, () => `${what} from ${describe()}`);
    },
    /** SIGTERM, then after `ms` SIGKILL to its process group; resolves once it has exited. */
    async stop(ms = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      try {
        return await withDeadline(exited, ms, () => `${name} to exit after SIGTERM`);
      } catch {
        process.kill(-child.pid, 'SIGKILL');
        return exited;
      }
    },
  };
}

function isNode(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`) === NODE;
  } catch {
    return false;
  }
}
