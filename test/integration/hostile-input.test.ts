// Hostile or accidental input gets a clear error quickly — never a hang, a crash or prototype pollution.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkManifest, loadManifest } from '../../src/manifest/load.js';
import { MAX_ALIASES } from '../../src/manifest/schema/context.js';
import { check, HEAD, load } from '../helpers/manifest.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-hostile-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const codes = (yaml: string) => check(yaml).diagnostics.map((d) => d.code);

describe('hostile input', () => {
  it('refuses a 10 MB file from its size, without parsing it', async () => {
    const file = path.join(tmp, 'big.yaml');
    fs.writeFileSync(
      file,
      `${HEAD}processes:\n${'  # padding padding padding padding padding padding\n'.repeat(200_000)}`,
    );
    const { manifest, diagnostics } = await loadManifest(file, { env: {} });
    expect(manifest).toBeNull();
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: 'E_TOO_LARGE',
        line: 1,
        col: 1,
        message: 'the file is 9.9 MB; a manifest may be at most 1 MB',
      }),
    ]);
  });

  it('does not hang on an endless file such as /dev/zero', async () => {
    const { diagnostics } = await loadManifest('/dev/zero', { env: {} });
    expect(diagnostics.map((d) => d.code)).toEqual(['E_TOO_LARGE']);
  });

  it('refuses binary garbage as not text, naming the first bad byte', () => {
    const garbage = Buffer.from([0x76, 0x65, 0x72, 0x0a, 0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0x13]);
    const result = checkBytes(garbage);
    expect(result).toEqual([
      expect.objectContaining({
        code: 'E_NOT_TEXT',
        line: 2,
        col: 1,
        message: 'not UTF-8 text: byte 0x89 at offset 4 is not valid UTF-8',
      }),
    ]);
  });

  it('refuses a NUL byte in otherwise valid text', () => {
    expect(
      checkBytes(Buffer.from(`${HEAD}processes:\n  web: { command: x }\0\n`)).map((d) => d.code),
    ).toEqual(['E_NOT_TEXT']);
  });

  it('refuses flow collections nested 100,000 deep before the parser sees them', () => {
    const deep = `${HEAD}processes:\n  web: { command: x, env: ${'['.repeat(100_000)}${']'.repeat(100_000)} }\n`;
    const diagnostics = check(deep).diagnostics;
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['E_TOO_DEEP', 4]]);
  });

  const blockNesting = (depth: number) => {
    const lines = Array.from({ length: depth }, (_, i) => `${' '.repeat(i + 2)}k${i}:`);
    return `${HEAD}x-deep:\n${lines.join('\n')} 1\nprocesses:\n  web: { command: x }\n`;
  };

  it('accepts block nesting 100 deep, and refuses 1,000 deep before the parser overflows its stack', () => {
    expect(check(blockNesting(100)).manifest).not.toBeNull();
    expect(check(blockNesting(1000)).diagnostics).toEqual([
      expect.objectContaining({
        code: 'E_TOO_DEEP',
        line: 259,
        col: 1,
        message: 'this line is indented more than 256 columns',
      }),
    ]);
  });

  it('does not expand an alias bomb (billion laughs)', () => {
    const levels = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`x-${name}: &${name} [${Array.from({ length: 10 }, () => `*${prev}`).join(',')}]`);
    }
    const yaml = `${HEAD}${levels.join('\n')}\nprocesses:\n  web: { command: *j, env: *j }\n`;
    const { manifest, diagnostics } = check(yaml);
    expect(manifest).toBeNull();
    // command's ten items are each a list (type errors), env is a list: reported, never expanded.
    expect(diagnostics.length).toBeLessThan(20);
    expect(diagnostics.every((d) => d.code === 'E_TYPE')).toBe(true);
  });

  it(`stops following aliases after ${MAX_ALIASES}`, () => {
    const yaml = `${HEAD}x-s: &s x\nprocesses:\n  web: { command: [${Array.from({ length: MAX_ALIASES + 5 }, () => '*s').join(', ')}] }\n`;
    const { diagnostics } = check(yaml);
    expect(diagnostics.map((d) => d.code)).toEqual(['E_ALIAS_LIMIT']);
  });

  it('treats __proto__ and constructor as plain keys: no prototype pollution', () => {
    const m = load(
      `${HEAD}processes:
  constructor:
    command: x
    env: { __proto__: polluted, constructor: also }
    depends_on: { toString: started }
  toString: { command: y }
`,
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const p = m.processes[0];
    expect(p?.name).toBe('constructor');
    expect(Object.getOwnPropertyNames(p?.env)).toEqual(['__proto__', 'constructor']);
    expect(p?.env['__proto__']).toBe('polluted');
    expect(Object.keys(p?.depends_on ?? {})).toEqual(['toString']);
    expect(codes(`${HEAD}__proto__: { polluted: true }\nprocesses:\n  w: { command: x }\n`)).toEqual([
      'E_UNKNOWN_KEY',
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reports tabs, a scalar document and stray bytes as errors, not crashes', () => {
    expect(codes('version: 1\n\tservice: x\n')).toEqual(['E_TAB_INDENT']);
    expect(codes('42\n')).toEqual(['E_TYPE']);
    expect(codes('@@@ ::: ]]]\n')[0]).toBe('E_YAML_SYNTAX');
  });
});

function checkBytes(bytes: Buffer) {
  return checkManifest(bytes, path.join(tmp, 'raw.yaml'), { env: {} }).diagnostics;
}
