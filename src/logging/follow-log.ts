// `corral logs <name> -f`: follows a file set's current file across rotations, whether or not a
// supervisor is writing it; only the names (output-files.ts) are shared with the writer.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { systemClock, type Clock, type Timer } from '../core/clock.js';
import { currentLogFile, type LogFileSet, type RotatedFile } from './output-files.js';
import { gzipName, isMissing, listRotated, openIfPresent, readGzip, readPlain, tailSet } from './tail-set.js';

const BLOCK = 64 * 1024;
const NEWLINE = Buffer.from('\n');

export interface FollowOptions {
  readonly dir: string;
  readonly name: string;
  readonly set: LogFileSet;
  /** Lines from before the follow starts to give first (0: only what is written from now on). */
  readonly lines?: number;
  /** Bytes as they are written (whole lines unless a line is being written in pieces). */
  readonly onData: (chunk: Buffer) => void;
  readonly onError?: (error: unknown) => void;
  readonly clock?: Clock;
  /** ms between looks at the file. */
  readonly interval?: number;
}

export interface Follower {
  /** Resolves once the earlier lines asked for are given and following has begun. */
  readonly ready: Promise<void>;
  /** Resolves once the look at the file in progress (if any) is done and the next one is timed. */
  idle(): Promise<void>;
  /** Stops following; resolves once the file is closed. */
  cancel(): Promise<void>;
}

type Key = Pick<RotatedFile, 'stamp' | 'seq'> | null;

function sameKey(a: Key, b: Key): boolean {
  return a === null || b === null ? a === b : a.stamp === b.stamp && a.seq === b.seq;
}

function isAfter(file: RotatedFile, key: Key): boolean {
  return key === null || file.stamp > key.stamp || (file.stamp === key.stamp && file.seq > key.seq);
}

/**
 * Follows the set's current file like `tail -F`, polling it. When the name points at another file
 * (rotated), it gives the rest of the old one, then any files rotated in between whole (found by
 * name: newer than the newest rotated file when the old one was opened), then the new one from its
 * start. When the file shrinks (copied and truncated), the copy gives what was not read yet.
 */
export function follow(options: FollowOptions): Follower {
  const { dir, name, set } = options;
  const clock = options.clock ?? systemClock;
  const interval = options.interval ?? 250;
  const file = currentLogFile(dir, name, set);
  let current: { readonly handle: fs.FileHandle; readonly ino: number } | null = null;
  let position = 0;
  /** The newest rotated file when `current` was opened: the next rotated one is `current`. */
  let baseline: Key = null;
  let cancelled = false;
  let timer: Timer | null = null;

  const open = async (): Promise<{ handle: fs.FileHandle; ino: number; size: number } | null> => {
    const handle = await openIfPresent(file);
    if (handle === null) return null;
    const { ino, size } = await handle.stat();
    return { handle, ino, size };
  };

  /** Opens the current file with no rotation in between listing and opening (so `newest` is right). */
  const openSettled = async () => {
    for (let attempt = 0; ; attempt++) {
      const before = (await listRotated(dir, name, set)).at(-1) ?? null;
      const opened = await open();
      const rotated = await listRotated(dir, name, set);
      const newest = rotated.at(-1) ?? null;
      if (attempt === 3 || sameKey(newest, before)) return { opened, rotated, newest };
      await opened?.handle.close();
    }
  };

  const emitFrom = async (rotated: RotatedFile, offset: number): Promise<void> => {
    let skip = offset;
    const give = (chunk: Buffer): void => {
      if (skip >= chunk.length) skip -= chunk.length;
      else {
        options.onData(chunk.subarray(skip));
        skip = 0;
      }
    };
    const there = rotated.plain !== null && (await readPlain(path.join(dir, rotated.plain), 0, give));
    if (!there) await readGzip(path.join(dir, gzipName(name, set, rotated)), give);
  };

  /** Gives the files rotated after `baseline` up to `upTo`; the first is ours: from `first` on, or not at all. */
  const catchUp = async (rotated: RotatedFile[], upTo: Key, first: number | 'ours', ours: number) => {
    const between = rotated.filter((r) => isAfter(r, baseline) && (upTo === null || !isAfter(r, upTo)));
    for (const [index, r] of between.entries()) {
      if (index > 0) await emitFrom(r, 0);
      else if (first !== 'ours') await emitFrom(r, first);
      else if (r.plain !== null) {
        // Ours, read to its end already, unless its inode says it is another file.
        const ino = await fs.stat(path.join(dir, r.plain)).then(
          (stat) => stat.ino,
          () => ours,
        );
        if (ino !== ours) await emitFrom(r, 0);
      }
    }
    baseline = upTo ?? baseline;
  };

  const drain = async (handle: fs.FileHandle): Promise<void> => {
    for (;;) {
      const buffer = Buffer.allocUnsafe(BLOCK);
      const { bytesRead } = await handle.read(buffer, 0, BLOCK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      options.onData(buffer.subarray(0, bytesRead));
    }
  };

  const look = async (): Promise<void> => {
    if (current === null) {
      // Not there when last looked: all of it is new, and anything rotated since too.
      const { opened, rotated, newest } = await openSettled();
      if (opened === null) return;
      await catchUp(rotated, newest, 0, -1);
      current = opened;
      position = 0;
    }
    const { handle, ino } = current;
    let moved = false;
    try {
      moved = (await fs.stat(file)).ino !== ino;
    } catch (error) {
      if (!isMissing(error)) throw error; // gone for now: finish the old one, wait for the new
    }
    if ((await handle.stat()).size < position) {
      const rotated = await listRotated(dir, name, set);
      await catchUp(rotated, rotated.at(-1) ?? null, position, ino); // the copy has what we missed
      position = 0;
    }
    await drain(handle); // all of it: the writer closes a file before it renames it
    if (!moved) return;
    current = null;
    await handle.close();
    const { opened, rotated, newest } = await openSettled();
    await catchUp(rotated, newest, 'ours', ino);
    current = opened;
    position = 0;
    if (opened !== null) await drain(opened.handle);
  };

  const start = async (): Promise<void> => {
    const { opened, rotated, newest } = await openSettled();
    current = opened;
    baseline = newest;
    const earlier = await tailSet(
      dir,
      name,
      set,
      options.lines ?? 0,
      opened === null ? null : { handle: opened.handle, size: opened.size },
      rotated,
    );
    if (earlier.length > 0) options.onData(Buffer.concat(earlier.flatMap((line) => [line, NEWLINE])));
    position = opened === null ? 0 : opened.size;
  };

  let inFlight: Promise<void> = Promise.resolve();
  const run = (step: () => Promise<void>): Promise<void> => {
    inFlight = step()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        if (cancelled) return;
        timer = clock.after(interval, () => {
          timer = null;
          void run(look);
        });
      });
    return inFlight;
  };

  const ready = run(start);
  return {
    ready,
    idle: () => inFlight,
    async cancel() {
      cancelled = true;
      timer?.cancel();
      timer = null;
      await inFlight;
      const last = current;
      current = null;
      await last?.handle.close();
    },
  };
}
