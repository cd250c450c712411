import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDir } from '../../src/logging/ensure-dir.js';
import { OutputFile, type OutputFileOptions } from '../../src/logging/output-file.js';
import { nodeOutputFs, writevOf, writevPromise } from '../../src/logging/output-fs.js';
import { ProcessOutput } from '../../src/logging/process-output.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import {
  BASE,
  clocks,
  errno,
  fsWith,
  line,
  numbered,
  readSet,
  rotation,
  tempDir,
  within,
} from './logging/output-helpers.js';

const MIN = 60_000;
const opened: { close(): Promise<void> }[] = [];
const made: string[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((file) => within(file.close(), 'close in afterEach')));
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = tempDir();
  made.push(dir);
  return dir;
}

interface Opened {
  readonly file: OutputFile;
  readonly clock: FakeClock;
  readonly problems: string[];
  readonly recovered: string[];
  /** Resolves at the next onDrain. */
  readonly drained: () => Promise<void>;
  /** Writes the lines, waiting for onDrain whenever write() asks to pause. */
  readonly writeAll: (lines: readonly string[]) => Promise<void>;
}

function open(
  dir: string,
  options: Partial<OutputFileOptions> = {},
  base = BASE,
): Opened & { readonly now: () => Date } {
  const { clock, now } = clocks(base);
  const problems: string[] = [];
  const recovered: string[] = [];
  let waiters: (() => void)[] = [];
  const file = new OutputFile({
    dir,
    stem: 'web',
    timestamps: false,
    rotation: rotation(),
    clock,
    now,
    onProblem: (message) => problems.push(message),
    onRecover: (message) => recovered.push(message),
    onDrain: () => {
      const wake = waiters;
      waiters = [];
      for (const resolve of wake) resolve();
    },
    ...options,
  });
  opened.push(file);
  const drained = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  return {
    file,
    clock,
    now,
    problems,
    recovered,
    drained,
    writeAll: async (lines) => {
      for (const text of lines) if (!file.write(line(text))) await within(drained(), 'onDrain');
    },
  };
}

const joined = (lines: readonly string[]): string => lines.map((text) => `${text}\n`).join('');

