import { describe, expect, it } from 'vitest';
import { LineSplitter, type Line } from '../../../src/logging/line-splitter.js';

function split(
  chunks: (string | Buffer)[],
  maxLine = 1024,
  end = true,
): { text: string; complete: boolean }[] {
  const out: { text: string; complete: boolean }[] = [];
  // Read at once: the bytes are valid during the call only.
  const s = new LineSplitter(maxLine, (l: Line) =>
    out.push({ text: l.bytes.toString('latin1'), complete: l.complete }),
  );
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
  if (end) s.end();
  return out;
}

describe('LineSplitter', () => {
  it('splits on newlines across chunk boundaries, keeping order and \\r', () => {
    expect(split(['a\nb', 'c\r\n', '\nd'])).toEqual([
      { text: 'a', complete: true },
      { text: 'bc\r', complete: true },
      { text: '', complete: true },
      { text: 'd', complete: true },
    ]);
  });

  it('emits a last line without a newline only at the end', () => {
    expect(split(['no newline'], 1024, false)).toEqual([]);
    expect(split(['no newline'])).toEqual([{ text: 'no newline', complete: true }]);
    expect(split(['done\n'])).toEqual([{ text: 'done', complete: true }]);
  });

  it('cuts a long line into pieces of maxLine bytes without holding it whole', () => {
    const pieces: number[] = [];
    let held = 0;
    const s = new LineSplitter(1024 * 1024, (l) => {
      pieces.push(l.bytes.length);
      held = Math.max(held, l.bytes.length);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    for (let i = 0; i < 160; i++) s.push(chunk); // 10 MB, no newline
    s.push(Buffer.from('\n'));
    s.end();
    expect(pieces).toEqual([...Array<number>(10).fill(1024 * 1024)]);
    expect(held).toBe(1024 * 1024);
  });

  it('marks the cut pieces as incomplete and the last piece as complete', () => {
    expect(split(['abcdefgh\nij'], 3)).toEqual([
      { text: 'abc', complete: false },
      { text: 'def', complete: false },
      { text: 'gh', complete: true },
      { text: 'ij', complete: true },
    ]);
  });

  it('passes invalid UTF-8 and NUL bytes through as they came', () => {
    const raw = Buffer.from([0x66, 0xff, 0x00, 0xc3, 0x0a, 0xe2, 0x82]);
    const out: Buffer[] = [];
    const s = new LineSplitter(1024, (l) => out.push(Buffer.from(l.bytes)));
    s.push(raw);
    s.end();
    expect(out).toEqual([Buffer.from([0x66, 0xff, 0x00, 0xc3]), Buffer.from([0xe2, 0x82])]);
  });

  it('keeps no view of a chunk: the caller may overwrite it as soon as push returns', () => {
    // As read-lines.ts does: every read lands in the same buffer.
    const text = Array.from({ length: 200 }, (_, i) => `line ${i} ${'y'.repeat(i % 77)}`).join('\n') + '\n';
    for (const withBlocks of [false, true]) {
      for (const size of [1, 7, 64, 333]) {
        const out: string[] = [];
        const shared = Buffer.alloc(size);
        const s = new LineSplitter(
          50,
          (l) => out.push(`${l.bytes.toString('latin1')}${l.complete ? '\n' : ''}`),
          withBlocks ? (bytes) => out.push(bytes.toString('latin1')) : undefined,
        );
        const bytes = Buffer.from(text, 'latin1');
        for (let at = 0; at < bytes.length; at += size) {
          const n = bytes.copy(shared, 0, at, at + size);
          s.push(shared.subarray(0, n));
          shared.fill(0x3f); // what the next read would do to it
        }
        s.end();
        expect(out.join('')).toBe(text); // pieces of a long line join back up
      }
    }
  });

  it('refuses a cap that is not a positive whole number', () => {
    expect(() => new LineSplitter(0, () => undefined)).toThrow('maxLine must be a positive integer, got 0');
  });
});

describe('LineSplitter with blocks', () => {
  /** Every line, complete or not, as block mode delivers them (blocks split back into lines). */
  function splitBlocks(chunks: Buffer[], maxLine: number) {
    const out: { text: string; complete: boolean }[] = [];
    const blocks: Buffer[] = [];
    const s = new LineSplitter(
      maxLine,
      (l) => out.push({ text: l.bytes.toString('latin1'), complete: l.complete }),
      (bytes) => {
        blocks.push(bytes);
        for (const line of bytes.toString('latin1').split('\n').slice(0, -1))
          out.push({ text: line, complete: true });
      },
    );
    for (const c of chunks) s.push(c);
    s.end();
    return { out, blocks };
  }

  /** A deterministic pseudo-random sequence, so a failure can be replayed. */
  function random(seed: number) {
    let x = seed;
    return () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
  }

  it('gives the same lines, in the same order, as line by line, however the bytes are chunked', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = random(seed);
      const text = Array.from(
        { length: 300 },
        (_, i) => `line ${i} ${'x'.repeat(Math.floor(rand() * 90))}`,
      ).join('\n');
      const bytes = Buffer.from(`${text}${rand() < 0.5 ? '\n' : ''}`);
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(rand() * 700);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const maxLine = 64 + Math.floor(rand() * 2000);
      const expected = split(chunks, maxLine);
      const { out, blocks } = splitBlocks(chunks, maxLine);
      expect(out).toEqual(expected);
      for (const block of blocks) {
        expect(block[block.length - 1]).toBe(0x0a);
        expect(
          block
            .toString('latin1')
            .split('\n')
            .every((l) => l.length <= maxLine),
        ).toBe(true);
      }
    }
  });

  it('passes whole lines as one block, not line by line; a line begun in the last chunk ends alone', () => {
    const { out, blocks } = splitBlocks([Buffer.from('a\nb\nc\nd'), Buffer.from('d\ne\nf\n')], 1024);
    expect(blocks.map((b) => b.toString())).toEqual(['a\nb\nc\n', 'e\nf\n']);
    expect(out.map((l) => l.text)).toEqual(['a', 'b', 'c', 'dd', 'e', 'f']);
  });

  it('falls back to lines (and pieces) for a chunk longer than maxLine', () => {
    const { out, blocks } = splitBlocks([Buffer.from('aaaaaa\nb\n')], 4);
    expect(blocks).toEqual([]);
    expect(out).toEqual([
      { text: 'aaaa', complete: false },
      { text: 'aa', complete: true },
      { text: 'b', complete: true },
    ]);
  });
});
