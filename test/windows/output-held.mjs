// Rotation of an output file that another program holds open without sharing delete: the rename
// fails as it does on Windows (checked on a second held file), and rotation copies and empties the
// file instead. Every line must end up exactly once, in order, across the files.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { report, scenario, scratch, withTimeout } from './driver.mjs';

const { OutputFile } = await import('../../dist/logging/output-file.js');
const { rotatedFiles, currentFileName } = await import('../../dist/logging/output-files.js');
const { systemClock } = await import('../../dist/core/clock.js');

const holderScript = fileURLToPath(new URL('./hold-file.mjs', import.meta.url));

await scenario(async () => {
  const dir = path.join(scratch, 'logs');
  const problems = [];
  let drained = () => undefined;
  const file = new OutputFile({
    dir,
    stem: 'web',
    timestamps: false,
    rotation: { size: 4096, every: 'never', keep: 1000, max_age: null, compress: false },
    clock: systemClock,
    now: () => new Date(),
    onProblem: (message) => problems.push(message),
    onRecover: () => undefined,
    onDrain: () => drained(),
  });
  const lines = Array.from(
    { length: 3000 },
    (_, i) => `line ${String(i).padStart(6, '0')} ${'x'.repeat(i % 61)}`,
  );
  const write = async (text) => {
    if (!file.write({ bytes: Buffer.from(text), complete: true })) {
      await withTimeout(new Promise((resolve) => (drained = resolve)), 10_000, 'onDrain');
    }
  };
  await write(lines[0]);
  await withTimeout(file.flush(), 10_000, 'first flush');

  const current = path.join(dir, currentFileName('web'));
  const probe = path.join(dir, 'probe.txt');
  fs.writeFileSync(probe, 'probe\n');
  const holder = spawn(process.execPath, [holderScript, current, probe], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const held = await withTimeout(
    new Promise((resolve) => holder.stdout.once('data', (data) => resolve(String(data).trim()))),
    20_000,
    'the holder',
  );
  let probeRename = 'renamed';
  try {
    fs.renameSync(probe, `${probe}.moved`);
  } catch (error) {
    probeRename = error.code;
  }

  for (const text of lines.slice(1)) await write(text);
  await withTimeout(file.flush(), 10_000, 'flush');
  await withTimeout(file.idle(), 10_000, 'idle');
  const names = fs.readdirSync(dir);
  const ordered = [...rotatedFiles('web', names).map((f) => f.plain), currentFileName('web')];
  const text = ordered.map((name) => fs.readFileSync(path.join(dir, name), 'latin1')).join('');
  const expected = lines.map((l) => `${l}\n`).join('');
  // Still the file the holder opened, so no rotation renamed it: each was a copy and an emptying.
  let currentRename = 'renamed';
  try {
    fs.renameSync(current, `${current}.moved`);
  } catch (error) {
    currentRename = error.code;
  }
  holder.stdin.end();
  await withTimeout(new Promise((resolve) => holder.once('exit', resolve)), 10_000, 'holder exit');
  await withTimeout(file.close(), 10_000, 'close');
  report('held', {
    held,
    probeRename,
    currentRename,
    files: ordered.length,
    intact: text === expected,
    bytes: text.length,
    expectedBytes: expected.length,
    problems,
  });
});
