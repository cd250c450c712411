// Moving the current output file to its rotated name, with the file closed. rename() first; where
// another program holds the file open without sharing delete (Windows: EBUSY, EPERM, EACCES), copy
// it to the rotated name and empty it instead. Either way each line ends up in exactly one file: a
// copy whose emptying fails is deleted again.
import { describeError, errorCode } from './output-problems.js';
import type { OutputFs } from './output-fs.js';

export type MoveOutcome =
  | { readonly kind: 'moved' }
  /** Nothing at `from` (deleted, or its folder): nothing to rotate. */
  | { readonly kind: 'gone' }
  | { readonly kind: 'failed'; readonly message: string };

const RENAME_BLOCKED = new Set(['EBUSY', 'EPERM', 'EACCES']);

export async function moveAside(fs: OutputFs, from: string, to: string): Promise<MoveOutcome> {
  try {
    await fs.rename(from, to);
    return { kind: 'moved' };
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return { kind: 'gone' };
    if (!RENAME_BLOCKED.has(code))
      return { kind: 'failed', message: `cannot rotate ${from} to ${to}: ${describeError(error)}` };
    return copyAndTruncate(fs, from, to, code);
  }
}

async function copyAndTruncate(
  fs: OutputFs,
  from: string,
  to: string,
  renameCode: string,
): Promise<MoveOutcome> {
  try {
    await fs.copyFile(from, to);
  } catch (error) {
    return {
      kind: 'failed',
      message: `cannot rotate ${from}: renaming failed (${renameCode}) and copying failed: ${describeError(error)}`,
    };
  }
  try {
    await fs.truncate(from);
    return { kind: 'moved' };
  } catch (error) {
    await fs.unlink(to).catch(() => undefined);
    return {
      kind: 'failed',
      message: `cannot rotate ${from}: emptying it after copying failed: ${describeError(error)}`,
    };
  }
}
