import type { Diagnostic } from './diagnostics.js';

/**
 * One diagnostic per line, compiler style, with an indented hint line:
 *   corral.yaml:14:16 processes.web.stop[0].timeout: expected a duration like "10s", got "10 sec"
 *     hint: a duration is numbers with units ms, s, m, h or d and no spaces: 500ms, 10s, 1m30s
 */
export function formatDiagnostic(d: Diagnostic): string {
  const severity = d.severity === 'warning' ? 'warning: ' : '';
  const where = d.path === '' ? '' : `${d.path}: `;
  const head = `${d.file}:${d.line}:${d.col} ${severity}${where}${d.message}`;
  return d.hint === undefined ? head : `${head}\n    hint: ${d.hint}`;
}

export function summarize(
  file: string,
  diagnostics: readonly Diagnostic[],
  valid: boolean,
  processCount: number,
): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  if (valid) return `${file}: valid, ${plural(processCount, 'process')}, ${plural(warnings, 'warning')}`;
  return `${file}: invalid, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
