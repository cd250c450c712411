// Creates a folder and its missing parents one level at a time. Not `mkdir -p` through
// fs.mkdir({ recursive: true }): on Node 20.20 that spins forever on a path it cannot create such as
// /proc/nope. Here each level is tried once, so the walk ends after at most one step per path part.
import * as path from 'node:path';
import type { OutputFs } from './output-fs.js';

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

export async function ensureDir(fs: OutputFs, dir: string): Promise<void> {
  try {
    if ((await fs.stat(dir)).isDirectory()) return;
    throw notADirectory(dir);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error;
  }
  const parent = path.dirname(dir);
  if (parent !== dir) await ensureDir(fs, parent);
  try {
    await fs.mkdir(dir);
  } catch (error) {
    // Someone else made it in between: fine if it is a folder.
    if (codeOf(error) !== 'EEXIST' || !(await fs.stat(dir)).isDirectory()) throw error;
  }
}

function notADirectory(dir: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, '${dir}'`);
  error.code = 'ENOTDIR';
  error.path = dir;
  return error;
}
