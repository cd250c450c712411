// One pass over a file set's rotated files, off the write path: delete what retention no longer
// keeps, then gzip what is still plain. Compression goes to `<rotated>.log.gz.tmp`, is renamed to
// `.log.gz` once complete (and flushed), and only then is the plain file deleted, so a crash at any
// point leaves the rotated output readable: a leftover .tmp is deleted by the next pass (only one
// pass runs at a time, so any .tmp it sees is stale), and a plain file next to a finished .gz is
// just the step that did not happen yet.
import * as path from 'node:path';
import type { Clock, Timer } from '../core/clock.js';
import type { RotationSpec } from '../manifest/spec.js';
import { isCompressionTemp, rotatedFileName, rotatedFiles } from './output-files.js';
import type { OutputFs } from './output-fs.js';
import { retain } from './rotation.js';

export interface MaintainContext {
  readonly fs: OutputFs;
  readonly dir: string;
  readonly stem: string;
  readonly rotation: RotationSpec;
  /** Wall-clock ms. */
  readonly now: number;
  /** Checked between files: true once the writer closes, so a pass stops early. */
  readonly stopped: () => boolean;
  readonly onProblem: (key: string, message: string) => void;
}

import { describeError as describe } from './output-problems.js';

/** Runs one pass; resolves with when the next file passes max_age (null: none will). */
export async function maintainRotated(ctx: MaintainContext): Promise<number | null> {
  const { fs, dir, stem } = ctx;
  const remove = async (name: string): Promise<void> => {
    try {
      await fs.unlink(path.join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      ctx.onProblem('remove', `cannot delete old log file ${path.join(dir, name)}: ${describe(error)}`);
    }
  };

  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      ctx.onProblem('list', `cannot list ${dir} to rotate old log files: ${describe(error)}`);
    return null;
  }
  for (const name of names) if (isCompressionTemp(stem, name)) await remove(name);

  const files = rotatedFiles(stem, names);
  const { remove: expired, nextExpiry } = retain(files, ctx.rotation, ctx.now);
  for (const file of expired) {
    if (file.plain !== null) await remove(file.plain);
    if (file.gzip !== null) await remove(file.gzip);
  }
  if (!ctx.rotation.compress) return nextExpiry;

  const gone = new Set(expired);
  for (const file of files) {
    if (ctx.stopped()) break;
    if (gone.has(file) || file.plain === null) continue;
    if (file.gzip === null) {
      const gzip = rotatedFileName(stem, file.stamp, file.seq, true);
      const temp = path.join(dir, `${gzip}.tmp`);
      try {
        await fs.gzip(path.join(dir, file.plain), temp);
        await fs.rename(temp, path.join(dir, gzip));
      } catch (error) {
        ctx.onProblem(
          'compress',
          `cannot compress ${path.join(dir, file.plain)}: ${describe(error)}; it stays uncompressed`,
        );
        await remove(`${gzip}.tmp`);
        continue;
      }
    }
    await remove(file.plain);
  }
  return nextExpiry;
}

export interface UpkeepOptions {
  readonly fs: OutputFs;
  readonly dir: string;
  readonly stem: string;
  readonly rotation: RotationSpec;
  readonly clock: Clock;
  readonly now: () => Date;
  readonly onProblem: (key: string, message: string) => void;
  /** A pass ended and no other is due now. */
  readonly onIdle: () => void;
}

/**
 * Runs passes one at a time, beside (never in) the write loop: when asked (after a rotation, at
 * start) and when the oldest kept file reaches max_age. Requests during a pass make one more pass.
 */
export class RotatedUpkeep {
  #busy = false;
  #again = false;
  #stopped = false;
  #expiry: Timer | null = null;

  constructor(private readonly options: UpkeepOptions) {}

  /** A pass is running. */
  get busy(): boolean {
    return this.#busy;
  }

  request(): void {
    if (this.#stopped) return;
    this.#again = true;
    if (!this.#busy) void this.#run();
  }

  /** No more passes; one in progress stops after the file it is on (see idle() of the owner). */
  stop(): void {
    this.#stopped = true;
    this.#expiry?.cancel();
    this.#expiry = null;
  }

  async #run(): Promise<void> {
    const o = this.options;
    this.#busy = true;
    try {
      while (this.#again && !this.#stopped) {
        this.#again = false;
        const nextExpiry = await maintainRotated({
          fs: o.fs,
          dir: o.dir,
          stem: o.stem,
          rotation: o.rotation,
          now: o.now().getTime(),
          stopped: () => this.#stopped,
          onProblem: o.onProblem,
        });
        this.#expireAt(nextExpiry);
      }
    } catch (error) {
      o.onProblem(
        'maintain',
        `cannot tidy the rotated files of ${path.join(o.dir, o.stem)}: ${describe(error)}`,
      );
    } finally {
      this.#busy = false;
      o.onIdle();
    }
  }

  #expireAt(at: number | null): void {
    this.#expiry?.cancel();
    this.#expiry = null;
    if (at === null || this.#stopped) return;
    const delay = Math.max(1000, at - this.options.now().getTime());
    this.#expiry = this.options.clock.after(delay, () => {
      this.#expiry = null;
      this.request();
    });
  }
}
