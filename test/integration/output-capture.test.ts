// Child output through the whole path, with real processes: the POSIX launcher's pipes and line
// splitter, the Supervisor, and each process's rotated files (ProcessOutput). What a child wrote
// must be in its files — every byte, in order, once — before its exit is reported.
import { createReadStream } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/core/supervisor.js';
import { currentFileName, rotatedFiles } from '../../src/logging/output-files.js';
import type { ProcessState } from '../../src/core/process-machine.js';
import { PosixLauncher } from '../../src/platform/posix/launcher.js';
import { load } from '../helpers/manifest.js';
import { supervisorWithFiles } from '../helpers/output-supervisor.js';

const EMIT = path.resolve('test/fixtures/emit.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-capture-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const emit = (...args: string[]) => JSON.stringify([process.execPath, EMIT, ...args]);

/**
 * Runs one process `name` until it has exited; returns its log dir, the log, and its states.
 * `problems` collects what the output files report (their onProblem).
 */
function capture(
  name: string,
  processYaml: string,
  log = '',
  deadline = 60_000,
  dir = path.join(tmp, name),
  problems: string[] = [],
) {
  const manifest = load(
    `version: 1\nservice: { name: ${name} }\nlog: { dir: ${JSON.stringify(dir)}${log} }\nprocesses:\n  ${name}:\n${processYaml}`,
  );
  const supervisor = supervisorWithFiles(manifest, new PosixLauncher(), problems);
  const records: LogRecord[] = [];
  supervisor.on('log', (r) => records.push(r));
  const onExit: ((state: ProcessState) => void)[] = [];
  supervisor.on('state', (_n, state) => {
    if (state.kind === 'exited' || state.kind === 'failed') for (const f of onExit) f(state);
  });
  const exited = new Promise<ProcessState>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not exit within ${deadline} ms`));
    }, deadline);
    onExit.push((state) => {
      clearTimeout(timer);
      resolve(state);
    });
  });
  supervisor.start();
  return { dir, supervisor, records, exited, onExit };
}

/** The bytes of a process's combined files, rotated ones (oldest first) then the current one. */
function filesOf(dir: string, name: string): string[] {
  const rotated = rotatedFiles(name, fs.readdirSync(dir)).map((f) => f.plain ?? f.gzip ?? '');
  return [...rotated, currentFileName(name)].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
}

describe.skipIf(process.platform === 'win32')('child output to its files', () => {
  it('1 GB of numbered lines through 10 MB rotation: every line once, in order, and bounded memory', async () => {
    const LINES = 10_737_418; // × 100 bytes = 1 GiB
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 100);
    const run = capture(
      'gig',
      `    command: ${emit('numbered', String(LINES), '100')}\n    restart: { policy: never }\n    log: { rotation: { size: 10MB, keep: 200 } }\n`,
      '',
      240_000,
    );
    try {
      expect((await run.exited).kind).toBe('exited');
    } finally {
      clearInterval(sampler);
    }
    await run.supervisor.stop();
    await run.supervisor.closeOutputs();
    const files = filesOf(run.dir, 'gig');
    expect(files.length).toBeGreaterThanOrEqual(100);
    let next = 0;
    let rest = '';
    for (const file of files) {
      const stream = file.endsWith('.gz')
        ? createReadStream(file).pipe(createGunzip())
        : createReadStream(file);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const text = rest + chunk.toString('latin1');
        let start = 0;
        for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
          const n = Number(text.slice(start, start + 10));
          if (n !== next)
            throw new Error(`line ${next} expected, got "${text.slice(start, start + 20)}" in ${file}`);
          if (end - start !== 99) throw new Error(`line ${n} is ${end - start} bytes long in ${file}`);
          next++;
          start = end + 1;
        }
        rest = text.slice(start);
      }
      expect(fs.statSync(file).size).toBeLessThanOrEqual(10 * 1024 * 1024 + 100);
    }
    expect(rest).toBe('');
    expect(next).toBe(LINES);
    // The supervisor holds a bounded queue, never the output: 1 GB went through.
    expect(peak - before).toBeLessThan(200 * 1024 * 1024);
  }, 300_000);

  it('the last line a child printed is in its file when its exit is reported', async () => {
    const run = capture(
      'last',
      `    command: ${emit('print', 'the very last words')}\n    restart: { policy: never }\n`,
    );
    const seen: string[] = [];
    run.onExit.unshift(() => {
      seen.push(fs.readFileSync(path.join(run.dir, 'last.log'), 'utf8'));
    });
    await run.exited;
    expect(seen).toEqual(['the very last words\n']);
    await run.supervisor.stop();
    await run.supervisor.closeOutputs();
  });

  it('writes invalid UTF-8, NUL bytes and a last line without a newline as they came', async () => {
    const bytes = Buffer.from([0x61, 0xff, 0xfe, 0x00, 0x62, 0x0a, 0xc3, 0x28, 0x00, 0x7a]);
    const run = capture(
      'bytes',
      `    command: ${emit('raw', bytes.toString('base64'))}\n    restart: { policy: never }\n    log: { streams: separate }\n`,
    );
    await run.exited;
    await run.supervisor.stop();
    await run.supervisor.closeOutputs();
    // The unfinished last line is ended with a newline when the child exits.
    expect(fs.readFileSync(path.join(run.dir, 'bytes.out.log'))).toEqual(
      Buffer.concat([bytes, Buffer.from('\n')]),
    );
    expect(fs.readFileSync(path.join(run.dir, 'bytes.err.log'))).toEqual(Buffer.alloc(0));
  });

  it('a 10 MB line is cut into lines of log.max_line, never held whole', async () => {
    const run = capture(
      'long',
      `    command: ${emit('long', String(10 * 1024 * 1024))}\n    restart: { policy: never }\n`,
      ', max_line: 64KB',
    );
    await run.exited;
    await run.supervisor.stop();
    await run.supervisor.closeOutputs();
    // The default rotation (10 MB) may put "after" in a second file: read the set in order.
    const text = filesOf(run.dir, 'long')
      .map((f) => fs.readFileSync(f, 'latin1'))
      .join('');
    const lines = text.split('\n');
    expect(lines).toHaveLength(160 + 2);
    expect(lines.slice(0, 160).every((l) => l === 'y'.repeat(64 * 1024))).toBe(true);
    expect(lines.slice(160)).toEqual(['after', '']);
  });

  it('a log folder that cannot be made: the child runs on, and the problem is said once', async () => {
    const blocker = path.join(tmp, 'not-a-folder');
    fs.writeFileSync(blocker, 'a file where the log folder should be');
    const problems: string[] = [];
    const run = capture(
      'blocked',
      `    command: ${emit('numbered', '2000', '50')}\n    restart: { policy: never }\n`,
      '',
      60_000,
      path.join(blocker, 'logs'),
      problems,
    );
    expect(await run.exited).toMatchObject({ kind: 'exited', code: 0 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(blocker);
    await run.supervisor.stop();
    await run.supervisor.closeOutputs();
  });
});
