import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../../../src/manifest/command-line.js';

const HINT = 'close the quote, or write the command as a list: ["exe", "arg with spaces"]';

describe('splitCommandLine', () => {
  it('splits on whitespace', () => {
    expect(splitCommandLine('node server.js --port 8080')).toEqual({
      ok: true,
      value: ['node', 'server.js', '--port', '8080'],
    });
  });

  it('treats runs of spaces, tabs and newlines as one separator and ignores them at the ends', () => {
    expect(splitCommandLine('  a \t b\n\r\nc  ')).toEqual({ ok: true, value: ['a', 'b', 'c'] });
  });

  it('returns no arguments for an empty or blank line (the caller reports it)', () => {
    expect(splitCommandLine('')).toEqual({ ok: true, value: [] });
    expect(splitCommandLine(' \t\n ')).toEqual({ ok: true, value: [] });
  });

  it('groups words in double or single quotes', () => {
    expect(splitCommandLine('echo "hello world" \'a  b\'')).toEqual({
      ok: true,
      value: ['echo', 'hello world', 'a  b'],
    });
  });

  it('keeps the other kind of quote inside quotes', () => {
    expect(splitCommandLine(`say "it's" 'a "b"'`)).toEqual({
      ok: true,
      value: ['say', "it's", 'a "b"'],
    });
  });

  it('joins quoted and unquoted parts of one word', () => {
    expect(splitCommandLine('--name="my app" pre\'fix\'post a"b c"d')).toEqual({
      ok: true,
      value: ['--name=my app', 'prefixpost', 'ab cd'],
    });
  });

  it('keeps an empty quoted argument', () => {
    expect(splitCommandLine('a "" \'\' b')).toEqual({ ok: true, value: ['a', '', '', 'b'] });
    expect(splitCommandLine('""')).toEqual({ ok: true, value: [''] });
  });

  it('keeps Windows backslash paths as written', () => {
    expect(splitCommandLine('C:\\legacy\\db\\server.exe --data D:\\data\\')).toEqual({
      ok: true,
      value: ['C:\\legacy\\db\\server.exe', '--data', 'D:\\data\\'],
    });
  });

  it('keeps backslashes inside quotes, including one before the closing quote', () => {
    expect(splitCommandLine('"C:\\Program Files\\App\\app.exe" "C:\\out dir\\" next')).toEqual({
      ok: true,
      value: ['C:\\Program Files\\App\\app.exe', 'C:\\out dir\\', 'next'],
    });
    expect(splitCommandLine('\\\\server\\share\\tool.exe \\n')).toEqual({
      ok: true,
      value: ['\\\\server\\share\\tool.exe', '\\n'],
    });
  });

  it('does not treat a backslash as an escape for a quote', () => {
    expect(splitCommandLine('echo "a\\" b')).toEqual({ ok: true, value: ['echo', 'a\\', 'b'] });
  });

  it('passes shell syntax through as plain words', () => {
    expect(splitCommandLine('echo $HOME * | wc > out')).toEqual({
      ok: true,
      value: ['echo', '$HOME', '*', '|', 'wc', '>', 'out'],
    });
  });

  it('keeps non-ASCII characters', () => {
    expect(splitCommandLine('tool "naïve café" 😀')).toEqual({
      ok: true,
      value: ['tool', 'naïve café', '😀'],
    });
  });

  it('reports an unclosed double quote with the whole line', () => {
    expect(splitCommandLine('run "C:\\Program Files\\app.exe')).toEqual({
      ok: false,
      message: 'the command has an unclosed " quote: run "C:\\Program Files\\app.exe',
      hint: HINT,
    });
  });

  it('reports an unclosed single quote', () => {
    expect(splitCommandLine("echo 'it")).toEqual({
      ok: false,
      message: "the command has an unclosed ' quote: echo 'it",
      hint: HINT,
    });
  });

  it('names the quote left open, not the first one seen', () => {
    expect(splitCommandLine('a "b" \'c')).toEqual({
      ok: false,
      message: 'the command has an unclosed \' quote: a "b" \'c',
      hint: HINT,
    });
  });

  it('reports a lone quote', () => {
    expect(splitCommandLine('"')).toEqual({
      ok: false,
      message: 'the command has an unclosed " quote: "',
      hint: HINT,
    });
  });
});
