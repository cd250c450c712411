import { describe, expect, it } from 'vitest';
import { expandVariables } from '../../../src/manifest/expand.js';

const UNCLOSED_HINT = 'write ${NAME} or ${NAME:-default}; write $$ for a literal $';
const NAME_HINT =
  'a variable name has letters, digits and _ and does not start with a digit: ${NAME} or ${NAME:-default}';

const env = { HOME: '/home/ana', PORT: '8080', EMPTY: '', _X1: 'x', DOLLAR: '${PORT}$$' };

describe('expandVariables', () => {
  it('returns text without $ unchanged', () => {
    expect(expandVariables('plain text {PORT}', env)).toEqual({ ok: true, value: 'plain text {PORT}' });
    expect(expandVariables('', env)).toEqual({ ok: true, value: '' });
  });

  it('replaces ${VAR} with its value', () => {
    expect(expandVariables('${HOME}/logs', env)).toEqual({ ok: true, value: '/home/ana/logs' });
    expect(expandVariables('port=${PORT}', env)).toEqual({ ok: true, value: 'port=8080' });
    expect(expandVariables('${_X1}', env)).toEqual({ ok: true, value: 'x' });
  });

  it('replaces several references, adjacent or apart', () => {
    expect(expandVariables('${HOME}${PORT} ${HOME}:${PORT}', env)).toEqual({
      ok: true,
      value: '/home/ana8080 /home/ana:8080',
    });
  });

  it('does not expand references inside a value', () => {
    expect(expandVariables('${DOLLAR}', env)).toEqual({ ok: true, value: '${PORT}$$' });
  });

  it('uses the default when the variable is not defined', () => {
    expect(expandVariables('${MISSING:-fallback}', env)).toEqual({ ok: true, value: 'fallback' });
    expect(expandVariables('${MISSING:-}', env)).toEqual({ ok: true, value: '' });
    expect(expandVariables('${MISSING:-a b:-c}', env)).toEqual({ ok: true, value: 'a b:-c' });
  });

  it('prefers the value over the default when the variable is defined', () => {
    expect(expandVariables('${PORT:-9000}', env)).toEqual({ ok: true, value: '8080' });
  });

  it('uses the default for an empty value too, as sh and compose do', () => {
    expect(expandVariables('[${EMPTY:-default}]', env)).toEqual({ ok: true, value: '[default]' });
    expect(expandVariables('[${EMPTY}]', env)).toEqual({ ok: true, value: '[]' });
  });

  it('treats a variable set to undefined as not defined', () => {
    expect(expandVariables('${GONE:-d}', { GONE: undefined })).toEqual({ ok: true, value: 'd' });
  });

  it('does not expand a default, and ends the reference at the first }', () => {
    expect(expandVariables('${MISSING:-${PORT}}', env)).toEqual({ ok: true, value: '${PORT}' });
    expect(expandVariables('${MISSING:-{a}}', env)).toEqual({ ok: true, value: '{a}' });
  });

  it('writes $$ as a literal $', () => {
    expect(expandVariables('$$', env)).toEqual({ ok: true, value: '$' });
    expect(expandVariables('cost: $$5', env)).toEqual({ ok: true, value: 'cost: $5' });
    expect(expandVariables('$${PORT}', env)).toEqual({ ok: true, value: '${PORT}' });
    expect(expandVariables('$$$${PORT}', env)).toEqual({ ok: true, value: '$${PORT}' });
    expect(expandVariables('$$$', env)).toEqual({ ok: true, value: '$$' });
    expect(expandVariables('$$${PORT}', env)).toEqual({ ok: true, value: '$8080' });
  });

  it('keeps a $ that is not followed by { or $', () => {
    expect(expandVariables('$PORT', env)).toEqual({ ok: true, value: '$PORT' });
    expect(expandVariables('a $ b', env)).toEqual({ ok: true, value: 'a $ b' });
    expect(expandVariables('ends with $', env)).toEqual({ ok: true, value: 'ends with $' });
    expect(expandVariables('$ {PORT}', env)).toEqual({ ok: true, value: '$ {PORT}' });
  });

  it('reports an undefined variable with a hint to set it or give a default', () => {
    expect(expandVariables('${HOME}/${NOPE}/x', env)).toEqual({
      ok: false,
      message: 'environment variable NOPE is not defined',
      hint: "set NOPE in corral's environment, or give a default: ${NOPE:-value}",
    });
  });

  it('does not take inherited object properties for variables', () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      expect(expandVariables(`\${${name}}`, {})).toEqual({
        ok: false,
        message: `environment variable ${name} is not defined`,
        hint: `set ${name} in corral's environment, or give a default: \${${name}:-value}`,
      });
      expect(expandVariables(`\${${name}:-d}`, { ...env })).toEqual({ ok: true, value: 'd' });
    }
  });

  it('looks names up exactly as written', () => {
    expect(expandVariables('${port:-lower}', env)).toEqual({ ok: true, value: 'lower' });
  });

  it('reports a ${ without its closing }, quoting the whole text', () => {
    expect(expandVariables('x ${PORT', env)).toEqual({
      ok: false,
      message: '"x ${PORT" has a ${ without its closing }',
      hint: UNCLOSED_HINT,
    });
    expect(expandVariables('${', env)).toEqual({
      ok: false,
      message: '"${" has a ${ without its closing }',
      hint: UNCLOSED_HINT,
    });
  });

  it('reports an unclosed reference even after a good one', () => {
    expect(expandVariables('${PORT} ${HOME', env)).toEqual({
      ok: false,
      message: '"${PORT} ${HOME" has a ${ without its closing }',
      hint: UNCLOSED_HINT,
    });
  });

  it.each([
    ['${}', '${}'],
    ['a${1PORT}b', '${1PORT}'],
    ['${PORT NUMBER}', '${PORT NUMBER}'],
    ['${ PORT}', '${ PORT}'],
    ['${PORT-8080}', '${PORT-8080}'],
    ['${PORT:8080}', '${PORT:8080}'],
    ['${:-x}', '${:-x}'],
    ['${a.b}', '${a.b}'],
    ['${${PORT}}', '${${PORT}'],
  ])('reports %j as not a variable reference', (text, reference) => {
    expect(expandVariables(text, env)).toEqual({
      ok: false,
      message: `"${reference}" is not a variable reference`,
      hint: NAME_HINT,
    });
  });

  it('reports the first problem in the text', () => {
    expect(expandVariables('${1A} ${NOPE}', env)).toEqual({
      ok: false,
      message: '"${1A}" is not a variable reference',
      hint: NAME_HINT,
    });
    expect(expandVariables('${NOPE} ${1A}', env)).toEqual({
      ok: false,
      message: 'environment variable NOPE is not defined',
      hint: "set NOPE in corral's environment, or give a default: ${NOPE:-value}",
    });
  });
});