describe('OutputFile: lines', () => {
  it('creates a missing log folder, parents included, and writes lines with newlines', async () => {
    const dir = path.join(folder(), 'a', 'b', 'c');
    const { file, problems } = open(dir);
    file.write(line('one'));
    file.write(line('two'));
    await within(file.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe('one\ntwo\n');
    expect(problems).toEqual([]);
  });

  it('has every accepted line on disk when flush() resolves', async () => {
    const dir = folder();
    const { file } = open(dir);
    const lines = numbered(5000);
    for (const text of lines) file.write(line(text));
    await within(file.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe(joined(lines));
  });

  it('writes invalid UTF-8 and NUL bytes as they came', async () => {
    const dir = folder();
    const { file } = open(dir, { timestamps: true });
    const raw = Buffer.from([0x66, 0xff, 0x00, 0xc3, 0x28, 0xe2, 0x82, 0x00, 0x00, 0x0d]);
    file.write(line(raw));
    file.write(line(Buffer.from([0xe2, 0x82]), false));
    file.write(line(Buffer.from([0xac, 0x00])));
    await within(file.flush(), 'flush');
    const stamp = Buffer.from('2026-11-27T10:00:00.000Z ');
    expect(fs.readFileSync(path.join(dir, 'web.log'))).toEqual(
      Buffer.concat([stamp, raw, Buffer.from('\n'), stamp, Buffer.from([0xe2, 0x82, 0xac, 0x00, 0x0a])]),
    );
  });

  it('stamps the start of each line only, not the pieces that continue one', async () => {
    const dir = folder();
    const { file, clock } = open(dir, { timestamps: true });
    file.write(line('first'));
    clock.advance(5);
    file.write(line('pie', false));
    clock.advance(2);
    file.write(line('ce', false));
    file.write(line('s'));
    clock.advance(1000);
    file.write(line(''));
    await within(file.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe(
      '2026-11-27T10:00:00.000Z first\n' +
        '2026-11-27T10:00:00.005Z pieces\n' +
        '2026-11-27T10:00:01.007Z \n',
    );
  });

  it('ends a half-written last line left by an earlier run before appending', async () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'web.log'), 'earlier\ncut sho');
    const { file } = open(dir);
    file.write(line('next'));
    await within(file.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe('earlier\ncut sho\nnext\n');
  });
});

describe('OutputFile: rotation by size', () => {
  it('keeps every numbered line exactly once and in order, each file holding whole lines', async () => {
    const dir = folder();
    const size = 64 * 1024;
    const { file, writeAll } = open(dir, {
      rotation: rotation({ size, keep: 1000 }),
      limits: { queueBytes: 256 * 1024, highWaterBytes: 64 * 1024, batchBytes: 16 * 1024 },
    });
    const lines = numbered(50_000);
    await writeAll(lines);
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    const set = readSet(dir, 'web');
    expect(set.text).toBe(joined(lines));
    expect(file.dropped).toBe(0);
    const rotated = set.contents.slice(0, -1);
    expect(rotated.length).toBeGreaterThanOrEqual(Math.floor(set.text.length / (size + 80)));
    for (const content of rotated) {
      expect(content.length).toBeGreaterThanOrEqual(size);
      expect(content.length).toBeLessThan(size + 80); // passed the size by less than one line
      expect(content[content.length - 1]).toBe(0x0a);
    }
  });

  it('never splits a line written in pieces across files', async () => {
    const dir = folder();
    const { file } = open(dir, { rotation: rotation({ size: 100 }) });
    file.write(line('before'));
    file.write(line('A'.repeat(80), false));
    file.write(line('B'.repeat(80), false));
    file.write(line('C'.repeat(10)));
    file.write(line('after'));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    const set = readSet(dir, 'web');
    expect(set.text).toBe(`before\n${'A'.repeat(80)}${'B'.repeat(80)}${'C'.repeat(10)}\nafter\n`);
    expect(set.contents.map((content) => content.toString('latin1'))).toContain(
      `before\n${'A'.repeat(80)}${'B'.repeat(80)}${'C'.repeat(10)}\n`,
    );
  });

  it('names rotated files by the UTC time of rotation, with a sequence within one second', async () => {
    const dir = folder();
    const { file, clock } = open(dir, { rotation: rotation({ size: 4 }) });
    file.write(line('one'));
    file.write(line('two'));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    clock.advance(61_000);
    file.write(line('three'));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    expect(readSet(dir, 'web').files).toEqual([
      'web.20261127-100000.log',
      'web.20261127-100000_001.log',
      'web.20261127-100101.log',
      'web.log',
    ]);
    expect(readSet(dir, 'web').text).toBe('one\ntwo\nthree\n');
  });

  it('falls back to copy-and-truncate when the file cannot be renamed, losing nothing', async () => {
    const dir = folder();
    const renames: string[] = [];
    const { file, writeAll, problems } = open(dir, {
      rotation: rotation({ size: 4096, keep: 1000 }),
      fs: fsWith({
        rename: (from) => {
          renames.push(path.basename(from));
          return Promise.reject(errno('EBUSY', 'rename'));
        },
      }),
    });
    const lines = numbered(20_000);
    await writeAll(lines);
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    const set = readSet(dir, 'web');
    expect(set.text).toBe(joined(lines));
    expect(set.files.length).toBeGreaterThan(100);
    expect(renames.length).toBe(set.files.length - 1);
    expect(problems).toEqual([]);
  });

  it('writes on in the current file when neither rename nor copy works, and says so once', async () => {
    const dir = folder();
    const { file, writeAll, problems } = open(dir, {
      rotation: rotation({ size: 100 }),
      fs: fsWith({
        rename: () => Promise.reject(errno('EPERM', 'rename')),
        copyFile: () => Promise.reject(errno('ENOSPC', 'copyfile')),
      }),
    });
    const lines = numbered(200);
    await writeAll(lines);
    await within(file.flush(), 'flush');
    expect(readSet(dir, 'web')).toMatchObject({ files: ['web.log'], text: joined(lines) });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^cannot rotate .*web\.log: renaming failed \(EPERM\) and copying failed: /);
    expect(problems[0]).toMatch(/writing on to .*web\.log and trying again later$/);
  });
});

