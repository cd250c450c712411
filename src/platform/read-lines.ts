// A child's output stream to its handlers, for every platform's launcher (types.ts, ChildHandlers):
// whole lines of a chunk at once (onLines), the line a chunk completes and a partial tail line by
// line (onLine), a line longer than maxLine in pieces, never held whole. Bytes pass as the child
// wrote them: a Windows child's CRLF stays in its log file; whoever reads lines as text (the
// console, a log probe) drops the CR. Reading pauses when a handler returns false, until the
// stream is resumed (Child.resumeOutput).
//
// Two sources: Node's stdio pipe of a ChildProcess (a new buffer for every read), or a pipe the
// launcher made itself (POSIX: libc.ts outputPipe), read with net.Socket's `onread` into one
// buffer that every such pipe shares. Either way the handlers' bytes are valid only during the
// call: a handler copies what it keeps (the log file's queue does). Reading 200 MB into fresh 64 KB
// buffers cost the supervisor more in garbage collection than the copies do (performance.md).
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { LineSplitter } from '../logging/line-splitter.js';
import type { Child, ChildHandlers } from './types.js';

/** After the child exits, how long its output may still drain before the exit is reported anyway. */
export const OUTPUT_GRACE_MS = 200;

/**
 * The most one read from a pipe of our own takes (less when log.max_line is smaller, so that a
 * read can always go to the file as one block). More than a pipe holds at first (64 KB): a busy
 * pipe is made larger (OutputFds.grow).
 */
const READ_SIZE = 256 * 1024;
/**
 * A read this long (half a default pipe) means a child that writes a lot at once: its pipe is made
 * larger. (Not a whole 64 KB: a child writing 64 KB blocks is read as it writes them, a little less.)
 */
const BUSY_READ = 32 * 1024;

/**
 * The buffer every pipe of our own is read into. One is enough: an onread callback runs to its end
 * before the next read, and nothing keeps a view of the buffer past its call.
 */
let sharedReadBuffer: Buffer | null = null;

/** The read ends of a child's stdout and stderr pipes, when the launcher made the pipes. */
export interface OutputFds {
  readonly stdout: number;
  readonly stderr: number;
  /**
   * Called once for a pipe whose read came back full or nearly (BUSY_READ): the launcher may make it larger,
   * so that a child that writes a lot blocks less often and each read takes more.
   */
  readonly grow: (fd: number) => void;
}

/** One output stream being read: to resume after a pause, to give up on, and when it has ended. */
interface OutputReader {
  readonly stream: Readable;
  readonly ended: Promise<void>;
  resume(): void;
}

/**
 * Reads a spawned child's stdout and stderr into `handlers` and reports its exit once both have
 * ended: from `fds` when given (pipes of our own; the streams of `subprocess` are then null),
 * else from the subprocess's stdio pipes. `atExit` runs first: each platform kills there whatever
 * the child left behind. Returns what the Child offers of its stdio.
 */
export function watchChild(
  subprocess: ChildProcess,
  maxLine: number,
  handlers: ChildHandlers,
  atExit: () => void,
  fds: OutputFds | null = null,
): Pick<Child, 'write' | 'closeStdin' | 'resumeOutput'> {
  // Writing a stop text to a child that already exited fails with EPIPE: that is the child's
  // business (the step's timeout goes on), never an uncaught error in the supervisor.
  subprocess.stdin?.on('error', () => undefined);
  const readers =
    fds === null
      ? [
          readStream(subprocess.stdout as Readable, 'stdout', maxLine, handlers),
          readStream(subprocess.stderr as Readable, 'stderr', maxLine, handlers),
        ]
      : [
          readPipe(fds.stdout, 'stdout', maxLine, handlers, fds.grow),
          readPipe(fds.stderr, 'stderr', maxLine, handlers, fds.grow),
        ];
  subprocess.once('exit', (code, signal) => {
    atExit();
    // What is left in the pipes is read now even if a slow log file asked for a pause: the child
    // is gone, so that is at most a pipe's worth (and the grace below), and the file's bounded
    // queue takes it or counts it as dropped.
    for (const reader of readers) reader.resume();
    // A grandchild may hold stdout open long after the child is gone: wait for the output only
    // briefly, then report the exit and let go of the streams.
    const timer = setTimeout(() => {
      for (const reader of readers) reader.stream.destroy();
    }, OUTPUT_GRACE_MS);
    void Promise.all(readers.map((reader) => reader.ended)).then(() => {
      clearTimeout(timer);
      handlers.onExit(code, signal);
    });
  });
  return {
    write: (text) => subprocess.stdin?.writable === true && subprocess.stdin.write(text),
    closeStdin: () => subprocess.stdin?.end(),
    resumeOutput: () => {
      for (const reader of readers) reader.resume();
    },
  };
}

