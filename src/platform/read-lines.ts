// A child's output stream to its handlers, for every platform's launcher (types.ts, ChildHandlers):
// whole lines of a chunk at once (onLines), the line a chunk completes and a partial tail line by
// line (onLine), a line longer than maxLine in pieces, never held whole. Bytes pass as the child
// wrote them: a Windows child's CRLF stays in its log file; whoever reads lines as text (the
// console, a log probe) drops the CR. Reading pauses when a handler returns false, until the
// stream is resumed (Child.resumeOutput).
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { LineSplitter } from '../logging/line-splitter.js';
import type { Child, ChildHandlers } from './types.js';

/** After the child exits, how long its output may still drain before the exit is reported anyway. */
export const OUTPUT_GRACE_MS = 200;

/**
 * Reads a spawned child's stdout and stderr into `handlers` (both piped) and reports its exit once
 * both have ended. `atExit` runs first: each platform kills there whatever the child left behind.
 * Returns what the Child offers of its stdio.
 */
export function watchChild(
  subprocess: ChildProcess,
  maxLine: number,
  handlers: ChildHandlers,
  atExit: () => void,
): Pick<Child, 'write' | 'closeStdin' | 'resumeOutput'> {
  // Writing a stop text to a child that already exited fails with EPIPE: that is the child's
  // business (the step's timeout goes on), never an uncaught error in the supervisor.
  subprocess.stdin?.on('error', () => undefined);
  const stdout = subprocess.stdout as Readable;
  const stderr = subprocess.stderr as Readable;
  const drained = [
    readLines(stdout, 'stdout', maxLine, handlers),
    readLines(stderr, 'stderr', maxLine, handlers),
  ];
  subprocess.once('exit', (code, signal) => {
    atExit();
    // What is left in the pipes is read now even if a slow log file asked for a pause: the child
    // is gone, so that is at most a pipe's worth (and the grace below), and the file's bounded
    // queue takes it or counts it as dropped.
    stdout.resume();
    stderr.resume();
    // A grandchild may hold stdout open long after the child is gone: wait for the output only
    // briefly, then report the exit and let go of the streams.
    const timer = setTimeout(() => {
      stdout.destroy();
      stderr.destroy();
    }, OUTPUT_GRACE_MS);
    void Promise.all(drained).then(() => {
      clearTimeout(timer);
      handlers.onExit(code, signal);
    });
  });
  return {
    write: (text) => subprocess.stdin?.writable === true && subprocess.stdin.write(text),
    closeStdin: () => subprocess.stdin?.end(),
    resumeOutput: () => {
      stdout.resume();
      stderr.resume();
    },
  };
}

/**
 * Feeds each line to the handler, a line longer than `maxLine` bytes in pieces (never held whole);
 * resolves when the stream ends or is destroyed, after the last line without a newline.
 */
export function readLines(
  stream: Readable,
  name: 'stdout' | 'stderr',
  maxLine: number,
  handlers: ChildHandlers,
): Promise<void> {
  return new Promise((resolve) => {
    let paused = false;
    // The rest of a chunk already read is still delivered; the next read waits for resume.
    const pause = (ok: boolean) => {
      if (!ok && !paused) {
        paused = true;
        stream.pause();
      }
    };
    const splitter = new LineSplitter(
      maxLine,
      (line) => {
        pause(handlers.onLine(name, line));
      },
      (bytes) => {
        pause(handlers.onLines(name, bytes));
      },
    );
    stream.on('data', (chunk: Buffer) => {
      splitter.push(chunk);
    });
    stream.on('resume', () => {
      paused = false;
    });
    let ended = false;
    // A destroyed stream (see OUTPUT_GRACE_MS) emits close but not end.
    const finish = () => {
      if (ended) return;
      ended = true;
      splitter.end();
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.on('error', finish);
  });
}