describe('OutputFile: rotation by time', () => {
  it('rotates hourly at the top of the UTC hour, and not an empty file', async () => {
    const dir = folder();
    const { file, clock } = open(
      dir,
      { rotation: rotation({ every: 'hourly' }) },
      Date.UTC(2026, 10, 27, 10, 59, 0),
    );
    file.write(line('at 10:59'));
    await within(file.flush(), 'flush');
    clock.advance(59_999);
    await within(file.idle(), 'idle');
    expect(readSet(dir, 'web').files).toEqual(['web.log']);
    clock.advance(1);
    await within(file.idle(), 'idle');
    file.write(line('at 11:00'));
    await within(file.flush(), 'flush');
    clock.advance(60 * MIN); // 12:00, nothing written since the rotation but one line
    await within(file.idle(), 'idle');
    clock.advance(60 * MIN); // 13:00, the file is empty: no rotation
    await within(file.idle(), 'idle');
    const set = readSet(dir, 'web');
    expect(set.files).toEqual(['web.20261127-110000.log', 'web.20261127-120000.log', 'web.log']);
    expect(set.contents.map((content) => content.toString())).toEqual(['at 10:59\n', 'at 11:00\n', '']);
  });

  it('waits for the end of a line cut in pieces before rotating at the boundary', async () => {
    const dir = folder();
    const { file, clock } = open(
      dir,
      { rotation: rotation({ every: 'hourly' }) },
      Date.UTC(2026, 10, 27, 10, 59, 59),
    );
    file.write(line('begun at 10:59:59, ', false));
    await within(file.flush(), 'flush');
    clock.advance(1000);
    await within(file.idle(), 'idle');
    expect(readSet(dir, 'web').files).toEqual(['web.log']);
    file.write(line('ended at 11:00:00'));
    file.write(line('next'));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    const set = readSet(dir, 'web');
    expect(set.files).toEqual(['web.20261127-110000.log', 'web.log']);
    expect(set.contents.map((content) => content.toString())).toEqual([
      'begun at 10:59:59, ended at 11:00:00\n',
      'next\n',
    ]);
  });

  it('rotates daily at 00:00 UTC', async () => {
    const dir = folder();
    const { file, clock } = open(
      dir,
      { rotation: rotation({ every: 'daily' }) },
      Date.UTC(2026, 10, 27, 23, 59, 59),
    );
    file.write(line('last second of the 27th'));
    await within(file.flush(), 'flush');
    clock.advance(1000);
    await within(file.idle(), 'idle');
    file.write(line('the 28th'));
    await within(file.flush(), 'flush');
    const set = readSet(dir, 'web');
    expect(set.files).toEqual(['web.20261128-000000.log', 'web.log']);
    expect(set.text).toBe('last second of the 27th\nthe 28th\n');
  });

  it('rotates a file left from an earlier day before writing into it', async () => {
    const dir = folder();
    const current = path.join(dir, 'web.log');
    fs.writeFileSync(current, 'yesterday\n');
    const yesterday = new Date(BASE - 24 * 60 * MIN);
    fs.utimesSync(current, yesterday, yesterday);
    const { file } = open(dir, { rotation: rotation({ every: 'daily' }) });
    file.write(line('today'));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    const set = readSet(dir, 'web');
    expect(set.files).toEqual(['web.20261127-100000.log', 'web.log']);
    expect(set.contents.map((content) => content.toString())).toEqual(['yesterday\n', 'today\n']);
  });
});

