import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { DiagnosticCode } from './codes.js';
import type { DiagnosticSink } from './diagnostics.js';

/** Parser errors with a precise cause of their own, always shown; others may only echo the first. */
const SPECIFIC = new Set(['TAB_AS_INDENT', 'TAG_RESOLVE_FAILED', 'MULTIPLE_DOCS']);

/** Syntax errors past this many are summarized: one broken bracket can cascade into hundreds. */
const MAX_SYNTAX_ERRORS = 10;

export interface ParsedYaml {
  readonly doc: Document;
  readonly lines: LineCounter;
}

/**
 * Parses YAML text keeping positions. Duplicate keys are left to the schema walk (the parser's own
 * check is quadratic in the number of keys); `<<` merges too. Returns null after reporting syntax errors.
 */
export function parseYaml(text: string, sink: DiagnosticSink): ParsedYaml | null {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
    merge: false,
    strict: true,
  });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length === 0) return { doc, lines };
  problems.sort((a, b) => a.pos[0] - b.pos[0]);
  // One error per line: the parser's follow-on errors on the same line only repeat the first.
  const firstPerLine = new Map<number, YAMLError>();
  for (const problem of problems) {
    const { line } = lines.linePos(problem.pos[0]);
    if (!firstPerLine.has(line)) firstPerLine.set(line, problem);
  }
  // After the first generic syntax error the parser is often lost, and what follows only echoes it:
  // show that one and count the rest. Tabs, tags and a second document are reported wherever they are.
  const all = [...firstPerLine.values()];
  const firstGeneric = all.findIndex((p) => !SPECIFIC.has(p.code));
  const echoes = firstGeneric === -1 ? [] : all.filter((p, i) => i > firstGeneric && !SPECIFIC.has(p.code));
  const shown = all.filter((p) => !echoes.includes(p));
  const sourceLines = text.split('\n');
  for (const problem of shown.slice(0, MAX_SYNTAX_ERRORS)) {
    const { line, col } = lines.linePos(problem.pos[0]);
    const { code, message, hint } = describe(problem, sourceLines[line - 1] ?? '');
    sink.error(code, { line, col }, '', message, hint);
  }
  if (shown.length > MAX_SYNTAX_ERRORS) {
    const last = shown[MAX_SYNTAX_ERRORS] as YAMLError;
    const { line, col } = lines.linePos(last.pos[0]);
    sink.error(
      'E_YAML_SYNTAX',
      { line, col },
      '',
      `...and ${shown.length - MAX_SYNTAX_ERRORS} more lines with YAML errors`,
    );
  }
  const firstEcho = echoes[0];
  if (firstEcho !== undefined) {
    const { line, col } = lines.linePos(firstEcho.pos[0]);
    sink.error(
      'E_YAML_SYNTAX',
      { line, col },
      '',
      `${echoes.length} more YAML syntax error${echoes.length === 1 ? '' : 's'} from here on, likely caused by the first one`,
      'fix the first error and validate again',
    );
  }
  return null;
}

function describe(
  problem: YAMLError,
  sourceLine: string,
): { code: DiagnosticCode; message: string; hint?: string } {
  switch (problem.code) {
    case 'TAB_AS_INDENT':
      return {
        code: 'E_TAB_INDENT',
        message: 'a tab is used for indentation; YAML allows only spaces there',
        hint: 'replace the tab with spaces',
      };
    case 'MULTIPLE_DOCS':
      return {
        code: 'E_MULTIPLE_DOCUMENTS',
        message: 'a second YAML document starts here; a manifest is one document',
        hint: 'remove the --- line and merge the two parts',
      };
    case 'TAG_RESOLVE_FAILED':
      return {
        code: 'E_YAML_TAG',
        message: `${firstLine(problem.message)}; manifests take plain YAML values`,
        hint: 'remove the tag (the ! word)',
      };
    default: {
      const message = `YAML syntax: ${firstLine(problem.message)}`;
      if (/[{[][^'"]*\$\{/.test(sourceLine)) {
        return {
          code: 'E_YAML_SYNTAX',
          message,
          hint: 'inside { } or [ ], quote a value that holds ${...}: "${NAME}"',
        };
      }
      return { code: 'E_YAML_SYNTAX', message };
    }
  }
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  const trimmed = line.replace(/ at line \d+, column \d+:?$/, '').trim();
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}
