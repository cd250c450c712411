// The supervisor's own log on a real disk: what lands in `_corral.<service>.log`, across rotations,
// after flush() and close(), in a folder that does not exist yet.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { LogRecord } from '../../src/core/supervisor.js';
import { tailLines } from '../../src/logging/read-logs.js';
import { createSupervisorLog, type SupervisorLogOptions } from '../../src/logging/supervisor-log.js';
import { supervisorLogFile } from '../../src/logging/supervisor-log-file.js';
import type { LogSpec } from '../../src/manifest/spec.js';
import { clocks, readSet, rotation, tempDir, within } from './logging/output-helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function folder(): string {
  const dir = tempDir();
  cleanup.push(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function logSpec(dir: string, overrides: Partial<LogSpec> = {}): LogSpec {
  return { dir, level: 'info', format: 'json', rotation: rotation(), max_line: 1024 * 1024, ...overrides };
}

/** A log with a fake clock whose problems fail the test. */
function open(spec: LogSpec, more: Partial<SupervisorLogOptions> = {}) {
  const { clock, now } = clocks();
  const problems: string[] = [];
  const log = createSupervisorLog({
    spec,
    service: 'shop',
    console: null,
    problems: (line) => problems.push(line),
    clock,
    now,
    ...more,
  });
  cleanup.push(async () => {
    await log.close();
    expect(problems).toEqual([]);
  });
  return { log, clock };
}

const fileLines = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);

describe('the supervisor log file', () => {
  it('holds one JSON object per record, with every field', async () => {
    const dir = folder();
    const { log } = open(logSpec(dir));
    const records: LogRecord[] = [
      { level: 'info', event: 'start', message: 'starting 2 processes' },
      { level: 'warn', process: 'web', event: 'exit', message: 'exited with 3 "quoted"\nand a newline' },
      { level: 'error', process: 'web', event: 'output', stream: 'stderr', message: 'not in this file' },
      { level: 'error', event: 'fatal', message: 'gave up', ...{ attempts: 5, codes: [1, 3] } },
    ];
    for (const record of records) log.log(record);
    await within(log.flush(), 'flush');
    const parsed = fileLines(supervisorLogFile(dir, 'shop')).map((line) => JSON.parse(line) as unknown);
    expect(parsed).toEqual([
      { time: '2026-11-27T10:00:00.000Z', level: 'info', event: 'start', message: 'starting 2 processes' },
      {
        time: '2026-11-27T10:00:00.000Z',
        level: 'warn',
        process: 'web',
        event: 'exit',
        message: 'exited with 3 "quoted"\nand a newline',
      },
      {
        time: '2026-11-27T10:00:00.000Z',
        level: 'error',
        event: 'fatal',
        message: 'gave up',
        attempts: 5,
        codes: [1, 3],
      },
    ]);
  });

  it('creates a missing log.dir, parents included', async () => {
    const dir = path.join(folder(), 'var', 'log', 'shop');
    const { log } = open(logSpec(dir, { format: 'text' }));
    log.log({ level: 'info', event: 'start', message: 'hello' });
    await within(log.close(), 'close');
    expect(fs.readFileSync(supervisorLogFile(dir, 'shop'), 'utf8')).toBe(
      '2026-11-27T10:00:00.000Z corral     | hello\n',
    );
  });

  it('keeps every line exactly once across rotations at a small size, with compression on', async () => {
    const dir = folder();
    const { log } = open(logSpec(dir, { rotation: rotation({ size: 4096, keep: 1000, compress: true }) }));
    const messages = Array.from({ length: 3000 }, (_, i) => `record ${i} ${'x'.repeat(i % 37)}`);
    for (const message of messages) log.log({ level: 'info', event: 'n', message });
    await within(log.close(), 'close');
    const set = readSet(dir, '_corral.shop');
    expect(set.files.length).toBeGreaterThan(20);
    // Compression runs in the background and close() stops it after the file in hand (the next
    // start finishes it), so some rotated files may still be plain: readSet reads both.
    for (const content of set.contents) expect(content.length).toBeLessThanOrEqual(4096 + 200);
    const seen = set.text
      .split('\n')
      .slice(0, -1)
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(seen).toEqual(messages);
  });

  it('has every line on disk once close() resolves, with the real clock', async () => {
    const dir = folder();
    const log = createSupervisorLog({
      spec: logSpec(dir, { format: 'text' }),
      service: 'shop',
      console: null,
      clock: systemClock,
    });
    const count = 20_000;
    for (let i = 0; i < count; i++)
      log.log({ level: 'info', process: 'p', event: 'n', message: `line ${i}` });
    await within(log.flush(), 'flush');
    expect(fileLines(supervisorLogFile(dir, 'shop'))).toHaveLength(count);
    for (let i = count; i < 2 * count; i++) log.log({ level: 'info', event: 'n', message: `line ${i}` });
    await within(log.close(), 'close');
    const lines = fileLines(supervisorLogFile(dir, 'shop'));
    expect(lines.map((line) => line.split('| ')[1])).toEqual(
      Array.from({ length: 2 * count }, (_, i) => `line ${i}`),
    );
  });

  it('moves to the new log.dir of a reload, and reads back with tailLines under its stem', async () => {
    const first = folder();
    const second = path.join(folder(), 'moved');
    const { log } = open(logSpec(first, { format: 'text' }));
    log.log({ level: 'info', event: 'a', message: 'in the first' });
    log.reconfigure(logSpec(second, { format: 'text' }));
    log.log({ level: 'info', event: 'b', message: 'in the second' });
    await within(log.flush(), 'flush');
    const tail = async (dir: string) =>
      (await tailLines(dir, '_corral.shop', 'combined', 10)).flatMap((set) =>
        set.lines.map((line) => line.toString('utf8').split('| ')[1]),
      );
    expect(await tail(first)).toEqual(['in the first']);
    expect(await tail(second)).toEqual(['in the second']);
  });

  it('never shares a file with a process, even one called corral in a service called out', async () => {
    const dir = folder();
    const { log } = open(logSpec(dir, { format: 'text' }), { service: 'out' });
    fs.writeFileSync(path.join(dir, 'corral.out.log'), 'the process corral, stdout\n');
    log.log({ level: 'info', event: 'a', message: 'the supervisor' });
    await within(log.flush(), 'flush');
    expect(fs.readdirSync(dir).sort()).toEqual(['_corral.out.log', 'corral.out.log']);
    const [stdout] = await tailLines(dir, 'corral', 'separate', 10);
    expect(stdout?.lines.map(String)).toEqual(['the process corral, stdout']);
  });
});