describe('OutputFile: retention and compression', () => {
  it('keeps only the newest `keep` rotated files', async () => {
    const dir = folder();
    const { file, clock } = open(dir, { rotation: rotation({ size: 5, keep: 3 }) });
    for (let i = 0; i < 10; i++) {
      file.write(line(`line ${i}`));
      await within(file.flush(), 'flush');
      await within(file.idle(), 'idle');
      clock.advance(1000);
    }
    const set = readSet(dir, 'web');
    expect(set.files).toEqual([
      'web.20261127-100007.log',
      'web.20261127-100008.log',
      'web.20261127-100009.log',
      'web.log',
    ]);
    expect(set.text).toBe('line 7\nline 8\nline 9\n');
  });

  it('deletes rotated files once they reach max_age, on a timer', async () => {
    const dir = folder();
    const { file, clock } = open(dir, { rotation: rotation({ size: 1, max_age: 15 * MIN }) });
    const write = async (text: string): Promise<void> => {
      file.write(line(text));
      await within(file.flush(), 'flush');
      await within(file.idle(), 'idle');
    };
    const rotated = (): string[] => readSet(dir, 'web').files.slice(0, -1);
    await write('at 0');
    clock.advance(10 * MIN);
    await write('at 10');
    expect(rotated()).toEqual(['web.20261127-100000.log', 'web.20261127-101000.log']);
    clock.advance(10 * MIN); // the first turns 15 min old at 10:15
    await within(file.idle(), 'idle');
    expect(rotated()).toEqual(['web.20261127-101000.log']);
    await write('at 20');
    clock.advance(5 * MIN - 1);
    await within(file.idle(), 'idle');
    expect(rotated()).toEqual(['web.20261127-101000.log', 'web.20261127-102000.log']);
    clock.advance(1);
    await within(file.idle(), 'idle');
    expect(rotated()).toEqual(['web.20261127-102000.log']);
  });

  it('gzips rotated files in the background, each holding exactly what was rotated', async () => {
    const dir = folder();
    const sources = new Map<string, Buffer>();
    const { file, writeAll } = open(dir, {
      rotation: rotation({ size: 2000, compress: true }),
      fs: fsWith({
        gzip: (from, to) => {
          sources.set(path.basename(to), fs.readFileSync(from));
          return nodeOutputFs.gzip(from, to);
        },
      }),
    });
    const lines = numbered(300);
    await writeAll(lines);
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    const names = fs.readdirSync(dir).sort();
    const gzips = names.filter((name) => name.endsWith('.log.gz'));
    expect(gzips.length).toBeGreaterThan(5);
    expect(names).toEqual([...gzips, 'web.log']); // no plain rotated file, no .tmp
    for (const name of gzips) {
      expect(gunzipSync(fs.readFileSync(path.join(dir, name)))).toEqual(sources.get(`${name}.tmp`));
    }
    expect(readSet(dir, 'web').text).toBe(joined(lines));
  });

  it('finishes what a crash mid-compression left: a stale .tmp and a plain file beside its .gz', async () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'web.20261127-080000.log'), 'oldest\n');
    fs.writeFileSync(path.join(dir, 'web.20261127-080000.log.gz'), gzipSync('oldest\n'));
    fs.writeFileSync(path.join(dir, 'web.20261127-090000.log'), 'older\n');
    fs.writeFileSync(path.join(dir, 'web.20261127-090000.log.gz.tmp'), 'half a gzip');
    const { file } = open(dir, { rotation: rotation({ compress: true }) });
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    expect(fs.readdirSync(dir).sort()).toEqual([
      'web.20261127-080000.log.gz',
      'web.20261127-090000.log.gz',
      'web.log',
    ]);
    expect(readSet(dir, 'web').text).toBe('oldest\nolder\n');
  });

  it('keeps a rotated file uncompressed when gzip fails, and says so', async () => {
    const dir = folder();
    const { file, problems } = open(dir, {
      rotation: rotation({ size: 1, compress: true }),
      fs: fsWith({ gzip: () => Promise.reject(errno('EIO', 'write')) }),
    });
    file.write(line('kept'));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    expect(fs.readdirSync(dir).sort()).toEqual(['web.20261127-100000.log', 'web.log']);
    expect(problems).toEqual([
      `cannot compress ${path.join(dir, 'web.20261127-100000.log')}: EIO: injected, write; it stays uncompressed`,
    ]);
  });
});

