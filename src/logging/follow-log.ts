// `corral logs <name> -f`: follows a file set's current file across rotations, whether or not a
// supervisor is writing it; only the names (output-files.ts) are shared with the writer.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { systemClock, type Clock, type Timer } from '../core/clock.js';
import { currentLogFile, type LogFileSet, type RotatedFile } from './output-files.js';
import { gzipName, isMissing, listRotated, openIfPresent, readGzip, readPlain, tailSet } from './tail-set.js';

const BLOCK = 64 * 1024;
/** How long looks wait for a copied file to be emptied before taking it as emptied. */
const COPY_WAIT_MS = 2_000;
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

  /** A rotated file newer than `baseline`: with the current file still ours, a copy of it. */
  const copiedSince = async (): Promise<RotatedFile | null> => {
    const newest = (await listRotated(dir, name, set)).at(-1) ?? null;
    return newest !== null && isAfter(newest, baseline) ? newest : null;
  };

  /**
   * Reads `handle` from `position` to its end. `isCurrent`: it is the file under the current name,
   * which the writer may copy and empty at any moment; bytes read are given only if no copy had
   * appeared by the time they were read (a copy is made before the emptying, so bytes read with
   * none in sight are the old content); otherwise they are dropped, and the next look takes them
   * from the copy.
   */
  const drain = async (handle: fs.FileHandle, isCurrent: boolean): Promise<void> => {
    for (;;) {
      const buffer = Buffer.allocUnsafe(BLOCK);
      const { bytesRead } = await handle.read(buffer, 0, BLOCK, position);
      if (bytesRead === 0) return;
      if (isCurrent && (await copiedSince()) !== null) return;
      position += bytesRead;
      options.onData(buffer.subarray(0, bytesRead));
    }
  };

  /**
   * Whether the current file still holds what its newest copy was made from: not emptied yet (the
   * copy may still be being written). The writer writes nothing between copying and emptying, so
   * such a file starts as the copy does; one emptied and written again starts differently, or
   * (lines repeating) is taken as emptied once COPY_WAIT_MS have passed.
   */
  const notYetEmptied = async (copy: RotatedFile, handle: fs.FileHandle): Promise<boolean> => {
    if (copy.plain === null) return false; // compressed: emptied long ago
    const copyHandle = await openIfPresent(path.join(dir, copy.plain));
    if (copyHandle === null) return false;
    try {
      const ours = Buffer.alloc(256);
      const theirs = Buffer.alloc(256);
      const [a, b] = await Promise.all([handle.read(ours, 0, 256, 0), copyHandle.read(theirs, 0, 256, 0)]);
      if (a.bytesRead === 0) return false; // emptied, nothing written since
      if (b.bytesRead === 0) return true; // the copy has only just been begun
      const length = Math.min(a.bytesRead, b.bytesRead);
      return ours.subarray(0, length).equals(theirs.subarray(0, length));
    } finally {
      await copyHandle.close();
    }
  };
  let waitingSince: number | null = null;

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
    let present = true;
    try {
      moved = (await fs.stat(file)).ino !== ino;
    } catch (error) {
      if (!isMissing(error)) throw error; // gone for now: finish the old one, wait for the new
      present = false;
    }
    const ours = present && !moved;
    // Copied and emptied since the last look: it shrank, or, still under our name and inode, it has
    // a newer rotated file beside it (and may have grown past `position` again since).
    const copy = ours ? await copiedSince() : null;
    if ((await handle.stat()).size < position || copy !== null) {
      if (copy !== null && (await notYetEmptied(copy, handle))) {
        waitingSince ??= clock.now();
        if (clock.now() - waitingSince < COPY_WAIT_MS) return; // look again once it is emptied
      }
      waitingSince = null;
      const rotated = await listRotated(dir, name, set);
      await catchUp(rotated, rotated.at(-1) ?? null, position, ino); // the copies have what we missed
      position = 0;
    }
    // All of it (the writer closes a file before it renames it), unless it is being copied.
    await drain(handle, ours);
    if (!moved) return;
    current = null;
    await handle.close();
    const { opened, rotated, newest } = await openSettled();
    await catchUp(rotated, newest, 'ours', ino);
    current = opened;
    position = 0;
    if (opened !== null) await drain(opened.handle, true);
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
