// The supervisor's own log without a disk: its file goes to an in-memory OutputFs, time is a
// FakeClock with a wall clock tied to it, and the console is an array of lines.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/core/supervisor.js';
import { consoleLogger } from '../../../src/logging/console.js';
import type { FileStat, OutputFs, WriteCallback } from '../../../src/logging/output-fs.js';
import { createSupervisorLog, type SupervisorLog } from '../../../src/logging/supervisor-log.js';
import { supervisorLogFile, supervisorLogStem } from '../../../src/logging/supervisor-log-file.js';
import { jsonLine, levelEnabled, textLine } from '../../../src/logging/supervisor-log-format.js';
import type { LogSpec, RotationSpec } from '../../../src/manifest/spec.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** 2026-11-27T10:00:00Z */
const BASE = Date.UTC(2026, 10, 27, 10, 0, 0);
const DIR = '/var/log/shop';

function errno(code: string, what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

/** Files and folders in memory: enough of a file system for OutputFile's open, append and rename. */
class MemoryFs implements OutputFs {
  readonly files = new Map<string, { bytes: Buffer; ino: number }>();
  readonly dirs = new Set<string>(['/']);
  readonly #fds = new Map<number, string>();
  #next = 3;
  #ino = 1;
  /** open() of a path under this folder fails with this code. */
  failUnder: { dir: string; code: string } | null = null;

  text(file: string): string {
    return this.files.get(file)?.bytes.toString('utf8') ?? '';
  }

  open(file: string, flags: 'a+' | 'r'): Promise<number> {
    if (this.failUnder !== null && file.startsWith(this.failUnder.dir))
      return Promise.reject(errno(this.failUnder.code, file));
    if (!this.dirs.has(path.dirname(file))) return Promise.reject(errno('ENOENT', file));
    if (!this.files.has(file)) {
      if (flags === 'r') return Promise.reject(errno('ENOENT', file));
      this.files.set(file, { bytes: Buffer.alloc(0), ino: this.#ino++ });
    }
    const fd = this.#next++;
    this.#fds.set(fd, file);
    return Promise.resolve(fd);
  }

  writev(fd: number, buffers: readonly Buffer[], callback: WriteCallback): void {
    const file = this.files.get(this.#fds.get(fd) ?? '');
    // Called back later, as the real one is.
    if (file === undefined) {
      queueMicrotask(() => {
        callback(errno('EBADF', String(fd)), 0);
      });
      return;
    }
    file.bytes = Buffer.concat([file.bytes, ...buffers]);
    queueMicrotask(() => {
      callback(
        null,
        buffers.reduce((sum, b) => sum + b.length, 0),
      );
    });
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const file = this.files.get(this.#fds.get(fd) ?? '');
    if (file === undefined) return Promise.reject(errno('EBADF', String(fd)));
    return Promise.resolve(file.bytes.copy(buffer, offset, position, position + length));
  }

  close(fd: number): Promise<void> {
    this.#fds.delete(fd);
    return Promise.resolve();
  }

  fstat(fd: number): Promise<FileStat> {
    return this.stat(this.#fds.get(fd) ?? '');
  }

  stat(file: string): Promise<FileStat> {
    const isDir = this.dirs.has(file);
    const found = this.files.get(file);
    if (!isDir && found === undefined) return Promise.reject(errno('ENOENT', file));
    return Promise.resolve({
      dev: 1,
      ino: found?.ino ?? 0,
      size: found?.bytes.length ?? 0,
      mtimeMs: BASE,
      isDirectory: () => isDir,
    });
  }

  mkdir(dir: string): Promise<void> {
    if (this.dirs.has(dir)) return Promise.reject(errno('EEXIST', dir));
    if (!this.dirs.has(path.dirname(dir))) return Promise.reject(errno('ENOENT', dir));
    this.dirs.add(dir);
    return Promise.resolve();
  }

  readdir(dir: string): Promise<string[]> {
    if (!this.dirs.has(dir)) return Promise.reject(errno('ENOENT', dir));
    return Promise.resolve(
      [...this.files.keys()].filter((f) => path.dirname(f) === dir).map((f) => path.basename(f)),
    );
  }

  rename(from: string, to: string): Promise<void> {
    const file = this.files.get(from);
    if (file === undefined) return Promise.reject(errno('ENOENT', from));
    this.files.delete(from);
    this.files.set(to, file);
    return Promise.resolve();
  }

  unlink(file: string): Promise<void> {
    this.files.delete(file);
    return Promise.resolve();
  }

  copyFile(): Promise<void> {
    return Promise.reject(errno('ENOSYS', 'copyFile'));
  }

  truncate(): Promise<void> {
    return Promise.reject(errno('ENOSYS', 'truncate'));
  }

  gzip(): Promise<void> {
    return Promise.reject(errno('ENOSYS', 'gzip'));
  }
}

const NEVER: RotationSpec = { size: null, every: 'never', keep: 5, max_age: null, compress: false };

function spec(overrides: Partial<LogSpec> = {}): LogSpec {
  return { dir: DIR, level: 'info', format: 'text', rotation: NEVER, max_line: 1024 * 1024, ...overrides };
}

interface Harness {
  readonly log: SupervisorLog;
  readonly fs: MemoryFs;
  readonly clock: FakeClock;
  readonly console: string[];
  readonly problems: string[];
  /** How many times the wall clock was read. */
  readonly reads: () => number;
  /** The supervisor log file's content (after a flush). */
  readonly file: (dir?: string) => string;
}

function harness(
  options: {
    spec?: Partial<LogSpec>;
    console?: boolean;
    outputToFile?: boolean;
    problems?: boolean;
    fs?: MemoryFs;
  } = {},
): Harness {
  const fs = options.fs ?? new MemoryFs();
  const clock = new FakeClock();
  const console: string[] = [];
  const problems: string[] = [];
  let reads = 0;
  const log = createSupervisorLog({
    spec: spec(options.spec),
    service: 'shop',
    console:
      options.console === false
        ? null
        : (line) => {
            console.push(line);
          },
    ...(options.problems === true
      ? {
          problems: (line: string) => {
            problems.push(line);
          },
        }
      : {}),
    ...(options.outputToFile === undefined ? {} : { outputToFile: options.outputToFile }),
    clock,
    now: () => {
      reads++;
      return new Date(BASE + 123 + clock.now());
    },
    fs,
  });
  return {
    log,
    fs,
    clock,
    console,
    problems,
    reads: () => reads,
    file: (dir = DIR) => fs.text(supervisorLogFile(dir, 'shop')),
  };
}

const RECORDS: readonly LogRecord[] = [
  { level: 'info', event: 'start', message: 'starting 3 processes' },
  { level: 'warn', process: 'web', event: 'exit', message: 'exited with 1' },
  { level: 'error', process: 'a-very-long-name', event: 'fatal', message: 'gave up' },
  { level: 'info', process: 'web', event: 'output', stream: 'stdout', message: 'listening on :80' },
  { level: 'error', process: 'web', event: 'output', stream: 'stderr', message: 'error: boom' },
  { level: 'debug', process: 'db', event: 'probe', message: 'tcp ok' },
];

describe('the text and JSON lines', () => {
  it('shows text on the console exactly as consoleLogger did', () => {
    const now = () => new Date(BASE + 45_678);
    for (const format of ['text', 'json'] as const) {
      const before: string[] = [];
      const old = consoleLogger(format, 'debug', (line) => before.push(line), now);
      for (const record of RECORDS) old(record);
      const time = now().toISOString();
      const after = RECORDS.map(
        (r) => `${format === 'json' ? jsonLine(r, time) : textLine(r, time, 'clock')}\n`,
      );
      if (format === 'text') expect(after).toEqual(before);
      else
        expect(after.map((l) => JSON.parse(l) as unknown)).toEqual(
          before.map((l) => JSON.parse(l) as unknown),
        );
    }
  });

  it('writes text with the full time for the file', () => {
    const time = new Date(BASE + 45_678).toISOString();
    expect(RECORDS.map((r) => textLine(r, time, 'full'))).toEqual([
      '2026-11-27T10:00:45.678Z corral     | starting 3 processes',
      '2026-11-27T10:00:45.678Z web        | warn: exited with 1',
      '2026-11-27T10:00:45.678Z a-very-long-name | error: gave up',
      '2026-11-27T10:00:45.678Z web        | listening on :80',
      '2026-11-27T10:00:45.678Z web!       | error: boom',
      '2026-11-27T10:00:45.678Z db         | debug: tcp ok',
    ]);
  });

  it('puts time, level, process, event, message and stream first in JSON, then any other field', () => {
    const record = {
      level: 'warn',
      event: 'exit',
      message: 'exited',
      process: 'web',
      code: 1,
      time: 'x',
    } as const;
    expect(jsonLine(record, '2026-11-27T10:00:00.000Z')).toBe(
      '{"time":"2026-11-27T10:00:00.000Z","level":"warn","process":"web","event":"exit","message":"exited","code":1}',
    );
    const odd = { ...RECORDS[0], big: 10n } as unknown as LogRecord;
    expect(JSON.parse(jsonLine(odd, 'T'))).toEqual({
      time: 'T',
      level: 'info',
      event: 'start',
      message: 'starting 3 processes',
      unserializable: 'Do not know how to serialize a BigInt',
    });
  });

  it('compares levels as debug < info < warn < error', () => {
    expect(levelEnabled('debug', 'info')).toBe(false);
    expect(levelEnabled('info', 'info')).toBe(true);
    expect(levelEnabled('warn', 'info')).toBe(true);
    expect(levelEnabled('warn', 'error')).toBe(false);
    expect(levelEnabled('error', 'error')).toBe(true);
  });

  it('names the file _corral.<service>.log, which no process file can be', () => {
    expect(supervisorLogStem('shop.eu-1')).toBe('_corral.shop.eu-1');
    expect(supervisorLogFile('/logs', 'shop')).toBe(path.join('/logs', '_corral.shop.log'));
  });
});

describe('createSupervisorLog', () => {
  it('writes each record to the console and, but for child output, to the file', async () => {
    const { log, console, file } = harness({ spec: { level: 'debug' } });
    for (const record of RECORDS) log.log(record);
    expect(console).toEqual(RECORDS.map((r) => `${textLine(r, '2026-11-27T10:00:00.123Z', 'clock')}\n`));
    await log.flush();
    expect(file()).toBe(
      [
        '2026-11-27T10:00:00.123Z corral     | starting 3 processes',
        '2026-11-27T10:00:00.123Z web        | warn: exited with 1',
        '2026-11-27T10:00:00.123Z a-very-long-name | error: gave up',
        '2026-11-27T10:00:00.123Z db         | debug: tcp ok',
        '',
      ].join('\n'),
    );
    await log.close();
  });

  it('writes child output to the file too with outputToFile', async () => {
    const { log, file } = harness({ outputToFile: true });
    log.log(RECORDS[3] as LogRecord);
    await log.close();
    expect(file()).toBe('2026-11-27T10:00:00.123Z web        | listening on :80\n');
  });

  it('drops records below log.level before reading the clock or rendering anything', async () => {
    const { log, console, reads, file } = harness({ spec: { level: 'warn' } });
    log.log({ level: 'debug', event: 'probe', message: 'tcp ok' });
    log.log({ level: 'info', event: 'start', message: 'starting' });
    expect(reads()).toBe(0);
    expect(console).toEqual([]);
    log.log({ level: 'warn', event: 'exit', message: 'exited' });
    expect(reads()).toBe(1);
    await log.close();
    expect(file()).toBe('2026-11-27T10:00:00.123Z corral     | warn: exited\n');
  });

  it('applies a reload: level and format from the next record on', async () => {
    const { log, console, clock, file } = harness();
    log.log({ level: 'debug', event: 'probe', message: 'hidden' });
    log.log({ level: 'info', event: 'start', message: 'as text' });
    log.reconfigure(spec({ level: 'debug', format: 'json' }));
    clock.advance(1000);
    log.log({ level: 'debug', process: 'db', event: 'probe', message: 'shown' });
    await log.close();
    const json =
      '{"time":"2026-11-27T10:00:01.123Z","level":"debug","process":"db","event":"probe","message":"shown"}';
    expect(console).toEqual(['10:00:00.123 corral     | as text\n', `${json}\n`]);
    expect(file()).toBe(`2026-11-27T10:00:00.123Z corral     | as text\n${json}\n`);
  });

  it('moves to a new log.dir after the records logged before the reload are in the old file', async () => {
    const { log, fs, file } = harness();
    log.log({ level: 'info', event: 'a', message: 'one' });
    log.reconfigure(spec({ dir: '/srv/logs/new' }));
    expect(log.path).toBe(supervisorLogFile('/srv/logs/new', 'shop'));
    log.log({ level: 'info', event: 'b', message: 'two' });
    await log.flush();
    expect(file()).toBe('2026-11-27T10:00:00.123Z corral     | one\n');
    expect(file('/srv/logs/new')).toBe('2026-11-27T10:00:00.123Z corral     | two\n');
    expect(fs.dirs.has('/srv/logs/new')).toBe(true);
    log.reconfigure(spec({ dir: '/srv/logs/new' })); // unchanged: the same file goes on
    log.log({ level: 'info', event: 'c', message: 'three' });
    await log.close();
    expect(file('/srv/logs/new')).toBe(
      '2026-11-27T10:00:00.123Z corral     | two\n2026-11-27T10:00:00.123Z corral     | three\n',
    );
  });

  it('applies a new rotation to the same file, one writer at a time, losing nothing', async () => {
    const { log, fs, file } = harness();
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    for (const [i, message] of lines.entries()) {
      log.log({ level: 'info', event: 'n', message });
      if (i === 19) log.reconfigure(spec({ rotation: { ...NEVER, size: 200 } }));
    }
    await log.close();
    const all = [...fs.files.keys()]
      .filter((f) => path.basename(f).startsWith('_corral.shop.'))
      .sort((a, b) =>
        a.endsWith('_corral.shop.log') ? 1 : b.endsWith('_corral.shop.log') ? -1 : a < b ? -1 : 1,
      )
      .map((f) => fs.text(f))
      .join('');
    expect(
      all
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('| ')[1]),
    ).toEqual(lines);
    expect(file().length).toBeLessThan(all.length);
  });

  it('writes a text message with newlines as several lines', async () => {
    const { log, file } = harness();
    log.log({ level: 'warn', event: 'manifest', message: 'two\nlines' });
    await log.close();
    expect(file()).toBe('2026-11-27T10:00:00.123Z corral     | warn: two\nlines\n');
  });

  it('logs a message holding an env value as it is given (corral never puts env values in records)', async () => {
    const secret = 'hunter2-SECRET';
    const { log, console, file } = harness({ spec: { format: 'json' } });
    log.log({ level: 'info', process: 'web', event: 'output', stream: 'stdout', message: `TOKEN=${secret}` });
    log.log({ level: 'warn', event: 'note', message: `the value is ${secret}` });
    await log.close();
    expect(console.join('')).toContain(`TOKEN=${secret}`);
    expect(file()).toContain(`the value is ${secret}`);
    expect(file()).not.toContain('TOKEN='); // child output is not in the supervisor's file
  });

  it('goes to the file only when there is no console', async () => {
    const { log, console, file } = harness({ console: false });
    log.log(RECORDS[1] as LogRecord);
    log.log(RECORDS[3] as LogRecord);
    await log.close();
    expect(console).toEqual([]);
    expect(file()).toBe('2026-11-27T10:00:00.123Z web        | warn: exited with 1\n');
  });

  it('reports a file it cannot write on the problem line, once per interval, and never throws', async () => {
    const fs = new MemoryFs();
    fs.failUnder = { dir: DIR, code: 'EACCES' };
    const { log, console, problems, clock, file } = harness({ fs, problems: true });
    log.log({ level: 'info', event: 'a', message: 'one' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^10:00:00\.123 corral {5}\| warn: cannot open \/var\/log\/shop\/_corral\.shop\.log: EACCES.*\(let the account corral runs as write to log\.dir\)/,
    );
    expect(console).toEqual(['10:00:00.123 corral     | one\n']);
    fs.failUnder = null;
    clock.advance(1000); // the retry
    await log.flush();
    expect(file()).toBe('2026-11-27T10:00:00.123Z corral     | one\n');
    expect(problems[1]).toMatch(/\| writing \/var\/log\/shop\/_corral\.shop\.log again after 1 s\n$/);
    await log.close();
  });

  it('sends the file problems to the console by default, and closes on a disk that still fails', async () => {
    const fs = new MemoryFs();
    fs.failUnder = { dir: DIR, code: 'ENOSPC' };
    const { log, console } = harness({ fs });
    log.log({ level: 'info', event: 'a', message: 'one' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(console[1]).toMatch(/warn: cannot open .*ENOSPC.*\(free space on that disk\)/);
    await log.close();
    expect(console.at(-1)).toMatch(
      /\| warn: \/var\/log\/shop\/_corral\.shop\.log: \d+ bytes of output dropped at close: ENOSPC\n$/,
    );
  });

  it('still prints to the console after close, and closes once', async () => {
    const { log, console, file } = harness();
    log.log({ level: 'info', event: 'a', message: 'before' });
    const closing = log.close();
    expect(log.close()).toBe(closing);
    await closing;
    log.log({ level: 'info', event: 'b', message: 'after' });
    expect(console).toEqual(['10:00:00.123 corral     | before\n', '10:00:00.123 corral     | after\n']);
    expect(file()).toBe('2026-11-27T10:00:00.123Z corral     | before\n');
    await log.flush();
  });
});