describe('OutputFile: a slow disk', () => {
  it('asks the caller to pause at the high-water mark, drops past the bound, and counts it', async () => {
    const dir = folder();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let drains = 0;
    const { file, clock, problems, drained } = open(dir, {
      limits: { queueBytes: 10_000, highWaterBytes: 2000, batchBytes: 1000 },
      fs: fsWith({ writev: writevOf(async (fd, buffers) => gate.then(() => writevPromise(fd, buffers))) }),
    });
    const lines = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(3, '0')} ${'y'.repeat(95)}`);
    const results = lines.map((text) => file.write(line(text))); // 100 bytes a line
    expect(results.indexOf(false)).toBe(19);
    expect(file.dropped).toBe(100);
    expect(problems).toEqual([`${path.join(dir, 'web.log')}: 1 line dropped: disk too slow`]);
    clock.advance(30_000);
    expect(problems.at(-1)).toBe(`${path.join(dir, 'web.log')}: 99 lines dropped: disk too slow`);
    const drain = drained().then(() => drains++);
    release();
    await within(file.flush(), 'flush');
    await within(drain, 'onDrain');
    expect(drains).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe(joined(lines.slice(0, 100)));
  });
});

describe('OutputFile: faults', () => {
  it('holds lines through a full disk, reports it once per interval, and resumes by itself', async () => {
    const dir = folder();
    let full = true;
    const { file, clock, problems, recovered } = open(dir, {
      fs: fsWith({
        writev: writevOf((fd, buffers) =>
          full ? Promise.reject(errno('ENOSPC', 'write')) : writevPromise(fd, buffers),
        ),
      }),
    });
    const lines = numbered(100);
    expect(file.failing).toBe(false);
    expect(lines.map((text) => file.write(line(text))).every(Boolean)).toBe(true);
    await within(file.idle(), 'idle');
    expect(file.failing).toBe(true);
    expect(problems).toEqual([
      `cannot write ${path.join(dir, 'web.log')}: ENOSPC: injected, write (free space on that disk); ` +
        'holding up to 4 MB of output in memory and retrying every 1 s',
    ]);
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await within(file.idle(), 'idle');
    }
    expect(problems).toHaveLength(1);
    clock.advance(25_000);
    await within(file.idle(), 'idle');
    expect(problems).toHaveLength(2);
    full = false;
    clock.advance(1000);
    await within(file.flush(), 'flush');
    expect(file.failing).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe(joined(lines));
    expect(recovered).toEqual([`writing ${path.join(dir, 'web.log')} again after 31 s`]);
  });

  it('lets a paused caller go on once writing fails: lines are dropped, not the child stalled', async () => {
    const dir = folder();
    const { file, drained } = open(dir, {
      limits: { queueBytes: 1000, highWaterBytes: 100, batchBytes: 1000 },
      fs: fsWith({ writev: writevOf(() => Promise.reject(errno('ENOSPC', 'write'))) }),
    });
    expect(file.write(line('x'.repeat(60)))).toBe(true);
    expect(file.write(line('y'.repeat(60)))).toBe(false);
    await within(drained(), 'onDrain when the write fails');
    expect(file.write(line('z'.repeat(60)))).toBe(true);
  });

  it('loses and repeats nothing when a write is short and the next one fails', async () => {
    const dir = folder();
    let calls = 0;
    const { file, clock } = open(dir, {
      fs: fsWith({
        writev: writevOf((fd, buffers) => {
          calls++;
          if (calls === 1) return writevPromise(fd, [Buffer.concat(buffers).subarray(0, 10)]);
          if (calls === 2) return Promise.reject(errno('ENOSPC', 'write'));
          return writevPromise(fd, buffers);
        }),
      }),
    });
    const lines = numbered(50);
    for (const text of lines) file.write(line(text));
    await within(file.idle(), 'idle');
    clock.advance(1000);
    await within(file.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe(joined(lines));
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('recreates a deleted log folder, says so once, and writes on there', async () => {
    const dir = path.join(folder(), 'logs');
    const { file, clock, problems } = open(dir);
    file.write(line('before'));
    await within(file.flush(), 'flush');
    fs.rmSync(dir, { recursive: true });
    clock.advance(5000);
    await within(file.idle(), 'idle');
    expect(fs.existsSync(dir)).toBe(true);
    file.write(line('after'));
    await within(file.flush(), 'flush');
    clock.advance(5000);
    await within(file.idle(), 'idle');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe('after\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/web\.log was deleted or moved away while in use; writing to a new /);
  });

  it('stops checking an idle file, and checks it before the next line: that line goes to a new file', async () => {
    const dir = folder();
    let stats = 0;
    const { file, clock, problems } = open(dir, {
      fs: fsWith({
        stat: (target) => {
          if (target === path.join(dir, 'web.log')) stats++; // the check; not ensureDir's of the folder
          return nodeOutputFs.stat(target);
        },
      }),
    });
    file.write(line('before'));
    await within(file.flush(), 'flush');
    clock.advance(5000); // a line came since the file was opened: checked
    await within(file.idle(), 'idle');
    expect(stats).toBe(1);
    for (let i = 0; i < 5; i++) {
      clock.advance(5000); // idle: not checked
      await within(file.idle(), 'idle');
    }
    expect(stats).toBe(1);
    fs.rmSync(path.join(dir, 'web.log'));
    file.write(line('after'));
    await within(file.flush(), 'flush');
    expect(stats).toBe(2);
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe('after\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/web\.log was deleted or moved away while in use; writing to a new /);
    clock.advance(5000); // and checked on the timer again while lines come
    await within(file.idle(), 'idle');
    expect(stats).toBe(3);
  });

  it('retries a log folder it cannot create (a file in the way), reporting once per interval', async () => {
    const dir = path.join(folder(), 'logs');
    fs.writeFileSync(dir, 'a file where the folder should be');
    const { file, clock, problems, recovered } = open(dir);
    const lines = numbered(10);
    expect(lines.map((text) => file.write(line(text))).every(Boolean)).toBe(true);
    await within(file.idle(), 'idle');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^cannot open .*logs[/\\]web\.log: ENOTDIR: not a directory, .* \(a file stands where log\.dir or one of its parents should be a folder\); holding up to 4 MB/,
    );
    for (let i = 0; i < 29; i++) {
      clock.advance(1000);
      await within(file.idle(), 'idle');
    }
    expect(problems).toHaveLength(1);
    clock.advance(1000);
    await within(file.idle(), 'idle');
    expect(problems).toHaveLength(2);
    fs.rmSync(dir);
    clock.advance(1000);
    await within(file.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe(joined(lines));
    expect(recovered).toHaveLength(1);
  });

  it.skipIf(process.getuid?.() === 0 || process.platform === 'win32')(
    'retries a read-only log folder (not as root: root may write anyway)',
    async () => {
      const dir = folder();
      fs.chmodSync(dir, 0o500);
      const { file, clock, problems } = open(dir);
      file.write(line('waiting'));
      await within(file.idle(), 'idle');
      expect(problems[0]).toMatch(/^cannot open .*web\.log: EACCES/);
      fs.chmodSync(dir, 0o700);
      clock.advance(1000);
      await within(file.flush(), 'flush');
      expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe('waiting\n');
    },
  );

  it('closes even when the disk stays full, saying what was lost', async () => {
    const dir = folder();
    const { file, problems } = open(dir, {
      fs: fsWith({ writev: writevOf(() => Promise.reject(errno('ENOSPC', 'write'))) }),
    });
    file.write(line('never written'));
    await within(file.close(), 'close');
    expect(problems.at(-1)).toBe(`${path.join(dir, 'web.log')}: 14 bytes of output dropped at close: ENOSPC`);
    expect(file.write(line('after close'))).toBe(false);
    await within(file.flush(), 'flush after close');
  });

  it('gives up creating a folder it can never create instead of spinning (Node 20 mkdir -p bug)', async () => {
    if (process.platform !== 'linux') return;
    await expect(within(ensureDir(nodeOutputFs, '/proc/nope/deeper'), 'ensureDir')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

describe('ProcessOutput', () => {
  it('writes both streams to <name>.log when combined', async () => {
    const dir = folder();
    const { clock, now } = clocks();
    const output = new ProcessOutput({
      dir,
      name: 'web',
      output: { streams: 'combined', timestamps: false, rotation: rotation() },
      clock,
      now,
    });
    opened.push(output);
    output.write('stdout', line('out 1'));
    output.write('stderr', line('err 1'));
    output.write('stdout', line('out 2'));
    await within(output.flush(), 'flush');
    expect(output.paths).toEqual({ stdout: path.join(dir, 'web.log'), stderr: path.join(dir, 'web.log') });
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe('out 1\nerr 1\nout 2\n');
  });

  it('writes <name>.out.log and <name>.err.log when separate', async () => {
    const dir = folder();
    const { clock, now } = clocks();
    const output = new ProcessOutput({
      dir,
      name: 'api',
      output: { streams: 'separate', timestamps: true, rotation: rotation() },
      clock,
      now,
    });
    opened.push(output);
    output.write('stdout', line('out'));
    output.write('stderr', line('err'));
    await within(output.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'api.out.log'), 'latin1')).toBe('2026-11-27T10:00:00.000Z out\n');
    expect(fs.readFileSync(path.join(dir, 'api.err.log'), 'latin1')).toBe('2026-11-27T10:00:00.000Z err\n');
  });

  it('ends a cut line of one stream when the other writes into the combined file', async () => {
    const dir = folder();
    const { clock, now } = clocks();
    const output = new ProcessOutput({
      dir,
      name: 'web',
      output: { streams: 'combined', timestamps: false, rotation: rotation() },
      clock,
      now,
    });
    opened.push(output);
    output.write('stdout', line('long ', false));
    output.write('stderr', line('err'));
    output.write('stdout', line('rest'));
    output.write('stdout', line('piece ', false));
    output.write('stdout', line('by piece'));
    await within(output.flush(), 'flush');
    expect(fs.readFileSync(path.join(dir, 'web.log'), 'latin1')).toBe('long \nerr\nrest\npiece by piece\n');
  });
});
