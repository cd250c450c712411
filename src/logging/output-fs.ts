// The file-system seam of the output log writer: every call it makes goes through an OutputFs, so
// tests can make one operation fail (ENOSPC on write, EBUSY on rename, a slow disk) without root,
// a full disk or Windows. `nodeOutputFs` is the real one; it works on raw fds so a batch of lines is
// one write(2), not a stream's chunk bookkeeping.
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface FileStat {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  isDirectory(): boolean;
}

export type WriteCallback = (error: NodeJS.ErrnoException | null, written: number) => void;

export interface OutputFs {
  /** Opens for appending and reading (`a+`, created 0640 when missing) or reading (`r`); resolves with the fd. */
  open(path: string, flags: 'a+' | 'r'): Promise<number>;
  /**
   * Appends the buffers in order (one writev(2)) and calls back with the bytes written, maybe fewer.
   * A callback, not a promise: it runs once per pipe read of every child (see output-file.ts).
   */
  writev(fd: number, buffers: readonly Buffer[], callback: WriteCallback): void;
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(fd: number): Promise<void>;
  fstat(fd: number): Promise<FileStat>;
  stat(path: string): Promise<FileStat>;
  /** Creates one folder; the parent must exist (see ensureDir). */
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  /** Copies `from` to a new file `to`; fails if `to` exists. */
  copyFile(from: string, to: string): Promise<void>;
  /** Empties the file at `path`. */
  truncate(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Streams `from` through gzip into a new file `to`, flushed to the disk before it resolves. */
  gzip(from: string, to: string): Promise<void>;
}

const FILE_MODE = 0o640;

/** A writev for an OutputFs from a function that returns a promise (tests inject faults this way). */
export function writevOf(
  write: (fd: number, buffers: readonly Buffer[]) => Promise<number>,
): OutputFs['writev'] {
  return (fd, buffers, callback) => {
    write(fd, buffers).then(
      (written) => {
        callback(null, written);
      },
      (error: unknown) => {
        callback(error as NodeJS.ErrnoException, 0);
      },
    );
  };
}

/** The real writev, as a promise (for tests that wrap it). */
export function writevPromise(fd: number, buffers: readonly Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    nodeOutputFs.writev(fd, buffers, (error, written) => {
      if (error === null) resolve(written);
      else reject(error);
    });
  });
}

function settle<T>(resolve: (value: T) => void, reject: (error: Error) => void) {
  return (error: Error | null, value: T): void => {
    if (error === null) resolve(value);
    else reject(error);
  };
}

export const nodeOutputFs: OutputFs = {
  open: (path, flags) =>
    new Promise((resolve, reject) => {
      fs.open(path, flags, FILE_MODE, settle(resolve, reject));
    }),
  writev: (fd, buffers, callback) => {
    if (buffers.length === 1) fs.write(fd, buffers[0] as Buffer, callback);
    else fs.writev(fd, buffers, callback);
  },
  read: (fd, buffer, offset, length, position) =>
    new Promise((resolve, reject) => {
      fs.read(fd, buffer, offset, length, position, settle(resolve, reject));
    }),
  close: closeFd,
  fstat: (fd) =>
    new Promise((resolve, reject) => {
      fs.fstat(fd, settle(resolve, reject));
    }),
  stat: (path) => fs.promises.stat(path),
  mkdir: async (path) => {
    await fs.promises.mkdir(path);
  },
  readdir: (path) => fs.promises.readdir(path),
  rename: (from, to) => fs.promises.rename(from, to),
  copyFile: (from, to) => fs.promises.copyFile(from, to, fs.constants.COPYFILE_EXCL),
  truncate: (path) => fs.promises.truncate(path, 0),
  unlink: (path) => fs.promises.unlink(path),
  gzip: (from, to) =>
    pipeline(
      fs.createReadStream(from),
      createGzip(),
      fs.createWriteStream(to, { flags: 'wx', mode: FILE_MODE, flush: true }),
    ),
};

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.close(fd, (error) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
}
