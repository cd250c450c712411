// The last N lines of a byte stream, holding no more than those N lines (plus the one being read).
// Lines end at \n, which is not part of the line; a last line without one still counts.

export class LastLines {
  #lines: Buffer[] = [];
  #partial: Buffer[] = [];

  constructor(private readonly n: number) {}

  push(chunk: Buffer): void {
    if (this.n <= 0) return;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) break;
      this.#keep(this.#finish(chunk.subarray(start, newline)));
      start = newline + 1;
    }
    if (start < chunk.length) this.#partial.push(chunk.subarray(start));
  }

  /** The lines, oldest first; the stream has ended. */
  end(): Buffer[] {
    if (this.#partial.length > 0) this.#keep(this.#finish(Buffer.alloc(0)));
    return this.#lines.slice(-this.n);
  }

  #finish(tail: Buffer): Buffer {
    if (this.#partial.length === 0) return tail;
    const line = Buffer.concat([...this.#partial, tail]);
    this.#partial = [];
    return line;
  }

  #keep(line: Buffer): void {
    this.#lines.push(line);
    if (this.#lines.length >= 2 * this.n + 64) this.#lines = this.#lines.slice(-this.n);
  }
}

/**
 * The last `n` lines of `data`, a file's bytes from `fromStart ? 0 : somewhere` to its end: when not
 * from the start, the first line may be cut and is left out. The lines share `data`'s memory.
 */
export function lastLinesOf(data: Buffer, fromStart: boolean, n: number): Buffer[] {
  if (n <= 0) return [];
  const lines: Buffer[] = [];
  let end = data.length > 0 && data[data.length - 1] === 0x0a ? data.length - 1 : data.length;
  while (lines.length < n) {
    const newline = end === 0 ? -1 : data.lastIndexOf(0x0a, end - 1);
    if (newline === -1) {
      if (fromStart && (end > 0 || data.length > 0)) lines.push(data.subarray(0, end));
      break;
    }
    lines.push(data.subarray(newline + 1, end));
    end = newline;
  }
  return lines.reverse();
}

export function countNewlines(data: Buffer): number {
  let count = 0;
  for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) count++;
  return count;
}
