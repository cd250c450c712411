// The bounded in-memory queue between a child's pipe and its log file: a FIFO of bytes in 64 KB
// chunks of its own. Every piece is copied in when it is queued (no object per line, and nothing
// of the caller's kept: a launcher reads every pipe into one reused buffer), and written out from
// the chunks as they stand, several per writev(2). Emptied chunks are reused.
//
// Lines never hold \n (LineSplitter cuts there), and the queue ends each complete line with one, so
// a \n in the queue is always a line end: that is how a batch is cut where a rotation is due, and
// how the writer knows it stands between lines. When holding a line would pass the bound the line
// is dropped whole and counted; a line whose head was already queued is ended with a \n there, and
// the rest of its pieces are dropped too.

const CHUNK = 64 * 1024;
/** Emptied chunks kept for reuse (a new 64 KB buffer per chunk costs the GC). */
const SPARE = 8;
const NEWLINE = Buffer.from('\n');

interface Chunk {
  readonly buffer: Buffer;
  /** Next byte to write. */
  start: number;
  /** Next byte to fill. */
  end: number;
  /** One of our chunks (reused once written), not the shared newline of endLineFirst. */
  readonly owned: boolean;
}

export class OutputQueue {
  #chunks: Chunk[] = [];
  /** The last chunk when it is ours and may take more bytes; null otherwise. */
  #tail: Chunk | null = null;
  #spare: Buffer[] = [];
  #bytes = 0;
  #accepted = 0;
  #dropped = 0;
  /** The last piece queued ended its line: the next piece starts one. */
  #atLineStart = true;
  /** The line being received lost a piece: drop its remaining pieces too. */
  #dropping = false;

  constructor(private readonly limit: number) {}

  /** Bytes held: queued, or being written and not yet confirmed. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes ever accepted (the flush() watermark). */
  get accepted(): number {
    return this.#accepted;
  }

  /** Lines dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True when the next piece starts a line (and would get a timestamp). */
  get atLineStart(): boolean {
    return this.#atLineStart;
  }

