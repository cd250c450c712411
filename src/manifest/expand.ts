/**
 * `${VAR}` and `${VAR:-default}` expansion in manifest strings, from the supervisor's environment.
 * The default applies when VAR is unset or empty; `${VAR}` of an empty VAR is the empty string.
 * `$$` is a literal `$`; a `$` not followed by `{` or `$` is kept as it is.
 */
export type Expansion = { ok: true; value: string } | { ok: false; message: string; hint: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function expandVariables(text: string, env: Readonly<Record<string, string | undefined>>): Expansion {
  if (!text.includes('$')) return { ok: true, value: text };
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i++;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close === -1) {
      return {
        ok: false,
        message: `"${text}" has a \${ without its closing }`,
        hint: 'write ${NAME} or ${NAME:-default}; write $$ for a literal $',
      };
    }
    const inner = text.slice(i + 2, close);
    const sep = inner.indexOf(':-');
    const name = sep === -1 ? inner : inner.slice(0, sep);
    if (!NAME.test(name)) {
      return {
        ok: false,
        message: `"\${${inner}}" is not a variable reference`,
        hint: 'a variable name has letters, digits and _ and does not start with a digit: ${NAME} or ${NAME:-default}',
      };
    }
    // Only string values: process.env inherits toString, constructor, ... from Object.prototype.
    // As in sh and docker compose, `:-` also replaces a variable that is set but empty.
    const value = env[name];
    if (typeof value === 'string' && (value !== '' || sep === -1)) out += value;
    else if (sep !== -1) out += inner.slice(sep + 2);
    else {
      return {
        ok: false,
        message: `environment variable ${name} is not defined`,
        hint: `set ${name} in corral's environment, or give a default: \${${name}:-value}`,
      };
    }
    i = close + 1;
  }
  return { ok: true, value: out };
}
