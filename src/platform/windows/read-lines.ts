// Feeds a child's output stream to its handler line by line, with the POSIX launcher's contract
// (types.ts): a line longer than `maxLine` bytes in pieces, never held whole; reading pauses when
// onLine returns false, until the stream is resumed; resolves when the stream ends or is destroyed,
// after a last line without a newline. Windows programs end lines with CRLF: the CR of a complete
// line is dropped, so a line's bytes are the same as a POSIX child's.
import type { Readable } from 'node:stream';
import { LineSplitter, type Line } from '../../logging/line-splitter.js';
import type { ChildHandlers } from '../types.js';

const CR = 0x0d;

export function readLines(
  stream: Readable,
  name: 'stdout' | 'stderr',
  maxLine: number,
  handlers: ChildHandlers,
): Promise<void> {
  return new Promise((resolve) => {
    let paused = false;
    const splitter = new LineSplitter(maxLine, (line) => {
      // The rest of a chunk already read is still delivered; the next read waits for resume.
      if (!handlers.onLine(name, withoutCr(line)) && !paused) {
        paused = true;
        stream.pause();
      }
    });
    stream.on('data', (chunk: Buffer) => {
      splitter.push(chunk);
    });
    stream.on('resume', () => {
      paused = false;
    });
    let ended = false;
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

function withoutCr(line: Line): Line {
  const { bytes, complete } = line;
  return complete && bytes.at(-1) === CR ? { bytes: bytes.subarray(0, -1), complete } : line;
}
