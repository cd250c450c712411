// A child's output stream to its handlers, for every platform's launcher (types.ts, ChildHandlers):
// whole lines of a chunk at once (onLines), the line a chunk completes and a partial tail line by
// line (onLine), a line longer than maxLine in pieces, never held whole. Bytes pass as the child
// wrote them: a Windows child's CRLF stays in its log file; whoever reads lines as text (the
// console, a log probe) drops the CR. Reading pauses when a handler returns false, until the
// stream is resumed (Child.resumeOutput).
import type { Readable } from 'node:stream';
import { LineSplitter } from '../logging/line-splitter.js';
import type { ChildHandlers } from './types.js';

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
