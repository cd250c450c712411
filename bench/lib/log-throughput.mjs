// Log throughput: one child writes `mb` MB of numbered 100-byte lines (test/fixtures/emit.mjs),
// and three sides take them to disk, interleaved round by round:
//   file   the child's stdout is the file itself (no reader: the floor);
//   pipe   a bare Node pipe copy: child.stdout.pipe(fs.createWriteStream(file));
//   corral the Supervisor with the platform launcher and the process's output files
//          (ProcessOutput, rotated every `rotateMb` MB), as `corral run` wires them, minus the
//          console echo (as under a service manager).
// Each round checks that every byte arrived (the size of the file set, and the last line's
// number). Wall time from spawn to the bytes being in the file(s); CPU time of this process (the
// reader: nothing for the floor) from process.cpuUsage(). Neither includes what comes before the
// spawn: corral's manifest is parsed and its Supervisor made before the clock starts, as the
// floors' file and stream objects are made in theirs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../dist/core/clock.js';
import { Supervisor } from '../../dist/core/supervisor.js';
import { processOutputs } from '../../dist/logging/process-output.js';
import { platformLauncher } from '../../dist/platform/select.js';
import { resolveManifest } from './manifests.mjs';
import { withDeadline } from './time.mjs';

const EMIT = path.resolve(import.meta.dirname, '../../test/fixtures/emit.mjs');
const WIDTH = 100;
const DEADLINE_MS = 120_000;

/** `{ file, pipe, corral }`: each `{ wall: ms[], cpu: ms[] }`, plus `lines` and `bytes` per round. */
export async function measureLogThroughput({ mb, rotateMb, rounds, temp, tracker }) {
  const lines = Math.floor((mb * 1024 * 1024) / WIDTH);
  const bytes = lines * WIDTH;
  const command = [process.execPath, EMIT, 'numbered', String(lines), String(WIDTH)];
  const samples = { file: { wall: [], cpu: [] }, pipe: { wall: [], cpu: [] }, corral: { wall: [], cpu: [] } };
  // Each side prepares, then returns the run that is timed.
  const sides = {
    file: (dir) => () => fileSide(command, dir, tracker),
    pipe: (dir) => () => pipeSide(command, dir, tracker),
    corral: (dir) => corralSide(command, dir, rotateMb),
  };
  const order = ['file', 'pipe', 'corral'];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < order.length; i++) {
      const name = order[(round + i) % order.length];
      const dir = path.join(temp, `logs-${name}-${round}`);
      fs.mkdirSync(dir, { recursive: true });
      const run = sides[name](dir);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await withDeadline(run(), DEADLINE_MS, `${name} to write ${mb} MB`);
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      checkComplete(dir, bytes, lines, name);
      samples[name].wall.push(wall);
      samples[name].cpu.push((cpu.user + cpu.system) / 1000);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { ...samples, lines, bytes };
}

function fileSide(command, dir, tracker) {
  const fd = fs.openSync(path.join(dir, 'out.log'), 'w');
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', fd, 'inherit'] });
  tracker.add(child.pid);
  return exited(child).finally(() => fs.closeSync(fd));
}

function pipeSide(command, dir, tracker) {
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  tracker.add(child.pid);
  const file = fs.createWriteStream(path.join(dir, 'out.log'));
  child.stdout.pipe(file);
  return Promise.all([exited(child), new Promise((resolve) => file.once('finish', resolve))]);
}

function corralSide(command, dir, rotateMb) {
  const yaml =
    `version: 1\nservice: { name: bench-logs }\nlog: { dir: ${JSON.stringify(dir)}, rotation: { size: ${rotateMb}MB, keep: 1000 } }\n` +
    `processes:\n  out:\n    command: ${JSON.stringify(command.map((c) => c.replaceAll('$', '$$$$')))}\n    restart: { policy: never }\n`;
  const manifest = resolveManifest(yaml, path.join(dir, 'bench.yaml'));
  const supervisor = new Supervisor(manifest, {
    launcher: platformLauncher(),
    clock: systemClock,
    random: Math.random,
    baseEnv: process.env,
    readEnvFile: () => ({}),
    echoOutput: false,
    openOutput: processOutputs({ clock: systemClock }),
  });
  return async () => {
    const done = new Promise((resolve, reject) => {
      supervisor.on('state', (_name, state) => {
        if (state.kind === 'exited') resolve();
        if (state.kind === 'failed' || state.kind === 'backoff')
          reject(new Error(`the writer ${state.kind}`));
      });
    });
    supervisor.start();
    await done;
    await supervisor.stop('bench');
    await supervisor.closeOutputs();
  };
}

function exited(child) {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
  });
}

/** Every byte is there: the files' sizes add up, and the last line carries the last number. */
function checkComplete(dir, bytes, lines, side) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
  const total = files.reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
  if (total !== bytes)
    throw new Error(`${side}: ${total} bytes on disk, ${bytes} written (${files.length} files)`);
  const current = files.includes('out.log') ? path.join(dir, 'out.log') : null;
  if (current === null) throw new Error(`${side}: no out.log in ${dir}`);
  const size = fs.statSync(current).size;
  const fd = fs.openSync(current, 'r');
  const tail = Buffer.alloc(WIDTH);
  fs.readSync(fd, tail, 0, WIDTH, size - WIDTH);
  fs.closeSync(fd);
  const last = Number(tail.toString('latin1', 0, 10));
  if (last !== lines - 1) throw new Error(`${side}: the last line is number ${last}, not ${lines - 1}`);
}
