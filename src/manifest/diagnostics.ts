import type { DiagnosticCode } from './codes.js';

export type Severity = 'error' | 'warning';

/** A 1-based line and column in the manifest (or in an env_file it names). */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/**
 * One problem found in a manifest. `path` is the key path as the user wrote it
 * (`processes.web.stop[0].timeout`), empty when the problem concerns the whole file.
 */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
}

/** Collects diagnostics for one file; validation never throws and never stops at the first problem. */
export class DiagnosticSink {
  readonly #items: Diagnostic[] = [];

  constructor(readonly file: string) {}

  error(code: DiagnosticCode, at: Position, path: string, message: string, hint?: string): void {
    this.add('error', code, at, path, message, hint);
  }

  warning(code: DiagnosticCode, at: Position, path: string, message: string, hint?: string): void {
    this.add('warning', code, at, path, message, hint);
  }

  add(
    severity: Severity,
    code: DiagnosticCode,
    at: Position,
    path: string,
    message: string,
    hint?: string,
    file = this.file,
  ): void {
    const diagnostic: Diagnostic = { severity, code, file, line: at.line, col: at.col, path, message };
    this.#items.push(hint === undefined ? diagnostic : { ...diagnostic, hint });
  }

  get errorCount(): number {
    return this.#items.filter((d) => d.severity === 'error').length;
  }

  /**
   * Diagnostics in file order (stable for equal positions). The same problem found twice (an
   * anchor merged into two places) is kept once, under the first path it was found at.
   */
  sorted(): readonly Diagnostic[] {
    const seen = new Set<string>();
    const unique = this.#items.filter((d) => {
      const key = [d.file, d.line, d.col, d.code, d.message].join('\0');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return unique.sort(
      (a, b) =>
        Number(a.file !== this.file) - Number(b.file !== this.file) ||
        a.file.localeCompare(b.file) ||
        a.line - b.line ||
        a.col - b.col,
    );
  }
}
