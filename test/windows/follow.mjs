// `corral logs -f`'s follower on Windows file semantics: it polls the current file while a writer
// rotates it, first by renaming (the follower's open handle must not stop the rename), then, while
// another program holds the file without sharing delete, by copying and emptying it. Every line
// must come through once, in order.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { report, scenario, scratch, withTimeout } from './driver.mjs';

const { OutputFile } = await import('../../dist/logging/output-file.js');
const { follow } = await import('../../dist/logging/follow-log.js');
const { currentFileName } = await import('../../dist/logging/output-files.js');
const { systemClock } = await import('../../dist/core/clock.js');

const holderScript = fileURLToPath(new URL('./hold-file.mjs', import.meta.url));
const numbered = (from, count) =>
  Array.from(
    { length: count },
    (_, i) => `line ${String(from + i).padStart(6, '0')} ${'x'.repeat((from + i) % 61)}`,
  );

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
  let received = '';
  let wake = () => undefined;
  const errors = [];
  const follower = follow({
    dir,
    name: 'web',
    set: 'combined',
    interval: 5,
    onData: (chunk) => {
      received += chunk.toString('latin1');
      wake();
    },
    onError: (error) => errors.push(String(error)),
  });
  await withTimeout(follower.ready, 10_000, 'follower ready');

  const write = async (lines) => {
    // In batches with a flush between, so the follower looks at the files while they rotate.
    for (let i = 0; i < lines.length; i += 100) {
      for (const text of lines.slice(i, i + 100)) {
        if (!file.write({ bytes: Buffer.from(text), complete: true })) {
          await withTimeout(new Promise((resolve) => (drained = resolve)), 10_000, 'onDrain');
        }
      }
      await withTimeout(file.flush(), 10_000, 'flush');
    }
  };
  const expected = (lines) => lines.map((l) => `${l}\n`).join('');
  const caughtUp = async (text, what) => {
    const reached = async () => {
      while (received.length < text.length) await new Promise((resolve) => (wake = resolve));
    };
    await withTimeout(reached(), 20_000, `${what}: ${text.length} bytes (have ${received.length})`);
    return received === text;
  };

  const renamed = numbered(0, 1500);
  await write(renamed);
  const afterRenames = await caughtUp(expected(renamed), 'after the renames');

  const holder = spawn(process.execPath, [holderScript, path.join(dir, currentFileName('web'))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const held = await withTimeout(
    new Promise((resolve) => holder.stdout.once('data', (data) => resolve(String(data).trim()))),
    20_000,
    'the holder',
  );
  const copied = numbered(1500, 1500);
  await write(copied);
  const afterCopies = await caughtUp(expected([...renamed, ...copied]), 'after the copies');
  holder.stdin.end();
  await withTimeout(new Promise((resolve) => holder.once('exit', resolve)), 10_000, 'holder exit');
  await withTimeout(follower.cancel(), 10_000, 'cancel');
  await withTimeout(file.close(), 10_000, 'close');
  report('follow', { held, afterRenames, afterCopies, bytes: received.length, problems, errors });
});
