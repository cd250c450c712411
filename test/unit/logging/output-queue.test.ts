import { describe, expect, it } from 'vitest';
import { OutputQueue, viewsAfter } from '../../../src/logging/output-queue.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Takes everything (batches of at most `max` bytes) as written, as text. */
function drain(queue: OutputQueue, max = 1 << 20): string {
  let out = '';
  while (queue.bytes > 0) {
    const views = queue.peek(max, Infinity);
    const batch = Buffer.concat(views);
    queue.consume(batch.length);
    out += batch.toString('latin1');
  }
  return out;
}

describe('OutputQueue', () => {
  it('ends complete lines with a newline and joins pieces without one', () => {
    const q = new OutputQueue(1 << 20);
    q.push(b('T1 '), b('one'), true);
    q.push(b('T2 '), b('tw'), false);
    expect(q.atLineStart).toBe(false);
    q.push(null, b('o'), true);
    q.push(b('T3 '), b(''), true);
    expect(q.bytes).toBe(18);
    expect(drain(q)).toBe('T1 one\nT2 two\nT3 \n');
    expect(q.accepted).toBe(18);
    expect(q.bytes).toBe(0);
  });

  it('keeps bytes in order across chunks and partial consumes', () => {
    const q = new OutputQueue(1 << 24);
    const expected: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const line = `line ${i} ${'x'.repeat(i % 97)}`;
      expected.push(line);
      q.push(null, b(line), true);
    }
    let out = '';
    while (q.bytes > 0) {
      const batch = Buffer.concat(q.peek(10_007, Infinity));
      const taken = Math.max(1, Math.floor(batch.length / 3)); // a short write
      q.consume(taken);
      out += batch.subarray(0, taken).toString('latin1');
    }
    expect(out).toBe(`${expected.join('\n')}\n`);
  });

  it('copies what it queues: the caller may overwrite its buffers as soon as a push returns', () => {
    const q = new OutputQueue(1 << 24);
    const big = Buffer.alloc(200 * 1024, 0x61); // more than three of the queue's chunks
    const block = Buffer.from('one\ntwo\n');
    q.push(null, b('head'), true);
    q.push(null, big, true);
    q.pushBlock(block);
    const expected = Buffer.concat([b('head\n'), big, b('\n'), block]);
    big.fill(0x3f);
    block.fill(0x3f);
    expect(Buffer.concat(q.peek(1 << 20, Infinity)).equals(expected)).toBe(true);
  });

  it('cuts a batch after the first line end at or past the budget', () => {
    const q = new OutputQueue(1 << 20);
    for (const line of ['aaaa', 'bbbb', 'cccc']) q.push(null, b(line), true); // 5 bytes each
    const text = (views: Buffer[]): string => Buffer.concat(views).toString('latin1');
    expect(text(q.peek(100, 5))).toBe('aaaa\n');
    expect(text(q.peek(100, 6))).toBe('aaaa\nbbbb\n');
    expect(text(q.peek(100, 10))).toBe('aaaa\nbbbb\n');
    expect(text(q.peek(100, 0))).toBe('aaaa\n');
    expect(text(q.peek(100, 15))).toBe('aaaa\nbbbb\ncccc\n');
    expect(text(q.peek(7, 6))).toBe('aaaa\nbb'); // no line end in reach: not cut
  });

  it('drops whole lines past the bound, counts them, and ends a line cut short', () => {
    const q = new OutputQueue(20);
    expect(q.push(null, b('0123456789'), true)).toBe(true); // 11 bytes
    expect(q.push(null, b('abcde'), false)).toBe(true); // 16: a line begins
    expect(q.push(null, b('fghij'), false)).toBe(false); // would be 21: dropped, line ended
    expect(q.push(null, b('klm'), true)).toBe(false); // the rest of that line goes too
    expect(q.dropped).toBe(1);
    expect(q.push(null, b('no'), true)).toBe(true); // 17 + 3 = 20 fits
    expect(q.push(null, b('x'), true)).toBe(false);
    expect(q.dropped).toBe(2);
    expect(drain(q)).toBe('0123456789\nabcde\nno\n');
  });

  it('takes one piece larger than the bound into an empty queue', () => {
    const q = new OutputQueue(10);
    expect(q.push(null, Buffer.alloc(100, 0x61), true)).toBe(true);
    expect(q.push(null, b('y'), true)).toBe(false);
    expect(drain(q)).toBe(`${'a'.repeat(100)}\n`);
  });

  it('can put a newline before everything queued', () => {
    const q = new OutputQueue(100);
    q.push(null, b('next'), true);
    q.endLineFirst();
    expect(drain(q)).toBe('\nnext\n');
    expect(q.accepted).toBe(6);
  });

  it('discards what it holds', () => {
    const q = new OutputQueue(100);
    q.push(null, b('gone'), true);
    expect(q.discard()).toBe(5);
    expect(q.bytes).toBe(0);
    q.push(null, b('new'), true);
    expect(drain(q)).toBe('new\n');
  });
});

describe('OutputQueue.pushBlock', () => {
  it('takes whole lines as they are, between single lines, in order', () => {
    const q = new OutputQueue(1 << 20);
    q.push(null, b('first'), true);
    expect(q.pushBlock(b('a\nbb\nccc\n'))).toBe(true);
    q.push(null, b('last'), true);
    expect(drain(q)).toBe('first\na\nbb\nccc\nlast\n');
  });

  it('drops a block that would pass the bound whole, counting its lines', () => {
    const q = new OutputQueue(16);
    q.push(null, b('0123456789'), true);
    expect(q.pushBlock(b('aa\nbb\ncc\n'))).toBe(false);
    expect(q.dropped).toBe(3);
    expect(drain(q)).toBe('0123456789\n');
  });

  it('refuses a block in the middle of a line', () => {
    const q = new OutputQueue(1 << 20);
    q.push(null, b('half'), false);
    expect(() => q.pushBlock(b('x\n'))).toThrow(/not at a line start/);
  });
});

describe('viewsAfter', () => {
  it('leaves what a short write did not take', () => {
    const views = [b('abc'), b('de'), b('fgh')];
    const text = (rest: Buffer[]): string[] => rest.map((view) => view.toString('latin1'));
    expect(text(viewsAfter(views, 0))).toEqual(['abc', 'de', 'fgh']);
    expect(text(viewsAfter(views, 2))).toEqual(['c', 'de', 'fgh']);
    expect(text(viewsAfter(views, 3))).toEqual(['de', 'fgh']);
    expect(text(viewsAfter(views, 6))).toEqual(['gh']);
    expect(text(viewsAfter(views, 8))).toEqual([]);
  });
});
