import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../../src/manifest/env-file.js';

const NO_EQUALS = 'expected KEY=VALUE, but this line has no "=" (its text is not shown: it may be a secret)';

function vars(text: string): Record<string, string> {
  const parsed = parseEnvFile(text);
  expect(parsed.problems).toEqual([]);
  return { ...parsed.vars };
}

describe('parseEnvFile', () => {
  it('reads one KEY=VALUE per line', () => {
    expect(vars('A=1\nB=two\nC_D=three four\n')).toEqual({ A: '1', B: 'two', C_D: 'three four' });
  });

  it('returns nothing for an empty file', () => {
    expect(parseEnvFile('')).toEqual({ vars: {}, problems: [] });
  });

  it('skips blank lines and comment lines, indented or not', () => {
    expect(vars('# a comment\n\n   \n\t# indented comment\nA=1\n#B=2\n')).toEqual({ A: '1' });
  });

  it('accepts an export prefix', () => {
    expect(vars('export A=1\n  export\tB=2\nexport  C=3')).toEqual({ A: '1', B: '2', C: '3' });
  });

  it('reads a key that merely starts with "export"', () => {
    expect(vars('exportA=1\nexport=2\nexported=3')).toEqual({ exportA: '1', export: '2', exported: '3' });
  });

  it('trims spaces around the key and an unquoted value', () => {
    expect(vars('  A  =   spaced value   \n')).toEqual({ A: 'spaced value' });
  });

  it('allows an empty value', () => {
    expect(vars('A=\nB=   \nC=""')).toEqual({ A: '', B: '', C: '' });
  });

  it('splits at the first =', () => {
    expect(vars('URL=postgres://h/db?sslmode=require&a=b')).toEqual({
      URL: 'postgres://h/db?sslmode=require&a=b',
    });
  });

  it('drops an inline comment after whitespace in an unquoted value', () => {
    expect(vars('A=value # comment\nB=value\t#c\nC=a#b\nD=#x\nE=x # y # z')).toEqual({
      A: 'value',
      B: 'value',
      C: 'a#b',
      D: '#x',
      E: 'x',
    });
  });

  it('accepts dots and dashes in a key after the first character', () => {
    expect(vars('a.b-c=1\n_x=2\nX9=3')).toEqual({ 'a.b-c': '1', _x: '2', X9: '3' });
  });

  it('lets a later line override an earlier one', () => {
    expect(vars('A=1\nA=2')).toEqual({ A: '2' });
  });

  it('keeps __proto__ as an ordinary key', () => {
    const parsed = parseEnvFile('__proto__=x\nconstructor=y');
    expect(parsed.problems).toEqual([]);
    expect(Object.keys(parsed.vars)).toEqual(['__proto__', 'constructor']);
    expect(parsed.vars['__proto__']).toBe('x');
    expect(parsed.vars['constructor']).toBe('y');
    expect('toString' in parseEnvFile('A=1').vars).toBe(false);
  });

  describe('quotes', () => {
    it('takes a single-quoted value literally', () => {
      expect(vars("A='a \\n $B # not a comment '")).toEqual({ A: 'a \\n $B # not a comment ' });
    });

    it('understands \\n, \\t, \\" and \\\\ in double quotes', () => {
      expect(vars('A="line1\\nline2\\tend \\"q\\" back\\\\slash"')).toEqual({
        A: 'line1\nline2\tend "q" back\\slash',
      });
    });

    it('reads \\\\n as a backslash and an n, not a newline', () => {
      expect(vars('A="C:\\\\new"')).toEqual({ A: 'C:\\new' });
    });

    it('keeps other backslash sequences as written in double quotes', () => {
      expect(vars('A="a\\rb\\x\\$"')).toEqual({ A: 'a\\rb\\x\\$' });
    });

    it('keeps spaces and # inside quotes', () => {
      expect(vars('A="  a # b  "\nB=\'  c  \'')).toEqual({ A: '  a # b  ', B: '  c  ' });
    });

    it('keeps the other quote inside quotes', () => {
      expect(vars('A="it\'s"\nB=\'say "hi"\'')).toEqual({ A: "it's", B: 'say "hi"' });
    });

    it('ignores what follows the closing quote', () => {
      expect(vars('A="a" # comment\nB=\'b\'c\nC="c"d')).toEqual({ A: 'a', B: 'b', C: 'c' });
    });

    it('does not take an escaped quote for the closing one', () => {
      expect(vars('A="a\\"b" c')).toEqual({ A: 'a"b' });
    });

    it('does not treat backslash as an escape in single quotes', () => {
      expect(vars("A='a\\'b")).toEqual({ A: 'a\\' });
    });
  });

  describe('line endings', () => {
    it('accepts CRLF line endings', () => {
      expect(vars('A=1\r\nB="two"\r\n# c\r\nC=\'3\'\r\n')).toEqual({ A: '1', B: 'two', C: '3' });
    });

    it('skips a leading byte order mark', () => {
      expect(vars('\uFEFFA=1\nB=2')).toEqual({ A: '1', B: '2' });
    });

    it('does not count a byte order mark as a column', () => {
      expect(parseEnvFile('\uFEFFbad\nB=2').problems).toEqual([{ line: 1, col: 1, message: NO_EQUALS }]);
      expect(parseEnvFile('\uFEFFA="x').problems).toEqual([
        { line: 1, col: 3, message: 'the value of A has an unclosed quote' },
      ]);
    });

    it('counts lines the same with a byte order mark and CRLF', () => {
      expect(parseEnvFile('\uFEFFA=1\r\n\r\nbad\r\n').problems).toEqual([
        { line: 3, col: 1, message: NO_EQUALS },
      ]);
    });
  });

  describe('problems', () => {
    it('reports a line without =', () => {
      expect(parseEnvFile('A=1\nJUST_A_WORD\nB=2')).toEqual({
        vars: { A: '1', B: '2' },
        problems: [{ line: 2, col: 1, message: NO_EQUALS }],
      });
    });

    it('points at the first character after indentation and export', () => {
      expect(parseEnvFile('   word\n\texport thing').problems).toEqual([
        { line: 1, col: 4, message: NO_EQUALS },
        { line: 2, col: 9, message: NO_EQUALS },
      ]);
    });

    it('never shows the text of a line without =: it may be a secret', () => {
      const problems = parseEnvFile('A="multi\nhunter2-line-two"\n  s3cr3t-token\n').problems;
      expect(problems.map((p) => p.message)).toEqual([
        'the value of A has an unclosed quote',
        NO_EQUALS,
        NO_EQUALS,
      ]);
      expect(JSON.stringify(problems)).not.toMatch(/hunter2|s3cr3t/);
    });

    it('reports an invalid variable name', () => {
      expect(parseEnvFile('1A=x\n  export B C=y\n=z\n-A=1\nA$=2').problems).toEqual([
        { line: 1, col: 1, message: '"1A" is not a valid variable name' },
        { line: 2, col: 10, message: '"B C" is not a valid variable name' },
        { line: 3, col: 1, message: '"" is not a valid variable name' },
        { line: 4, col: 1, message: '"-A" is not a valid variable name' },
        { line: 5, col: 1, message: '"A$" is not a valid variable name' },
      ]);
    });

    it('reports an unclosed quote at the start of the value', () => {
      expect(parseEnvFile('A="abc\nexport B=\'x\nC="a\\"').problems).toEqual([
        { line: 1, col: 3, message: 'the value of A has an unclosed quote' },
        { line: 2, col: 10, message: 'the value of B has an unclosed quote' },
        { line: 3, col: 3, message: 'the value of C has an unclosed quote' },
      ]);
    });

    it('refuses a value holding a NUL byte, raw or quoted, and keeps the other variables', () => {
      expect(parseEnvFile('A=x\0y\nB="\0"\nC=ok')).toEqual({
        vars: { C: 'ok' },
        problems: [
          {
            line: 1,
            col: 3,
            message: 'the value of A holds a NUL byte, which no environment variable can carry',
          },
          {
            line: 2,
            col: 3,
            message: 'the value of B holds a NUL byte, which no environment variable can carry',
          },
        ],
      });
    });

    it('does not join lines to close a quote', () => {
      expect(parseEnvFile('A="first\nsecond"\nB=ok')).toEqual({
        vars: { B: 'ok' },
        problems: [
          { line: 1, col: 3, message: 'the value of A has an unclosed quote' },
          { line: 2, col: 1, message: NO_EQUALS },
        ],
      });
    });

    it('keeps the good lines and reports every bad one', () => {
      const parsed = parseEnvFile('A=1\nbad\nB=2\n9=9\nC="x');
      expect(parsed.vars).toEqual({ A: '1', B: '2' });
      expect(parsed.problems.map((p) => p.line)).toEqual([2, 4, 5]);
    });
  });
});
