// Reading a process's output files the way `corral logs <name> [-n N] [-f]` will, whether or not a
// supervisor is writing them: only the names (output-files.ts) are shared, no state. Lines are
// Buffers, bytes as the child wrote them.
import type { OutputSpec } from '../manifest/spec.js';
import { fileSetsOf, type LogFileSet } from './output-files.js';
import { tailSet } from './tail-set.js';

export { follow, type Follower, type FollowOptions } from './follow-log.js';
export { listRotated } from './tail-set.js';

export interface TailedLines {
  readonly set: LogFileSet;
  /** Oldest first, without their newlines. */
  readonly lines: Buffer[];
}

/**
 * The last `n` lines of each of the process's file sets (one when combined, stdout then stderr when
 * separate), reading back through the rotated files, gzipped ones included, as far as needed.
 */
export async function tailLines(
  dir: string,
  name: string,
  streams: OutputSpec['streams'],
  n: number,
): Promise<TailedLines[]> {
  return Promise.all(
    fileSetsOf(streams).map(async (set) => ({ set, lines: await tailSet(dir, name, set, n, null) })),
  );
}
