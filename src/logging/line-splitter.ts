// Splits a byte stream into lines without ever holding more than `maxLine` bytes of one line:
// a longer line is emitted in pieces of maxLine bytes (log.max_line, default 1 MB). Works on
// bytes, so invalid UTF-8 and NUL bytes pass through as they came. Lines end at \n; a \r before
// it is kept, as written. Whatever is left when the stream ends is emitted as a last line.
// Neither the chunks pushed nor the bytes emitted are kept past the call: the emitted bytes are
// views of the chunk or of the splitter's own buffer, valid until the emit callback returns.

export interface Line {
  readonly bytes: Buffer;
  /** False when this piece was cut at maxLine and the line goes on in the next piece. */
  readonly complete: boolean;
}

/** A line's bytes are gathered in a buffer of this size at first, grown as a long line needs. */
const FIRST_SIZE = 1024;
/** A buffer grown past this for a long line is let go once the line is out. */
const KEEP_SIZE = 64 * 1024;

export class LineSplitter {
  /**
   * The start of the line being received, copied here: the chunk it came in may be overwritten as
   * soon as push() returns (read-lines.ts reads every pipe into one buffer).
   */
  #pending: Buffer | null = null;
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
      if (newline !== -1 && this.#pendingLength === 0 && end - start <= this.maxLine) {
        this.emit({ bytes: chunk.subarray(start, end), complete: true }); // whole in the chunk: no copy
        start = newline + 1;
        continue;
      }
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
      this.#copy(rest.subarray(0, room));
      this.#flush(false);
      rest = rest.subarray(room);
    }
    if (rest.length > 0) this.#copy(rest);
  }

  #copy(bytes: Buffer): void {
    const needed = this.#pendingLength + bytes.length;
    let pending = this.#pending;
    if (pending === null || pending.length < needed) {
      let size = Math.max(FIRST_SIZE, pending?.length ?? 0);
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.maxLine));
      if (pending !== null) pending.copy(grown, 0, 0, this.#pendingLength);
      this.#pending = pending = grown;
    }
    bytes.copy(pending, this.#pendingLength);
    this.#pendingLength = needed;
  }

  /** Emits the gathered line; its bytes are valid during the call only (the buffer is reused). */
  #flush(complete: boolean): void {
    const pending = this.#pending as Buffer;
    const bytes = pending.subarray(0, this.#pendingLength);
    this.#pendingLength = 0;
    if (pending.length > KEEP_SIZE) this.#pending = null;
    this.emit({ bytes, complete });
  }
}
