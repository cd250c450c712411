// What the output-file scenarios share: numbered lines, a real OutputFile rotating at 4 KB, and
// another program (hold-file.mjs) holding files open without sharing delete.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './driver.mjs';

const { OutputFile } = await import('../../dist/logging/output-file.js');
const { systemClock } = await import('../../dist/core/clock.js');

const holderScript = fileURLToPath(new URL('./hold-file.mjs', import.meta.url));

/** `line 000042 xxxx…`: `count` numbered lines of varying length from `from` on. */
export function numbered(from, count) {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return `line ${String(n).padStart(6, '0')} ${'x'.repeat(n % 61)}`;
  });
}

/** The bytes `lines` are in a file. */
export const joined = (lines) => lines.map((l) => `${l}\n`).join('');

/**
 * An OutputFile `<dir>/web.log` rotating at 4 KB, keeping every rotated file; `problems` are what it
 * reported; `write(text)` queues a line, waiting for onDrain when asked to.
 */
export function outputFile(dir) {
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
  const write = async (text) => {
    if (!file.write({ bytes: Buffer.from(text), complete: true })) {
      await withTimeout(new Promise((resolve) => (drained = resolve)), 10_000, 'onDrain');
    }
  };
  return { file, problems, write };
}

/** Another process holding `files` open; resolves with what it said (HELD) and how to let go. */
export async function holdFiles(files) {
  const holder = spawn(process.execPath, [holderScript, ...files], { stdio: ['pipe', 'pipe', 'inherit'] });
  const held = await withTimeout(
    new Promise((resolve) => holder.stdout.once('data', (data) => resolve(String(data).trim()))),
    20_000,
    'the holder',
  );
  const release = async () => {
    holder.stdin.end();
    await withTimeout(new Promise((resolve) => holder.once('exit', resolve)), 10_000, 'holder exit');
  };
  return { held, release };
}
