import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { OutputFile } from '../../../src/logging/output-file.js';
import { follow, tailLines, type Follower } from '../../../src/logging/read-logs.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { clocks, errno, fsWith, line, numbered, rotation, tempDir, within } from './output-helpers.js';

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

const joined = (lines: readonly string[]): string => lines.map((text) => `${text}\n`).join('');
const text = (lines: Buffer[]): string[] => lines.map((bytes) => bytes.toString('latin1'));

/** web.20261127-080000.log.gz: lines 0-99, web.20261127-090000.log: 100-199, web.log: 200-209. */
function threeFiles(dir: string): string[] {
  const lines = numbered(210);
  fs.writeFileSync(path.join(dir, 'web.20261127-080000.log.gz'), gzipSync(joined(lines.slice(0, 100))));
  fs.writeFileSync(path.join(dir, 'web.20261127-090000.log'), joined(lines.slice(100, 200)));
  fs.writeFileSync(path.join(dir, 'web.log'), joined(lines.slice(200)));
  return lines;
}

describe('tailLines', () => {
  it('reads back through the current file, then plain and gzipped rotated files', async () => {
    const dir = folder();
    const lines = threeFiles(dir);
    const tail = async (n: number): Promise<string[]> => {
      const [combined] = await tailLines(dir, 'web', 'combined', n);
      expect(combined?.set).toBe('combined');
      return text(combined?.lines ?? []);
    };
    expect(await tail(5)).toEqual(lines.slice(205));
    expect(await tail(15)).toEqual(lines.slice(195));
    expect(await tail(150)).toEqual(lines.slice(60));
    expect(await tail(1000)).toEqual(lines);
    expect(await tail(0)).toEqual([]);
  });

  it('reads a rotated file once when both its plain and gzip forms are there', async () => {
    const dir = folder();
    const lines = threeFiles(dir);
    fs.writeFileSync(path.join(dir, 'web.20261127-090000.log.gz'), gzipSync(joined(lines.slice(100, 200))));
    const [combined] = await tailLines(dir, 'web', 'combined', 1000);
    expect(text(combined?.lines ?? [])).toEqual(lines);
  });

  it('finds lines far back in a large file, and a last line without a newline', async () => {
    const dir = folder();
    const lines = Array.from({ length: 300 }, (_, i) => `${i} ${'z'.repeat(997)}`);
    fs.writeFileSync(path.join(dir, 'web.log'), joined(lines).slice(0, -1));
    const [combined] = await tailLines(dir, 'web', 'combined', 250);
    expect(text(combined?.lines ?? [])).toEqual(lines.slice(50));
  });

  it('tails stdout and stderr apart when separate, and finds nothing in a missing folder', async () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'api.out.log'), 'o1\no2\n');
    fs.writeFileSync(path.join(dir, 'api.err.20261127-090000.log'), 'e1\n');
    fs.writeFileSync(path.join(dir, 'api.err.log'), 'e2\n');
    const sets = await tailLines(dir, 'api', 'separate', 10);
    expect(sets.map((set) => ({ set: set.set, lines: text(set.lines) }))).toEqual([
      { set: 'stdout', lines: ['o1', 'o2'] },
      { set: 'stderr', lines: ['e1', 'e2'] },
    ]);
    expect(await tailLines(path.join(dir, 'missing'), 'api', 'combined', 10)).toEqual([
      { set: 'combined', lines: [] },
    ]);
  });

  it('reads back what the writer rotated and compressed', async () => {
    const dir = folder();
    const { clock, now } = clocks();
    const file = new OutputFile({
      dir,
      stem: 'web',
      timestamps: false,
      rotation: rotation({ size: 4096, compress: true }),
      clock,
      now,
    });
    cleanup.push(() => file.close());
    const lines = numbered(2000);
    for (const text_ of lines) file.write(line(text_));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.gz')).length).toBeGreaterThan(10);
    const [combined] = await tailLines(dir, 'web', 'combined', 2000);
    expect(text(combined?.lines ?? [])).toEqual(lines);
  });
});

