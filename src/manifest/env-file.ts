/**
 * env_file syntax: one `KEY=VALUE` per line; blank lines and lines starting with # are skipped; an
 * optional `export ` prefix; a value in "double quotes" understands \n, \t, \" and \\, a value in
 * 'single quotes' is taken literally, an unquoted value is trimmed. No ${VAR} expansion.
 */
export interface EnvFileProblem {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export interface EnvFile {
  readonly vars: Readonly<Record<string, string>>;
  readonly problems: readonly EnvFileProblem[];
}

const NO_EQUALS = 'expected KEY=VALUE, but this line has no "=" (its text is not shown: it may be a secret)';

export function parseEnvFile(text: string): EnvFile {
  const vars = Object.create(null) as Record<string, string>;
  const problems: EnvFileProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const body = raw.replace(/^\s*(export\s+)?/, '');
    const indent = raw.length - body.length;
    if (body === '' || body.startsWith('#')) return;
    const eq = body.indexOf('=');
    if (eq === -1) {
      // The line is not echoed: in a file of secrets, a line without "=" is often a value (a
      // multi-line one spilled over, a pasted token), and this message reaches logs.
      problems.push({ line, col: indent + 1, message: NO_EQUALS });
      return;
    }
    const key = body.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      problems.push({ line, col: indent + 1, message: `"${key}" is not a valid variable name` });
      return;
    }
    const value = parseValue(body.slice(eq + 1).trim());
    if (value === null) {
      problems.push({ line, col: indent + eq + 2, message: `the value of ${key} has an unclosed quote` });
      return;
    }
    if (value.includes('\0')) {
      problems.push({
        line,
        col: indent + eq + 2,
        message: `the value of ${key} holds a NUL byte, which no environment variable can carry`,
      });
      return;
    }
    vars[key] = value;
  });
  return { vars, problems };
}

function parseValue(text: string): string | null {
  const quote = text[0];
  if (quote !== '"' && quote !== "'") return text.replace(/\s+#.*$/, '');
  const end = findClosingQuote(text, quote);
  if (end === -1) return null;
  const inner = text.slice(1, end);
  if (quote === "'") return inner;
  return inner.replace(/\\([nt"\\])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

function findClosingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}
