// Splits a byte stream into lines without ever holding more than `maxLine` bytes of one line:
// a longer line is emitted in pieces of maxLine bytes (log.max_line, default 1 MB). Works on
// bytes, so invalid UTF-8 and NUL bytes pass through as they came. Lines end at \n; a \r before
// it is kept, as written. Whatever is left when the stream ends is emitted as a last line.

export interface Line {
  readonly bytes: Buffer;
  /** False when this piece was cut at maxLine and the line goes on in the next piece. */
  readonly complete: boolean;
}

export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingLength = 0;

  /**
   * With `block`, the complete lines in the middle of a chunk come out together, as the chunk's
   * bytes with their newlines (no object per line), whenever the chunk is no longer than maxLine
   * (so none of them can be): the line that a chunk completes (the end of one the last chunk
   * began), and any partial line at its end, still go through `emit`. Order is kept.
   */
  constructor(
    private readonly maxLine: number,
    private readonly emit: (line: Line) => void,
    private readonly block?: (bytes: Buffer) => void,
  ) {
    if (!Number.isInteger(maxLine) || maxLine < 1)
      throw new RangeError(`maxLine must be a positive integer, got ${maxLine}`);
  }

  push(chunk: Buffer): void {
    if (this.block !== undefined && chunk.length <= this.maxLine) {
      const first = chunk.indexOf(0x0a);
      if (first === -1) {
        this.#append(chunk);
        return;
      }
      const last = chunk.lastIndexOf(0x0a);
      // The chunk starts a line: its lines up to the last newline are one block.
      let from = 0;
      if (this.#pendingLength > 0) {
        this.#append(chunk.subarray(0, first));
        this.#flush(true);
        from = first + 1;
      }
      if (last >= from) this.block(chunk.subarray(from, last + 1));
      if (last + 1 < chunk.length) this.#append(chunk.subarray(last + 1));
      return;
    }
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.#append(chunk.subarray(start, end));
      if (newline === -1) return;
      this.#flush(true);
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without its newline is emitted now. */
  end(): void {
    if (this.#pendingLength > 0) this.#flush(true);
  }

  #append(bytes: Buffer): void {
    let rest = bytes;
    while (this.#pendingLength + rest.length > this.maxLine) {
      const room = this.maxLine - this.#pendingLength;
      this.#pending.push(rest.subarray(0, room));
      this.#pendingLength += room;
      this.#flush(false);
      rest = rest.subarray(room);
    }
    if (rest.length > 0) {
      this.#pending.push(rest);
      this.#pendingLength += rest.length;
    }
  }

  #flush(complete: boolean): void {
    const bytes =
      this.#pending.length === 1
        ? (this.#pending[0] as Buffer)
        : Buffer.concat(this.#pending, this.#pendingLength);
    this.#pending = [];
    this.#pendingLength = 0;
    this.emit({ bytes, complete });
  }
}