/**
 * Feeds each line of a Node stream to the handlers, a line longer than `maxLine` bytes in pieces
 * (never held whole); `ended` resolves when the stream ends or is destroyed, after the last line
 * without a newline.
 */
export function readStream(
  stream: Readable,
  name: 'stdout' | 'stderr',
  maxLine: number,
  handlers: ChildHandlers,
): OutputReader {
  const lines = lineFeed(name, maxLine, handlers);
  stream.on('data', (chunk: Buffer) => {
    // The rest of a chunk already read is still delivered; the next read waits for resume.
    if (!lines.push(chunk)) stream.pause();
  });
  return readerOf(stream, lines);
}

/**
 * The same for the read end of a pipe of our own, `fd` (which the returned stream then owns and
 * closes). Each read lands in the shared buffer; returning false from onread stops reading.
 */
export function readPipe(
  fd: number,
  name: 'stdout' | 'stderr',
  maxLine: number,
  handlers: ChildHandlers,
  grow: (fd: number) => void,
): OutputReader {
  const lines = lineFeed(name, maxLine, handlers);
  sharedReadBuffer ??= Buffer.allocUnsafe(READ_SIZE);
  const buffer = sharedReadBuffer.subarray(0, Math.min(READ_SIZE, maxLine));
  let grown = false;
  const options: SocketWithOnRead = {
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer,
      callback: (bytes) => {
        if (bytes >= BUSY_READ && !grown) {
          grown = true;
          grow(fd);
        }
        return lines.push(buffer.subarray(0, bytes));
      },
    },
  };
  return readerOf(new net.Socket(options), lines);
}

/** Node takes `onread` in the Socket constructor too (net.md), which @types/node leaves out. */
type SocketWithOnRead = net.SocketConstructorOpts & { readonly onread: net.OnReadOpts };

interface LineFeed {
  /** Splits a chunk into the handlers; false when a handler asked to pause (and none resumed). */
  push(chunk: Buffer): boolean;
  end(): void;
  paused: boolean;
}

function lineFeed(name: 'stdout' | 'stderr', maxLine: number, handlers: ChildHandlers): LineFeed {
  const feed: LineFeed = {
    paused: false,
    push: (chunk) => {
      splitter.push(chunk);
      return !feed.paused;
    },
    end: () => {
      splitter.end();
    },
  };
  const splitter = new LineSplitter(
    maxLine,
    (line) => {
      if (!handlers.onLine(name, line)) feed.paused = true;
    },
    (bytes) => {
      if (!handlers.onLines(name, bytes)) feed.paused = true;
    },
  );
  return feed;
}

/**
 * The reader of `stream` fed into `lines`. resume() works for both sources: a net.Socket starts
 * reading again even when onread stopped it (Node's own contract).
 */
function readerOf(stream: Readable, lines: LineFeed): OutputReader {
  return {
    stream,
    ended: endOf(stream, lines),
    resume: () => {
      lines.paused = false;
      stream.resume();
    },
  };
}

/** Resolves when the stream ends, errs or is destroyed (close without end), after the last line. */
function endOf(stream: Readable, lines: LineFeed): Promise<void> {
  return new Promise((resolve) => {
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      lines.end();
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.on('error', finish);
  });
}