describe('follow', () => {
  /** Starts following; `received()` is everything given since (the earlier lines included). */
  function following(dir: string, clock: FakeClock | null, lines = 0) {
    let received = '';
    let waiters: (() => void)[] = [];
    const follower: Follower = follow({
      dir,
      name: 'web',
      set: 'combined',
      lines,
      interval: clock === null ? 5 : 100,
      clock: clock ?? systemClock,
      onData: (chunk) => {
        received += chunk.toString('latin1');
        const wake = waiters;
        waiters = [];
        for (const resolve of wake) resolve();
      },
      onError: (error) => {
        throw error;
      },
    });
    cleanup.push(() => follower.cancel());
    return {
      follower,
      received: () => received,
      /** Resolves once `expected` is all that was received (fails at the deadline with what came). */
      until: async (expected: string): Promise<void> => {
        const reached = async (): Promise<void> => {
          while (received.length < expected.length)
            await new Promise<void>((resolve) => waiters.push(resolve));
        };
        await within(reached(), `${expected.length} bytes (have ${received.length})`);
        expect(received).toBe(expected);
      },
    };
  }

  it('gives the last lines asked for, then what is written, across rotations', async () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'web.log'), 'old 1\nold 2\nold 3\n');
    const pollClock = new FakeClock();
    const { follower, received } = following(dir, pollClock, 2);
    await within(follower.ready, 'ready');
    expect(received()).toBe('old 2\nold 3\n');

    const { clock, now } = clocks();
    const file = new OutputFile({
      dir,
      stem: 'web',
      timestamps: false,
      rotation: rotation({ size: 2048 }),
      clock,
      now,
    });
    cleanup.push(() => file.close());
    const lines = numbered(500); // ~20 rotations between two looks: the ones in between are given whole
    for (const text_ of lines) file.write(line(text_));
    await within(file.flush(), 'flush');
    await within(file.idle(), 'idle');
    pollClock.advance(100);
    await within(follower.idle(), 'a look');
    expect(received()).toBe(`old 2\nold 3\n${joined(lines)}`);

    const more = numbered(3, 500);
    for (const text_ of more) file.write(line(text_));
    await within(file.flush(), 'flush');
    pollClock.advance(100);
    await within(follower.idle(), 'a look');
    expect(received()).toBe(`old 2\nold 3\n${joined(lines)}${joined(more)}`);
  });

  it('keeps up with a writer rotating and compressing while it polls for real', async () => {
    const dir = folder();
    const { follower, until } = following(dir, null);
    await within(follower.ready, 'ready');
    const { clock, now } = clocks();
    const file = new OutputFile({
      dir,
      stem: 'web',
      timestamps: false,
      rotation: rotation({ size: 8192, compress: true }),
      clock,
      now,
    });
    cleanup.push(() => file.close());
    const lines = numbered(3000);
    for (let i = 0; i < lines.length; i += 300) {
      for (const text_ of lines.slice(i, i + 300)) file.write(line(text_));
      await within(file.flush(), 'flush');
    }
    await until(joined(lines));
  });

  it('keeps up with a writer copying and emptying the file (a rename refused) while it polls for real', async () => {
    const dir = folder();
    const { follower, until } = following(dir, null);
    await within(follower.ready, 'ready');
    const { clock, now } = clocks();
    const file = new OutputFile({
      dir,
      stem: 'web',
      timestamps: false,
      rotation: rotation({ size: 4096, keep: 1000 }),
      clock,
      now,
      fs: fsWith({ rename: () => Promise.reject(errno('EBUSY', 'rename')) }),
    });
    cleanup.push(() => file.close());
    const lines = numbered(3000);
    for (let i = 0; i < lines.length; i += 100) {
      for (const text_ of lines.slice(i, i + 100)) file.write(line(text_));
      await within(file.flush(), 'flush');
    }
    await until(joined(lines));
    expect(fs.readdirSync(dir).length).toBeGreaterThan(25); // it did rotate, by copying
  });

  /**
   * A follower started on `web.log` holding `first`, polled by hand: `look()` is one poll;
   * `copyAside()` copies the file to a rotated name, as the writer does before emptying it.
   */
  async function followingByHand(first: string) {
    const dir = folder();
    const current = path.join(dir, 'web.log');
    fs.writeFileSync(current, first);
    const pollClock = new FakeClock();
    const { follower, received } = following(dir, pollClock);
    await within(follower.ready, 'ready');
    return {
      current,
      received,
      look: async () => {
        pollClock.advance(100);
        await within(follower.idle(), 'a look');
      },
      copyAside: () => {
        fs.writeFileSync(path.join(dir, 'web.20261127-100000.log'), fs.readFileSync(current));
      },
    };
  }

  const copiedAndTruncated = [
    {
      title: 'gives the unread end from the copy, then the top of a file that was copied and truncated',
      read: 'a long first line\n',
      unread: 'written before the copy, not read yet\n',
      after: 'new\n',
    },
    {
      title: 'notices a copy and truncation even when the file has grown past where it read by the next look',
      read: 'short\n',
      unread: 'unread\n',
      after: 'a new line longer than what was read\n',
    },
  ];
  for (const { title, read, unread, after } of copiedAndTruncated) {
    it(title, async () => {
      const { current, received, look, copyAside } = await followingByHand(read);
      fs.appendFileSync(current, unread);
      copyAside();
      fs.truncateSync(current, 0);
      fs.appendFileSync(current, after);
      await look();
      expect(received()).toBe(unread + after);
    });
  }

  it('waits while a file is copied but not yet emptied, then goes on from the copy', async () => {
    const { current, received, look, copyAside } = await followingByHand('first\n');
    fs.appendFileSync(current, 'second\n');
    copyAside();
    await look(); // a look between the copy and the truncation
    fs.truncateSync(current, 0);
    fs.appendFileSync(current, 'third, after the rotation\n');
    await look();
    expect(received()).toBe('second\nthird, after the rotation\n');
  });

  it('reads on where it was when the newest rotated file is deleted (max_age), repeating nothing', async () => {
    const dir = folder();
    const current = path.join(dir, 'web.log');
    const rotatedFile = path.join(dir, 'web.20261127-100000.log');
    fs.writeFileSync(rotatedFile, 'old\n');
    fs.writeFileSync(current, 'first\n');
    const pollClock = new FakeClock();
    const { follower, received } = following(dir, pollClock);
    await within(follower.ready, 'ready');
    fs.rmSync(rotatedFile);
    fs.appendFileSync(current, 'second\n');
    pollClock.advance(100);
    await within(follower.idle(), 'a look');
    expect(received()).toBe('second\n');
  });

  it('waits for a file that does not exist yet, and stops when cancelled', async () => {
    const dir = folder();
    const pollClock = new FakeClock();
    const { follower, received } = following(dir, pollClock);
    await within(follower.ready, 'ready');
    pollClock.advance(100);
    await within(follower.idle(), 'a look');
    expect(received()).toBe('');
    fs.writeFileSync(path.join(dir, 'web.log'), 'first\n');
    pollClock.advance(100);
    await within(follower.idle(), 'a look');
    expect(received()).toBe('first\n');
    await within(follower.cancel(), 'cancel');
    fs.appendFileSync(path.join(dir, 'web.log'), 'unseen\n');
    pollClock.advance(1000);
    expect(pollClock.pending).toBe(0);
    expect(received()).toBe('first\n');
  });
});
