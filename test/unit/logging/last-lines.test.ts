import { describe, expect, it } from 'vitest';
import { countNewlines, LastLines, lastLinesOf } from '../../../src/logging/last-lines.js';

const text = (lines: Buffer[]): string[] => lines.map((line) => line.toString('latin1'));
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('LastLines', () => {
  it('keeps the last n lines of a stream cut anywhere', () => {
    const last = new LastLines(3);
    for (const chunk of ['on', 'e\ntwo\nthr', 'ee\n', '\nfive', '\nsix']) last.push(b(chunk));
    expect(text(last.end())).toEqual(['', 'five', 'six']);
  });

  it('gives all lines when there are fewer than n, and none for n = 0', () => {
    const few = new LastLines(10);
    few.push(b('a\nb\n'));
    expect(text(few.end())).toEqual(['a', 'b']);
    const none = new LastLines(0);
    none.push(b('a\n'));
    expect(none.end()).toEqual([]);
  });

  it('holds no more than about n lines however long the stream', () => {
    const last = new LastLines(2);
    for (let i = 0; i < 10_000; i++) last.push(b(`${i}\n`));
    expect(text(last.end())).toEqual(['9998', '9999']);
  });
});

describe('lastLinesOf', () => {
  it('reads lines back from the end, a last line without newline included', () => {
    expect(text(lastLinesOf(b('a\nb\nc\n'), true, 2))).toEqual(['b', 'c']);
    expect(text(lastLinesOf(b('a\nb\nc'), true, 2))).toEqual(['b', 'c']);
    expect(text(lastLinesOf(b('a\n\n'), true, 5))).toEqual(['a', '']);
    expect(text(lastLinesOf(b('\n'), true, 5))).toEqual(['']);
    expect(lastLinesOf(b(''), true, 5)).toEqual([]);
  });

  it('leaves out a first line that may be cut when not read from the start', () => {
    expect(text(lastLinesOf(b('ut\nb\nc\n'), false, 5))).toEqual(['b', 'c']);
    expect(text(lastLinesOf(b('ut\nb\nc\n'), true, 5))).toEqual(['ut', 'b', 'c']);
  });

  it('counts newlines', () => {
    expect(countNewlines(b('cut\na\nb\n'))).toBe(3);
    expect(countNewlines(b('\n\n'))).toBe(2);
    expect(countNewlines(b('no newline'))).toBe(0);
  });
});
