import type { Parsed } from './duration.js';

/**
 * Splits a command written as one string into arguments, without a shell: whitespace separates
 * arguments, "double" or 'single' quotes group them. Backslashes are kept as they are, so Windows
 * paths need no escaping (C:\legacy\db\server.exe). No variables, globs, pipes or redirections:
 * for those, set `shell: true`.
 */
export function splitCommandLine(line: string): Parsed<string[]> {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quote: '"' | "'" | null = null;
  for (const c of line) {
    if (quote !== null) {
      if (c === quote) quote = null;
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inArg = true;
    } else if (/\s/.test(c)) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += c;
      inArg = true;
    }
  }
  if (quote !== null) {
    return {
      ok: false,
      message: `the command has an unclosed ${quote} quote: ${line}`,
      hint: 'close the quote, or write the command as a list: ["exe", "arg with spaces"]',
    };
  }
  if (inArg) args.push(current);
  return { ok: true, value: args };
}
