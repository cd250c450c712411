import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/manifest/diagnostics.js';
import {
  decodeManifest,
  MAX_FLOW_DEPTH,
  MAX_INDENT,
  MAX_MANIFEST_BYTES,
  positionOfChar,
} from '../../../src/manifest/text.js';

const BOM = [0xef, 0xbb, 0xbf];

/** Bytes from text (encoded as UTF-8) and raw byte values, in order. */
function bytes(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function decode(input: Uint8Array): { text: string | null; sink: DiagnosticSink } {
  const sink = new DiagnosticSink('corral.yaml');
  return { text: decodeManifest(input, sink), sink };
}

function notUtf8(byte: string, offset: number, line: number, col: number): unknown {
  return {
    severity: 'error',
    code: 'E_NOT_TEXT',
    file: 'corral.yaml',
    line,
    col,
    path: '',
    message: `not UTF-8 text: byte 0x${byte} at offset ${offset} is not valid UTF-8`,
    hint: 'save the manifest as UTF-8',
  };
}

function nul(line: number, col: number): unknown {
  return {
    severity: 'error',
    code: 'E_NOT_TEXT',
    file: 'corral.yaml',
    line,
    col,
    path: '',
    message: 'not a text file: it contains a NUL byte',
    hint: 'is this the right file? Save the manifest as UTF-8 text',
  };
}

function tooDeep(line: number, col: number): unknown {
  return {
    severity: 'error',
    code: 'E_TOO_DEEP',
    file: 'corral.yaml',
    line,
    col,
    path: '',
    message: 'brackets are nested more than 64 levels deep',
    hint: 'a manifest never needs more than a few levels; is this the right file?',
  };
}

const EMPTY = {
  severity: 'error',
  code: 'E_EMPTY',
  file: 'corral.yaml',
  line: 1,
  col: 1,
  path: '',
  message: 'the file is empty',
  hint: 'a manifest needs at least `version: 1`, `service: { name: ... }` and `processes:`',
};

describe('decodeManifest', () => {
  it('returns the text of a good manifest and reports nothing', () => {
    const { text, sink } = decode(bytes('version: 1\nservice: { name: café }\n'));
    expect(text).toBe('version: 1\nservice: { name: café }\n');
    expect(sink.sorted()).toEqual([]);
  });

  it('drops a UTF-8 byte order mark', () => {
    const { text, sink } = decode(bytes(BOM, 'version: 1\n'));
    expect(text).toBe('version: 1\n');
    expect(sink.sorted()).toEqual([]);
  });

  describe('size', () => {
    it('accepts exactly MAX_MANIFEST_BYTES', () => {
      expect(MAX_MANIFEST_BYTES).toBe(1_048_576);
      const { text, sink } = decode(new Uint8Array(MAX_MANIFEST_BYTES).fill(0x61));
      expect(text).toHaveLength(MAX_MANIFEST_BYTES);
      expect(sink.sorted()).toEqual([]);
    });

    it('refuses one byte more, before looking at the content', () => {
      const { text, sink } = decode(new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(0xff));
      expect(text).toBeNull();
      expect(sink.sorted()).toEqual([
        {
          severity: 'error',
          code: 'E_TOO_LARGE',
          file: 'corral.yaml',
          line: 1,
          col: 1,
          path: '',
          message: 'the file is 1.0 MB; a manifest may be at most 1 MB',
          hint: 'is this the right file? A manifest for hundreds of processes is well under 1 MB',
        },
      ]);
    });

    it('gives the size of the whole file when told it, since only the first bytes may have been read', () => {
      const sink = new DiagnosticSink('corral.yaml');
      expect(decodeManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1), sink, 5 * MAX_MANIFEST_BYTES)).toBeNull();
      expect(sink.sorted().map((d) => d.message)).toEqual([
        'the file is 5.0 MB; a manifest may be at most 1 MB',
      ]);
    });

    it('says only "larger than 1 MB" when the given file size is smaller than the bytes', () => {
      const sink = new DiagnosticSink('corral.yaml');
      expect(decodeManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1), sink, 10)).toBeNull();
      expect(sink.sorted().map((d) => d.message)).toEqual([
        'the file is larger than 1 MB; a manifest may be at most 1 MB',
      ]);
    });

    it('gives the size in megabytes with one decimal', () => {
      const { sink } = decode(new Uint8Array(Math.round(3.5 * MAX_MANIFEST_BYTES)));
      expect(sink.sorted().map((d) => d.message)).toEqual([
        'the file is 3.5 MB; a manifest may be at most 1 MB',
      ]);
    });
  });

  describe('invalid UTF-8', () => {
    it.each([
      ['a lone continuation byte', bytes('a: ', [0x80]), '80', 3],
      ['an overlong two-byte lead C0', bytes('a: ', [0xc0, 0xaf]), 'C0', 3],
      ['an overlong two-byte lead C1', bytes('a: ', [0xc1, 0xbf]), 'C1', 3],
      ['a lead without its continuation', bytes('a: ', [0xc3, 0x41]), 'C3', 3],
      ['a sequence cut short by the end of the file', bytes('a: ', [0xe2, 0x82]), 'E2', 3],
      ['a three-byte sequence with a bad third byte', bytes('a: ', [0xe2, 0x82, 0x41]), 'E2', 3],
      ['an overlong three-byte sequence', bytes('a: ', [0xe0, 0x80, 0x80]), 'E0', 3],
      ['an encoded surrogate', bytes('a: ', [0xed, 0xa0, 0x80]), 'ED', 3],
      ['an overlong four-byte sequence', bytes('a: ', [0xf0, 0x80, 0x80, 0x80]), 'F0', 3],
      ['a code point above U+10FFFF', bytes('a: ', [0xf4, 0x90, 0x80, 0x80]), 'F4', 3],
      ['a lead byte F5', bytes('a: ', [0xf5, 0x80, 0x80, 0x80]), 'F5', 3],
      ['a byte FF', bytes('a: ', [0xff]), 'FF', 3],
    ])('reports %s at its byte offset', (_what, input, byte, offset) => {
      const { text, sink } = decode(input);
      expect(text).toBeNull();
      expect(sink.sorted()).toEqual([notUtf8(byte, offset, 1, offset + 1)]);
    });

    it('reports the first bad byte when there are several', () => {
      const { sink } = decode(bytes('a: ', [0xfe], 'b', [0xff]));
      expect(sink.sorted()).toEqual([notUtf8('FE', 3, 1, 4)]);
    });

    it('counts lines by newline bytes and columns from the start of the line', () => {
      const { sink } = decode(bytes('x: 1\r\ny: 2\nz: ', [0x80]));
      expect(sink.sorted()).toEqual([notUtf8('80', 14, 3, 4)]);
    });

    it('reports the first byte of the file at 1:1', () => {
      const { sink } = decode(bytes([0xff], 'abc'));
      expect(sink.sorted()).toEqual([notUtf8('FF', 0, 1, 1)]);
    });

    it('reports a bad byte right after a newline at column 1', () => {
      const { sink } = decode(bytes('a: 1\n', [0xc0]));
      expect(sink.sorted()).toEqual([notUtf8('C0', 5, 2, 1)]);
    });

    it('counts columns in characters after valid multi-byte characters, but the offset in bytes', () => {
      // é is 2 bytes, € 3, 😀 4 (two UTF-16 units, as positionOfChar counts them).
      const { sink } = decode(bytes('é: ', [0xff]));
      expect(sink.sorted()).toEqual([notUtf8('FF', 4, 1, 4)]);
      const { sink: sink2 } = decode(bytes('a: 1\né€😀', [0xfe]));
      expect(sink2.sorted()).toEqual([notUtf8('FE', 14, 2, 5)]);
    });

    it('does not count a byte order mark as a column', () => {
      const { sink } = decode(bytes(BOM, 'ab', [0xff]));
      expect(sink.sorted()).toEqual([notUtf8('FF', 5, 1, 3)]);
    });

    it('accepts the edges of valid UTF-8', () => {
      // U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF
      const { text, sink } = decode(
        bytes(
          'a: ',
          [0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80, 0xef, 0xbf, 0xbf],
          [0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf],
        ),
      );
      expect(sink.sorted()).toEqual([]);
      expect(text).toBe('a: \u0080\u07FF\u0800\uD7FF\uE000\uFFFF\u{10000}\u{10FFFF}');
    });

    it('is reported before a NUL byte', () => {
      const { sink } = decode(bytes('\0', [0xff]));
      expect(sink.sorted()).toEqual([notUtf8('FF', 1, 1, 2)]);
    });
  });

  describe('NUL', () => {
    it('refuses text with a NUL byte, at its position', () => {
      const { text, sink } = decode(bytes('a: 1\nb: \0'));
      expect(text).toBeNull();
      expect(sink.sorted()).toEqual([nul(2, 4)]);
    });

    it('reports a NUL rather than an empty file', () => {
      const { sink } = decode(bytes('  \0'));
      expect(sink.sorted()).toEqual([nul(1, 3)]);
    });

    it('does not count a byte order mark as a column', () => {
      const { sink } = decode(bytes(BOM, 'a\0'));
      expect(sink.sorted()).toEqual([nul(1, 2)]);
    });
  });

  describe('empty', () => {
    it.each([
      ['no bytes', bytes()],
      ['only a byte order mark', bytes(BOM)],
      ['only blank lines', bytes('\n  \n\t\r\n')],
    ])('refuses a file with %s as empty', (_what, input) => {
      const { text, sink } = decode(input);
      expect(text).toBeNull();
      expect(sink.sorted()).toEqual([EMPTY]);
    });

    it.each([
      ['only comments', bytes('# corral manifest\n  # nothing yet\r\n#\n')],
      ['a byte order mark and a comment', bytes(BOM, '# hi')],
      ['comments ending in CRLF', bytes('# one\r\n# two\r\n')],
      ['comments ending in a lone CR', bytes('# one\r  # two\r')],
    ])('refuses a file with %s as holding only comments', (_what, input) => {
      const { text, sink } = decode(input);
      expect(text).toBeNull();
      expect(sink.sorted()).toEqual([{ ...EMPTY, message: 'the file holds only comments' }]);
    });

    it.each(['---\n', 'a', '# comment\nkey: value # more', '"#"'])('accepts %j as not empty', (input) => {
      const { text, sink } = decode(bytes(input));
      expect(text).toBe(input);
      expect(sink.sorted()).toEqual([]);
    });
  });

  describe('indentation', () => {
    it('accepts a line indented exactly MAX_INDENT spaces', () => {
      expect(MAX_INDENT).toBe(256);
      const input = `a:\n${' '.repeat(256)}b: 1\n`;
      expect(decode(bytes(input)).text).toBe(input);
    });

    it('refuses a line indented one space more, at the start of that line', () => {
      const { text, sink } = decode(bytes(`a:\n  b: 1\n${' '.repeat(257)}c: 1\n`));
      expect(text).toBeNull();
      expect(sink.sorted()).toEqual([
        {
          severity: 'error',
          code: 'E_TOO_DEEP',
          file: 'corral.yaml',
          line: 3,
          col: 1,
          path: '',
          message: 'this line is indented more than 256 columns',
          hint: 'a manifest never needs more than a few levels; is this the right file?',
        },
      ]);
    });
  });

  describe('flow nesting', () => {
    it('is limited to 64 levels', () => {
      expect(MAX_FLOW_DEPTH).toBe(64);
    });

    it('accepts brackets nested exactly MAX_FLOW_DEPTH deep', () => {
      const input = `a: ${'['.repeat(64)}${']'.repeat(64)}\n`;
      const { text, sink } = decode(bytes(input));
      expect(text).toBe(input);
      expect(sink.sorted()).toEqual([]);
    });

    it('refuses one level more, at the bracket that goes too deep', () => {
      const { text, sink } = decode(bytes(`a: ${'['.repeat(65)}`));
      expect(text).toBeNull();
      expect(sink.sorted()).toEqual([tooDeep(1, 68)]);
    });

    it('counts [ and { together', () => {
      const { sink } = decode(bytes(`${'{a: '.repeat(32)}${'['.repeat(33)}`));
      expect(sink.sorted()).toEqual([tooDeep(1, 4 * 32 + 33)]);
    });

    it('counts nesting across lines', () => {
      const { sink } = decode(bytes(`a:\n${'  [\n'.repeat(65)}`));
      expect(sink.sorted()).toEqual([tooDeep(66, 3)]);
    });

    it('counts depth, not the number of brackets', () => {
      const input = `a: ${'[]'.repeat(200)}\nb: ${'['.repeat(64)}${']'.repeat(64)}${'['.repeat(64)}`;
      expect(decode(bytes(input)).sink.sorted()).toEqual([]);
    });

    it('does not let stray closing brackets buy extra depth', () => {
      const { sink } = decode(bytes(`${']'.repeat(10)}${'['.repeat(65)}`));
      expect(sink.sorted()).toEqual([tooDeep(1, 75)]);
    });

    it('does not count brackets inside quotes', () => {
      for (const input of [
        `a: '${'['.repeat(100)}'`,
        `a: "${'{'.repeat(100)}"`,
        `a: "\\"${'['.repeat(100)}"`,
        `a: 'it''s ${'['.repeat(100)}'`,
        `a: "it's ${'['.repeat(100)}"`,
        `a: '"' ${'x'.repeat(3)} "${'['.repeat(100)}"`,
      ]) {
        expect(decode(bytes(input)).sink.sorted()).toEqual([]);
      }
    });

    it('counts brackets after a closed quote', () => {
      const { sink } = decode(bytes(`a: "x" ${'['.repeat(65)}`));
      expect(sink.sorted()).toEqual([tooDeep(1, 72)]);
    });

    it('does not count brackets in comments', () => {
      for (const input of [
        `# ${'['.repeat(100)}\na: 1`,
        `a: 1 # ${'{'.repeat(100)}`,
        `a: 1\t#${'['.repeat(100)}\nb: 2`,
      ]) {
        expect(decode(bytes(input)).sink.sorted()).toEqual([]);
      }
    });

    it('counts brackets after a comment ends', () => {
      const { sink } = decode(bytes(`a: # ${'['.repeat(100)}\n${'['.repeat(65)}`));
      expect(sink.sorted()).toEqual([tooDeep(2, 65)]);
    });

    it('takes # as a comment only at the start or after whitespace', () => {
      const { sink } = decode(bytes(`a: b#${'['.repeat(65)}`));
      expect(sink.sorted()).toEqual([tooDeep(1, 70)]);
    });

    it('does not take a # inside quotes for a comment', () => {
      const { sink } = decode(bytes(`a: " #" ${'['.repeat(65)}`));
      expect(sink.sorted()).toEqual([tooDeep(1, 73)]);
    });

    it('ends a quote at the end of its line', () => {
      const { sink } = decode(bytes(`a: don't\n${'['.repeat(65)}`));
      expect(sink.sorted()).toEqual([tooDeep(2, 65)]);
    });
  });
});

describe('positionOfChar', () => {
  it('gives 1-based line and column of a character index', () => {
    const text = 'ab\ncd\n\nef';
    expect(positionOfChar(text, 0)).toEqual({ line: 1, col: 1 });
    expect(positionOfChar(text, 2)).toEqual({ line: 1, col: 3 });
    expect(positionOfChar(text, 3)).toEqual({ line: 2, col: 1 });
    expect(positionOfChar(text, 4)).toEqual({ line: 2, col: 2 });
    expect(positionOfChar(text, 6)).toEqual({ line: 3, col: 1 });
    expect(positionOfChar(text, 8)).toEqual({ line: 4, col: 2 });
  });

  it('counts \\r as a column, not a line break', () => {
    expect(positionOfChar('a\r\nb', 3)).toEqual({ line: 2, col: 1 });
    expect(positionOfChar('a\rb', 2)).toEqual({ line: 1, col: 3 });
  });
});
