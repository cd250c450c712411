// Reading back a file set's last lines, through its current and rotated files (gzip ones too),
// for `corral logs -n` (read-logs.ts) and the start of a follow (follow-log.ts).
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { countNewlines, LastLines, lastLinesOf } from './last-lines.js';
import {
  currentLogFile,
  rotatedFileName,
  rotatedFiles,
  stemOf,
  type LogFileSet,
  type RotatedFile,
} from './output-files.js';

const BLOCK = 64 * 1024;

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** A file set's rotated files in `dir`, oldest first ([] when the folder is missing). */
export async function listRotated(dir: string, name: string, set: LogFileSet): Promise<RotatedFile[]> {
  try {
    return rotatedFiles(stemOf(name, set), await fs.readdir(dir));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/**
 * Last `n` lines of the set; `current`, when given, is the open current file read up to `size`, and
 * `listed` its rotated files when already listed.
 */
export async function tailSet(
  dir: string,
  name: string,
  set: LogFileSet,
  n: number,
  current: { readonly handle: fs.FileHandle; readonly size: number } | null,
  listed?: readonly RotatedFile[],
): Promise<Buffer[]> {
  if (n <= 0) return [];
  let lines: Buffer[];
  if (current !== null) lines = await lastLinesOfHandle(current.handle, current.size, n);
  else lines = (await lastLinesOfPath(currentLogFile(dir, name, set), n)) ?? [];
  const rotated = listed ?? (await listRotated(dir, name, set));
  for (let i = rotated.length - 1; i >= 0 && lines.length < n; i--) {
    const file = rotated[i] as RotatedFile;
    const want = n - lines.length;
    // Compression may replace the plain file between listing and reading: then read its gzip.
    let got = file.plain === null ? null : await lastLinesOfPath(path.join(dir, file.plain), want);
    got ??= await lastLinesOfGzip(path.join(dir, gzipName(name, set, file)), want);
    if (got !== null) lines = [...got, ...lines];
  }
  return lines;
}

/** The file opened for reading, or null when it is not there (rotated or removed meanwhile). */
export async function openIfPresent(file: string): Promise<fs.FileHandle | null> {
  try {
    return await fs.open(file, 'r');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

async function lastLinesOfPath(file: string, n: number): Promise<Buffer[] | null> {
  const handle = await openIfPresent(file);
  if (handle === null) return null;
  try {
    return await lastLinesOfHandle(handle, (await handle.stat()).size, n);
  } finally {
    await handle.close();
  }
}

/** Reads back from `end` a block at a time until `n` whole lines are in hand or the start is reached. */
async function lastLinesOfHandle(handle: fs.FileHandle, end: number, n: number): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  let position = end;
  let newlines = 0;
  while (position > 0) {
    const length = Math.min(BLOCK, position);
    position -= length;
    const block = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(block, 0, length, position);
    blocks.push(block.subarray(0, bytesRead));
    newlines += countNewlines(block.subarray(0, bytesRead));
    // The newline ending the last line does not start another: n lines need n more before it.
    const last = (blocks[0] as Buffer).at(-1);
    if (newlines - (last === 0x0a ? 1 : 0) >= n) break;
  }
  return lastLinesOf(Buffer.concat(blocks.reverse()), position === 0, n);
}

async function lastLinesOfGzip(file: string, n: number): Promise<Buffer[] | null> {
  const last = new LastLines(n);
  const found = await readGzip(file, (chunk) => {
    last.push(chunk);
  });
  return found ? last.end() : null;
}

/** Streams a gzip file's content to `give`; false when the file is not there. */
export async function readGzip(file: string, give: (chunk: Buffer) => void): Promise<boolean> {
  try {
    await pipeline(createReadStream(file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) give(chunk);
    });
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** Streams a file's bytes from `start` to `give`; false when the file is not there. */
export async function readPlain(
  file: string,
  start: number,
  give: (chunk: Buffer) => void,
): Promise<boolean> {
  try {
    await pipeline(createReadStream(file, { start }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) give(chunk);
    });
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export function gzipName(name: string, set: LogFileSet, file: RotatedFile): string {
  return rotatedFileName(stemOf(name, set), file.stamp, file.seq, true);
}
