import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/manifest/suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['restart', 'restrat', 1],
    ['ab', 'ba', 1],
    ['abcdef', 'badcfe', 3],
    ['name', 'nmae', 1],
    ['a', 'b', 1],
    ['abc', 'abcd', 1],
    ['abcd', 'acd', 1],
  ])('distance(%j, %j) is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('depends_on', 'depedns_on')).toBe(1);
  });

  it('is optimal string alignment: a swapped pair is not edited again', () => {
    // Unrestricted Damerau-Levenshtein gives 2 (ca -> ac -> abc); OSA gives 3.
    expect(editDistance('ca', 'abc')).toBe(3);
  });

  it('is case-sensitive', () => {
    expect(editDistance('Name', 'name')).toBe(1);
  });
});

describe('closest', () => {
  const keys = ['command', 'cwd', 'env', 'env_file', 'depends_on', 'restart', 'stop', 'ready'];

  it('finds a misspelled key', () => {
    expect(closest('comand', keys)).toBe('command');
    expect(closest('restrat', keys)).toBe('restart');
    expect(closest('depend_on', keys)).toBe('depends_on');
  });

  it('returns an exact match', () => {
    expect(closest('env', keys)).toBe('env');
  });

  it('ignores case when comparing, and returns the candidate as written', () => {
    expect(closest('SIGTREM', ['SIGTERM', 'SIGINT'])).toBe('SIGTERM');
    expect(closest('sigterm', ['SIGTERM', 'SIGINT'])).toBe('SIGTERM');
    expect(closest('Ready', keys)).toBe('ready');
  });

  it('allows a third of the word length, rounded down', () => {
    // 9 letters: up to 3 edits.
    expect(closest('abcdefghi', ['xyzdefghi'])).toBe('xyzdefghi');
    expect(closest('abcdefghi', ['wxyzefghi'])).toBeUndefined();
    // 8 letters: up to 2 edits.
    expect(closest('abcdefgh', ['xycdefgh'])).toBe('xycdefgh');
    expect(closest('abcdefgh', ['xyzdefgh'])).toBeUndefined();
    // 6 letters: up to 2 edits; 5 letters: 1 edit.
    expect(closest('abcdef', ['xycdef'])).toBe('xycdef');
    expect(closest('abcde', ['xycde'])).toBeUndefined();
    expect(closest('abcde', ['xbcde'])).toBe('xbcde');
  });

  it('allows at least one edit for short words', () => {
    expect(closest('cdw', keys)).toBe('cwd');
    expect(closest('ev', keys)).toBe('env');
    expect(closest('x', ['y'])).toBe('y');
    expect(closest('ab', ['xy'])).toBeUndefined();
  });

  it('measures the limit by the word, not by the candidate', () => {
    // 'st' allows 1 edit; 'stop' is 2 away.
    expect(closest('st', keys)).toBeUndefined();
    // 'envfile' (7 letters) allows 2; 'env_file' is 1 away, 'env' is 4 away.
    expect(closest('envfile', keys)).toBe('env_file');
  });

  it('counts a transposition as one edit in the limit', () => {
    // 'stpo' allows 1 edit; plain Levenshtein would count 2.
    expect(closest('stpo', keys)).toBe('stop');
  });

  it('prefers the nearest candidate, and the first one among equals', () => {
    expect(closest('stat', ['start', 'stat_x', 'stats'])).toBe('start');
    expect(closest('abcdef', ['abcxyf', 'abcdxf', 'abcdef'])).toBe('abcdef');
    expect(closest('abcdef', ['abcdxf', 'abcdez'])).toBe('abcdxf');
    expect(closest('abcdef', ['abcdez', 'abcdxf'])).toBe('abcdez');
  });

  it('returns undefined when nothing is close, or there are no candidates', () => {
    expect(closest('processes', keys)).toBeUndefined();
    expect(closest('anything', [])).toBeUndefined();
  });

  it('accepts any iterable of candidates', () => {
    expect(closest('redy', new Set(keys))).toBe('ready');
    function* gen(): Generator<string> {
      yield 'one';
      yield 'two';
    }
    expect(closest('tow', gen())).toBe('two');
  });
});
