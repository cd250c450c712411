import { isAlias, type Document, type LineCounter, type Node } from 'yaml';
import type { DiagnosticSink, Position } from '../diagnostics.js';
import type { Platform } from '../spec.js';
import { INVALID } from './dsl.js';

/** More alias uses than this in one manifest is an alias bomb, not a configuration. */
export const MAX_ALIASES = 1000;

/** What a schema node needs while checking: where to report, positions, aliases, the environment. */
export interface CheckContext {
  readonly sink: DiagnosticSink;
  readonly platform: Platform;
  /** The supervisor's environment, for `${VAR}` expansion. */
  readonly env: Readonly<Record<string, string | undefined>>;
  position(node: Node | null | undefined): Position;
  /** Follows aliases (counting them against MAX_ALIASES); INVALID once the limit is hit. */
  deref(node: unknown, path: string): Node | null | typeof INVALID;
  /** Remembers where a key path is written, for diagnostics found after checking. */
  record(path: string, at: Position): void;
  /** Notes that the value at a key path failed its check (so later checks can skip it). */
  markInvalid(path: string): void;
}

export class YamlCheckContext implements CheckContext {
  readonly positions = new Map<string, Position>();
  readonly invalid = new Set<string>();
  #aliases = 0;
  #last: Position = { line: 1, col: 1 };

  constructor(
    readonly sink: DiagnosticSink,
    readonly platform: Platform,
    readonly env: Readonly<Record<string, string | undefined>>,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  position(node: Node | null | undefined): Position {
    const offset = node?.range?.[0];
    if (offset === undefined) return this.#last;
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  deref(node: unknown, path: string): Node | null | typeof INVALID {
    let current = (node ?? null) as Node | null;
    while (current !== null && isAlias(current)) {
      if (++this.#aliases > MAX_ALIASES) {
        if (this.#aliases === MAX_ALIASES + 1) {
          this.sink.error(
            'E_ALIAS_LIMIT',
            this.position(current),
            path,
            `more than ${MAX_ALIASES} aliases are used`,
            'a manifest needs a handful of anchors and aliases; is this an alias bomb?',
          );
        }
        return INVALID;
      }
      const target = current.resolve(this.doc) as Node | undefined;
      if (target === undefined) {
        this.sink.error(
          'E_YAML_SYNTAX',
          this.position(current),
          path,
          `the alias *${current.source} refers to no anchor`,
          `define the anchor first, with &${current.source}, above this line`,
        );
        return INVALID;
      }
      current = target;
    }
    return current;
  }

  markInvalid(path: string): void {
    this.invalid.add(path);
  }

  record(path: string, at: Position): void {
    this.#last = at;
    if (!this.positions.has(path)) this.positions.set(path, at);
  }
}
