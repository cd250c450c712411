// Shared by the output log tests: a temp folder per test, a fake monotonic clock with a wall clock
// tied to it, deadlines instead of sleeps, and a way to read a file set back in order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Line } from '../../../src/logging/line-splitter.js';
import { currentFileName, rotatedFiles } from '../../../src/logging/output-files.js';
import { nodeOutputFs, type OutputFs } from '../../../src/logging/output-fs.js';
import type { RotationSpec } from '../../../src/manifest/spec.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** 2026-11-27T10:00:00Z */
export const BASE = Date.UTC(2026, 10, 27, 10, 0, 0);

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'corral-log-'));
}

/** A FakeClock and a wall clock that moves with it from `base`. */
export function clocks(base = BASE): { clock: FakeClock; now: () => Date } {
  const clock = new FakeClock();
  return { clock, now: () => new Date(base + clock.now()) };
}

export function rotation(spec: Partial<RotationSpec> = {}): RotationSpec {
  return { size: null, every: 'never', keep: 100, max_age: null, compress: false, ...spec };
}

export function line(text: string | Buffer, complete = true): Line {
  return { bytes: typeof text === 'string' ? Buffer.from(text, 'latin1') : text, complete };
}

/** Resolves as `promise` does, or rejects after `ms` saying what was awaited. */
export async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function errno(code: string, syscall: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: injected, ${syscall}`);
  error.code = code;
  error.syscall = syscall;
  return error;
}

/** The real fs with some calls replaced. */
export function fsWith(overrides: Partial<OutputFs>): OutputFs {
  return { ...nodeOutputFs, ...overrides };
}

export interface FileSetContent {
  /** Rotated file names oldest first, then the current file's. */
  readonly files: string[];
  /** Each file's bytes (gzip ones uncompressed), in the same order. */
  readonly contents: Buffer[];
  /** All of it, as latin1 text. */
  readonly text: string;
}

/** Reads a file set back: the rotated files oldest first, then the current file. */
export function readSet(dir: string, stem: string): FileSetContent {
  const files: string[] = [];
  const contents: Buffer[] = [];
  for (const file of rotatedFiles(stem, fs.readdirSync(dir))) {
    const name = file.plain ?? file.gzip;
    if (name === null) continue;
    const bytes = fs.readFileSync(path.join(dir, name));
    files.push(name);
    contents.push(file.plain === null ? gunzipSync(bytes) : bytes);
  }
  const current = path.join(dir, currentFileName(stem));
  if (fs.existsSync(current)) {
    files.push(currentFileName(stem));
    contents.push(fs.readFileSync(current));
  }
  return { files, contents, text: Buffer.concat(contents).toString('latin1') };
}

/** `line 000042 xxxx…`: numbered lines of varying length. */
export function numbered(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return `line ${String(n).padStart(6, '0')} ${'x'.repeat(n % 61)}`;
  });
}