  /**
   * Queues one piece of a line (`prefix` only on a line's first piece). Returns false when it was
   * dropped. A piece alone larger than the bound is still taken into an empty queue.
   */
  push(prefix: Buffer | null, bytes: Buffer, complete: boolean): boolean {
    if (this.#dropping) {
      if (complete) {
        this.#dropping = false;
        this.#atLineStart = true;
      }
      return false;
    }
    const size = (prefix === null ? 0 : prefix.length) + bytes.length + (complete ? 1 : 0);
    const tail = this.#tail;
    if (tail !== null && size <= tail.buffer.length - tail.end && this.#bytes + size <= this.limit) {
      // The common case, a short line into the chunk being filled, without the general path's calls.
      if (prefix !== null) {
        tail.buffer.set(prefix, tail.end);
        tail.end += prefix.length;
      }
      tail.buffer.set(bytes, tail.end);
      tail.end += bytes.length;
      if (complete) tail.buffer[tail.end++] = 0x0a;
      this.#bytes += size;
      this.#accepted += size;
      this.#atLineStart = complete;
      return true;
    }
    if (this.#bytes > 0 && this.#bytes + size > this.limit) {
      this.#dropped++;
      if (!this.#atLineStart) this.#append(NEWLINE);
      this.#atLineStart = true;
      this.#dropping = !complete;
      return false;
    }
    if (prefix !== null) this.#append(prefix);
    if (bytes.length > 0) this.#append(bytes);
    if (complete) this.#append(NEWLINE);
    this.#atLineStart = complete;
    return true;
  }

  /**
   * Queues whole lines at once: `bytes` starts at a line start and ends with \n, each line in it
   * already ended by its \n (the pipe's bytes as they came). Returns false when they were dropped
   * (each line counted), which happens only whole.
   */
  pushBlock(bytes: Buffer): boolean {
    if (!this.#atLineStart || this.#dropping) throw new Error('OutputQueue.pushBlock: not at a line start');
    if (this.#bytes > 0 && this.#bytes + bytes.length > this.limit) {
      let lines = 0;
      for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
      this.#dropped += lines;
      return false;
    }
    this.#append(bytes);
    return true;
  }

  /** Puts a \n before everything queued: the file being appended to ended mid-line. */
  endLineFirst(): void {
    this.#chunks.unshift({ buffer: NEWLINE, start: 0, end: 1, owned: false });
    if (this.#chunks.length === 1) this.#tail = null;
    this.#bytes += 1;
    this.#accepted += 1;
  }

  /**
   * Views of the next bytes to write, at most `max`. With a finite `budget`, cut just after the
   * first line end at or past `budget` bytes (a rotation is due there); without such a line end in
   * reach, not cut. Nothing is removed until consume().
   */
  peek(max: number, budget: number): Buffer[] {
    const views: Buffer[] = [];
    let total = 0;
    for (const chunk of this.#chunks) {
      if (total >= max) break;
      const length = Math.min(chunk.end - chunk.start, max - total);
      if (length === 0) continue;
      views.push(chunk.buffer.subarray(chunk.start, chunk.start + length));
      total += length;
    }
    if (budget >= total) return views;
    const from = Math.max(0, budget - 1);
    let offset = 0;
    for (let i = 0; i < views.length; i++) {
      const view = views[i] as Buffer;
      if (offset + view.length > from) {
        const newline = view.indexOf(0x0a, Math.max(0, from - offset));
        if (newline !== -1) {
          views.length = i + 1;
          views[i] = view.subarray(0, newline + 1);
          return views;
        }
      }
      offset += view.length;
    }
    return views;
  }

  /** The first `bytes` bytes are written: let them go. */
  consume(bytes: number): void {
    let left = bytes;
    this.#bytes -= bytes;
    while (left > 0) {
      const chunk = this.#chunks[0] as Chunk;
      const taken = Math.min(left, chunk.end - chunk.start);
      chunk.start += taken;
      left -= taken;
      if (chunk.start < chunk.end) break;
      if (this.#chunks.length === 1 && chunk.owned) {
        chunk.start = chunk.end = 0; // the fill chunk, emptied: keep filling it from the top
        break;
      }
      this.#chunks.shift();
      if (chunk.owned && this.#spare.length < SPARE) this.#spare.push(chunk.buffer);
    }
  }

  /** Empties the queue (the writer gave up at close); returns the bytes thrown away. */
  discard(): number {
    const bytes = this.#bytes;
    this.#chunks = [];
    this.#tail = null;
    this.#bytes = 0;
    return bytes;
  }

  /** Lets go of spare and empty buffers (the writer is idle). */
  release(): void {
    this.#spare = [];
    if (this.#bytes === 0) {
      this.#chunks = [];
      this.#tail = null;
    }
  }

  #append(bytes: Buffer): void {
    this.#bytes += bytes.length;
    this.#accepted += bytes.length;
    for (let at = 0; at < bytes.length;) {
      let tail = this.#tail;
      if (tail === null || tail.end === tail.buffer.length) tail = this.#newChunk();
      const taken = Math.min(bytes.length - at, tail.buffer.length - tail.end);
      if (taken === 1) tail.buffer[tail.end] = bytes[at] as number;
      else bytes.copy(tail.buffer, tail.end, at, at + taken);
      tail.end += taken;
      at += taken;
    }
  }

  #newChunk(): Chunk {
    const chunk = { buffer: this.#spare.pop() ?? Buffer.allocUnsafe(CHUNK), start: 0, end: 0, owned: true };
    this.#chunks.push(chunk);
    this.#tail = chunk;
    return chunk;
  }
}

/** What is left of `views` once their first `bytes` bytes are written. */
export function viewsAfter(views: readonly Buffer[], bytes: number): Buffer[] {
  let left = bytes;
  let i = 0;
  while (i < views.length && left >= (views[i] as Buffer).length) left -= (views[i++] as Buffer).length;
  const rest = views.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(left);
  return rest;
}
