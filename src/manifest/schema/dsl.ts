// A small schema language for the manifest. Each schema node does two things from one definition:
// it checks a YAML node (with positions, collecting every problem, converting durations and sizes),
// and it emits its JSON Schema (draft-07) for editors. So manifest.schema.json and the validator
// cannot drift apart. Checking never throws; a failed check reports and returns INVALID.
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { DiagnosticCode } from '../codes.js';
import type { Position } from '../diagnostics.js';
import { expandVariables } from '../expand.js';
import { closest } from '../suggest.js';
import type { CheckContext } from './context.js';

export type JsonSchema = { readonly [key: string]: unknown };

/** An empty map for user-chosen keys: no prototype, so `__proto__` or `constructor` are plain keys. */
export function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
export const INVALID: unique symbol = Symbol('invalid');
export type Checked<T> = T | typeof INVALID;

export abstract class Schema<T> {
  description: string | undefined;

  /** How the expected value is named in messages: "a string", "a list of strings". */
  abstract expected(): string;
  abstract json(): JsonSchema;
  /** Checks one YAML node (aliases already resolved; null for an empty value). */
  abstract check(node: Node | null, path: string, ctx: CheckContext): Checked<T>;

  describe(text: string): this {
    this.description = text;
    return this;
  }

  protected withDescription(schema: JsonSchema): JsonSchema {
    return this.description === undefined ? schema : { description: this.description, ...schema };
  }
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

// ---------------------------------------------------------------- paths and messages

/** `processes.web` + `stop` → `processes.web.stop`; odd keys are quoted: `env["MY-VAR"]`. */
export function childPath(parent: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (parent === '') return part.startsWith('[') ? part : part;
  return part.startsWith('[') ? `${parent}${part}` : `${parent}.${part}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** How a found value is named in messages: `"10 sec"`, `42`, `a list`, `a mapping`, `nothing`. */
export function describeFound(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing';
    if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  return 'something else';
}

export function typeError(
  ctx: CheckContext,
  node: Node | null,
  path: string,
  expected: string,
  hint?: string,
): typeof INVALID {
  ctx.sink.error(
    'E_TYPE',
    ctx.position(node),
    path,
    `expected ${expected}, got ${describeFound(node)}`,
    hint,
  );
  return INVALID;
}

/**
 * The JS value of a scalar, with `${VAR}` expanded in strings. Reports a malformed or undefined
 * variable and returns INVALID. Non-scalars return undefined (the caller reports the type).
 */
export function scalarValue(
  node: Node | null,
  path: string,
  ctx: CheckContext,
  allowNul = false,
): Checked<unknown> {
  if (node === null) return null;
  if (!isScalar(node)) return undefined;
  const value: unknown = node.value;
  if (typeof value !== 'string') return value;
  const expanded = expandVariables(value, ctx.env);
  if (!expanded.ok) {
    ctx.sink.error('E_VARIABLE', ctx.position(node), path, expanded.message, expanded.hint);
    return INVALID;
  }
  // A raw NUL byte never gets this far (the file is refused as not text), but a double-quoted
  // "\0", "\x00" or "\u0000" does: no argument, path or environment value can carry one, and the
  // spawn would fail at every start.
  if (!allowNul && expanded.value.includes('\0')) {
    ctx.sink.error(
      'E_NUL',
      ctx.position(node),
      path,
      'this value holds a NUL character, which no command line, path or environment variable can carry',
      'remove the \\0, \\x00 or \\u0000 escape from the quoted string',
    );
    return INVALID;
  }
  return expanded.value;
}

// ---------------------------------------------------------------- scalars

interface StringRule {
  readonly test: (value: string) => boolean;
  readonly code: DiagnosticCode;
  readonly message: (value: string) => string;
  readonly hint?: string;
  readonly jsonPattern?: string;
}

export class StringSchema extends Schema<string> {
  constructor(
    private readonly options: {
      readonly minLength?: number;
      readonly rule?: StringRule;
      readonly name?: string;
      /** Text that only ever travels as bytes (stdin text, a request body, a pattern) may hold NUL. */
      readonly allowNul?: boolean;
    } = {},
  ) {
    super();
  }
  expected(): string {
    return this.options.name ?? (this.options.minLength === undefined ? 'a string' : 'a non-empty string');
  }
  json(): JsonSchema {
    const s: Record<string, unknown> = { type: 'string' };
    if (this.options.minLength !== undefined) s['minLength'] = this.options.minLength;
    if (this.options.rule?.jsonPattern !== undefined) s['pattern'] = this.options.rule.jsonPattern;
    return this.withDescription(s);
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<string> {
    const value = scalarValue(node, path, ctx, this.options.allowNul);
    if (value === INVALID) return INVALID;
    if (typeof value !== 'string') return typeError(ctx, node, path, this.expected());
    if (this.options.minLength !== undefined && value.length < this.options.minLength) {
      return typeError(ctx, node, path, this.expected());
    }
    const rule = this.options.rule;
    if (rule !== undefined && !rule.test(value)) {
      ctx.sink.error(rule.code, ctx.position(node), path, rule.message(value), rule.hint);
      return INVALID;
    }
    return value;
  }
}

/** A string, number or boolean, kept as the string a program would see (environment values). */
export class ScalarTextSchema extends Schema<string> {
  expected(): string {
    return 'a string, number or boolean';
  }
  json(): JsonSchema {
    return this.withDescription({ type: ['string', 'number', 'boolean'] });
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<string> {
    const value = scalarValue(node, path, ctx);
    if (value === INVALID) return INVALID;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return String(value);
    return typeError(
      ctx,
      node,
      path,
      this.expected(),
      value === null ? 'write "" for an empty value' : undefined,
    );
  }
}

/** Reads a number that may have been written as a `${VAR}` string. */
function numericValue(node: Node | null, path: string, ctx: CheckContext): Checked<unknown> {
  const value = scalarValue(node, path, ctx);
  if (
    typeof value === 'string' &&
    isScalar(node) &&
    String(node.value).includes('${') &&
    /^-?[0-9.]+$/.test(value)
  ) {
    return Number(value);
  }
  return value;
}

export class NumberSchema extends Schema<number> {
  constructor(
    private readonly options: { readonly integer: boolean; readonly min?: number; readonly max?: number },
  ) {
    super();
  }
  expected(): string {
    const { integer, min, max } = this.options;
    const kind = integer ? 'a whole number' : 'a number';
    if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
    if (min !== undefined) return `${kind} of at least ${min}`;
    return kind;
  }
  json(): JsonSchema {
    const s: Record<string, unknown> = { type: this.options.integer ? 'integer' : 'number' };
    if (this.options.min !== undefined) s['minimum'] = this.options.min;
    if (this.options.max !== undefined) s['maximum'] = this.options.max;
    return this.withDescription(s);
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<number> {
    const value = numericValue(node, path, ctx);
    if (value === INVALID) return INVALID;
    if (typeof value !== 'number' || !Number.isFinite(value))
      return typeError(ctx, node, path, this.expected());
    const { integer, min, max } = this.options;
    if (
      (integer && !Number.isInteger(value)) ||
      (min !== undefined && value < min) ||
      (max !== undefined && value > max)
    ) {
      ctx.sink.error('E_RANGE', ctx.position(node), path, `expected ${this.expected()}, got ${value}`);
      return INVALID;
    }
    return value;
  }
}

export class BooleanSchema extends Schema<boolean> {
  expected(): string {
    return 'true or false';
  }
  json(): JsonSchema {
    return this.withDescription({ type: 'boolean' });
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<boolean> {
    const value = scalarValue(node, path, ctx);
    if (value === INVALID) return INVALID;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    const hint =
      typeof value === 'string' && /^(yes|no|on|off)$/i.test(value)
        ? 'YAML 1.2 has only true and false'
        : undefined;
    return typeError(ctx, node, path, this.expected(), hint);
  }
}

export class EnumSchema<const V extends string> extends Schema<V> {
  #aliases: Readonly<Record<string, V>> = {};

  constructor(private readonly values: readonly V[]) {
    super();
  }

  /** Words people bring from other tools (`no`, `healthy`), answered with "did you mean ...?". */
  aliases(map: Readonly<Record<string, V>>): this {
    this.#aliases = map;
    return this;
  }
  expected(): string {
    const quoted = this.values.map((v) => v);
    return quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `one of ${quoted.join(', ')}`;
  }
  json(): JsonSchema {
    return this.withDescription({ type: 'string', enum: [...this.values] });
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<V> {
    const value = scalarValue(node, path, ctx);
    if (value === INVALID) return INVALID;
    if (typeof value === 'string' && (this.values as readonly string[]).includes(value)) return value as V;
    if (typeof value !== 'string') return typeError(ctx, node, path, this.expected());
    const guess = Object.hasOwn(this.#aliases, value) ? this.#aliases[value] : closest(value, this.values);
    ctx.sink.error(
      'E_ENUM',
      ctx.position(node),
      path,
      `expected ${this.expected()}, got ${describeFound(node)}`,
      guess === undefined ? undefined : `did you mean ${guess}?`,
    );
    return INVALID;
  }
}

/** A value parsed from a string (or number) by a pure parser: durations, sizes, signals. */
export class ParsedSchema<T> extends Schema<T> {
  constructor(
    private readonly name: string,
    private readonly code: DiagnosticCode,
    private readonly parse: (
      input: string | number,
    ) => { ok: true; value: T } | { ok: false; message: string; hint?: string },
    private readonly jsonShape: JsonSchema,
  ) {
    super();
  }
  expected(): string {
    return this.name;
  }
  json(): JsonSchema {
    return this.withDescription(this.jsonShape);
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<T> {
    const value = scalarValue(node, path, ctx);
    if (value === INVALID) return INVALID;
    if (typeof value !== 'string' && typeof value !== 'number') return typeError(ctx, node, path, this.name);
    const parsed = this.parse(value);
    if (parsed.ok) return parsed.value;
    ctx.sink.error(this.code, ctx.position(node), path, parsed.message, parsed.hint);
    return INVALID;
  }
}

// ---------------------------------------------------------------- collections

export class ArraySchema<I> extends Schema<readonly I[]> {
  constructor(
    private readonly item: Schema<I>,
    private readonly options: { readonly minItems?: number; readonly name?: string } = {},
  ) {
    super();
  }
  expected(): string {
    return this.options.name ?? `a list of ${this.item.expected().replace(/^an? /, '')}s`;
  }
  json(): JsonSchema {
    const s: Record<string, unknown> = { type: 'array', items: this.item.json() };
    if (this.options.minItems !== undefined) s['minItems'] = this.options.minItems;
    return this.withDescription(s);
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<readonly I[]> {
    if (!isSeq(node)) return typeError(ctx, node, path, this.expected());
    if (this.options.minItems !== undefined && node.items.length < this.options.minItems) {
      return typeError(ctx, node, path, this.expected(), 'the list is empty');
    }
    const out: I[] = [];
    let ok = true;
    for (const [i, raw] of node.items.entries()) {
      const itemPath = indexPath(path, i);
      const itemNode = ctx.deref(raw, itemPath);
      if (itemNode === INVALID) {
        ok = false;
        continue;
      }
      ctx.record(itemPath, ctx.position(itemNode));
      const v = this.item.check(itemNode, itemPath, ctx);
      if (v === INVALID) ok = false;
      else out.push(v);
    }
    return ok ? out : INVALID;
  }
}

/** The key/value pairs of a YAML mapping, with `<<` merges applied and x- keys dropped. */
export interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
}

/**
 * Reads the entries of a mapping: reports non-string keys and duplicates, applies `<<` merge keys
 * (explicit keys win, then earlier merged maps), and skips `x-` keys. Returns INVALID if `node` is
 * not a mapping.
 */
export function entriesOf(node: YAMLMap, path: string, ctx: CheckContext): Entry[] {
  const explicit: Entry[] = [];
  const merged: Entry[] = [];
  const seen = new Map<string, Position>();
  for (const pair of node.items as Pair<Node, Node | null>[]) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== 'string' && typeof key !== 'number') {
      ctx.sink.error(
        'E_TYPE',
        ctx.position(keyNode),
        path,
        `expected a plain key, got ${describeFound(keyNode)}`,
      );
      continue;
    }
    const name = String(key);
    const pos = ctx.position(keyNode);
    const first = seen.get(name);
    if (first !== undefined) {
      ctx.sink.error(
        'E_DUPLICATE_KEY',
        pos,
        childPath(path, name),
        `duplicate key "${name}" (first at line ${first.line})`,
        'remove one of them; a later key would silently replace the earlier one',
      );
      continue;
    }
    seen.set(name, pos);
    if (name === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
      for (const source of mergeSources(pair.value, path, ctx)) {
        for (const e of entriesOf(source, path, ctx)) merged.push(e);
      }
      continue;
    }
    if (name.startsWith('x-')) continue;
    const value = ctx.deref(pair.value, childPath(path, name));
    if (value === INVALID) continue;
    explicit.push({ key: name, keyNode, value });
  }
  const taken = new Set(explicit.map((e) => e.key));
  for (const e of merged) {
    if (!taken.has(e.key)) {
      taken.add(e.key);
      explicit.push(e);
    }
  }
  return explicit;
}

function mergeSources(value: Node | null, path: string, ctx: CheckContext): YAMLMap[] {
  const target = ctx.deref(value, path);
  if (target === INVALID) return [];
  const items = isSeq(target) ? target.items.map((n) => ctx.deref(n as Node, path)) : [target];
  const maps: YAMLMap[] = [];
  for (const item of items) {
    if (item !== INVALID && isMap(item)) maps.push(item);
    else if (item !== INVALID) typeError(ctx, item, path, 'a mapping (or a list of mappings) after <<');
  }
  return maps;
}

export interface FieldDef<S extends Schema<unknown> = Schema<unknown>, R extends boolean = boolean> {
  readonly schema: S;
  readonly required: R;
}

export type Fields = Readonly<Record<string, FieldDef>>;

export type ObjectValue<F extends Fields> = {
  -readonly [K in keyof F as F[K]['required'] extends true ? K : never]: Infer<F[K]['schema']>;
} & {
  -readonly [K in keyof F as F[K]['required'] extends true ? never : K]?: Infer<F[K]['schema']>;
};

/**
 * Checks a mapping's entries against the fields it may have: reports unknown keys (with a
 * suggestion among `known`), checks each value (marking failures invalid), and reports missing
 * required fields at `node`. Returns the valid values and whether everything was valid.
 */
export function checkFields(
  entries: readonly Entry[],
  fields: Fields,
  node: Node | null,
  path: string,
  ctx: CheckContext,
  options: {
    readonly known: readonly string[];
    readonly unknownKeyHint?: (key: string) => string | undefined;
    readonly missing: (key: string) => string;
  },
): { values: Record<string, unknown>; ok: boolean } {
  const values: Record<string, unknown> = {};
  let ok = true;
  const present = new Set<string>();
  for (const entry of entries) {
    const keyPath = childPath(path, entry.key);
    const field = Object.hasOwn(fields, entry.key) ? fields[entry.key] : undefined;
    if (field === undefined) {
      ok = false;
      reportUnknownKey(entry, keyPath, options.known, ctx, options.unknownKeyHint?.(entry.key));
      continue;
    }
    present.add(entry.key);
    ctx.record(keyPath, ctx.position(entry.keyNode));
    const v = field.schema.check(entry.value, keyPath, ctx);
    if (v === INVALID) {
      ok = false;
      ctx.markInvalid(keyPath);
    } else values[entry.key] = v;
  }
  for (const [key, field] of Object.entries(fields)) {
    if (field.required && !present.has(key)) {
      ok = false;
      ctx.sink.error(
        'E_REQUIRED',
        ctx.position(node),
        path,
        options.missing(key),
        `add ${key}: ${field.schema.expected()}`,
      );
    }
  }
  return { values, ok };
}

export class ObjectSchema<F extends Fields> extends Schema<ObjectValue<F>> {
  constructor(
    readonly fields: F,
    private readonly options: {
      readonly name?: string;
      readonly unknownKeyHint?: (key: string) => string | undefined;
      /** Return the valid keys even when others are invalid (for the manifest's top level). */
      readonly partial?: boolean;
      /** Said when a plain word is written instead of the mapping (`restart: never`). */
      readonly scalarHint?: (value: string) => string | undefined;
    } = {},
  ) {
    super();
  }
  expected(): string {
    return this.options.name ?? 'a mapping';
  }
  json(): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries(this.fields)) {
      properties[key] = field.schema.json();
      if (field.required) required.push(key);
    }
    const s: Record<string, unknown> = {
      type: 'object',
      properties,
      patternProperties: { '^x-': {} },
      additionalProperties: false,
    };
    if (required.length > 0) s['required'] = required;
    return this.withDescription(s);
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<ObjectValue<F>> {
    if (node !== null && isScalar(node) && node.value === null) node = null;
    if (node !== null && !isMap(node)) {
      const word = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
      return typeError(
        ctx,
        node,
        path,
        this.expected(),
        word === undefined ? undefined : this.options.scalarHint?.(word),
      );
    }
    const entries = node === null ? [] : entriesOf(node, path, ctx);
    const { values: out, ok } = checkFields(entries, this.fields, node, path, ctx, {
      known: Object.keys(this.fields),
      ...(this.options.unknownKeyHint === undefined ? {} : { unknownKeyHint: this.options.unknownKeyHint }),
      missing: (key) => `missing required key "${key}"`,
    });
    if (!ok) ctx.markInvalid(path);
    return ok || this.options.partial === true ? (out as ObjectValue<F>) : INVALID;
  }
}

export function reportUnknownKey(
  entry: Entry,
  keyPath: string,
  known: readonly string[],
  ctx: CheckContext,
  hint?: string,
): void {
  const guess = closest(entry.key, known);
  ctx.sink.error(
    'E_UNKNOWN_KEY',
    ctx.position(entry.keyNode),
    keyPath,
    `unknown key "${entry.key}"`,
    hint ??
      (guess !== undefined
        ? `did you mean "${guess}"?`
        : `expected one of: ${known.join(', ')} (or an x- key)`),
  );
}

interface KeyRule {
  readonly pattern: RegExp;
  readonly code: DiagnosticCode;
  readonly message: (key: string) => string;
  readonly hint: string;
}

/** A mapping from user-chosen names to values (processes, env, depends_on), with null prototype. */
export class MapSchema<V> extends Schema<Readonly<Record<string, V>>> {
  constructor(
    private readonly value: Schema<V>,
    private readonly keyRule: KeyRule,
    private readonly name: string,
    /** Return the valid entries even when others are invalid; the invalid ones are marked in the context. */
    private readonly partial = false,
    /** Shown when something else is written: `{ db: ready, cache: started }`. */
    private readonly example?: string,
  ) {
    super();
  }
  expected(): string {
    return this.name;
  }
  json(): JsonSchema {
    return this.withDescription({
      type: 'object',
      propertyNames: { anyOf: [{ pattern: this.keyRule.pattern.source }, { pattern: '^x-' }] },
      additionalProperties: this.value.json(),
    });
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<Readonly<Record<string, V>>> {
    if (node !== null && isScalar(node) && node.value === null) node = null;
    if (node !== null && !isMap(node)) {
      return typeError(
        ctx,
        node,
        path,
        this.expected(),
        this.example === undefined ? undefined : `for example ${this.example}`,
      );
    }
    const out = nullRecord<V>();
    let ok = true;
    for (const entry of node === null ? [] : entriesOf(node, path, ctx)) {
      const keyPath = childPath(path, entry.key);
      if (!this.keyRule.pattern.test(entry.key)) {
        ok = false;
        ctx.markInvalid(path);
        ctx.sink.error(
          this.keyRule.code,
          ctx.position(entry.keyNode),
          keyPath,
          this.keyRule.message(entry.key),
          this.keyRule.hint,
        );
        continue;
      }
      ctx.record(keyPath, ctx.position(entry.keyNode));
      const v = this.value.check(entry.value, keyPath, ctx);
      if (v === INVALID) {
        ok = false;
        ctx.markInvalid(keyPath);
      } else out[entry.key] = v;
    }
    return ok || this.partial ? out : INVALID;
  }
}

/** One of several shapes, chosen by the YAML node's kind (a string or a list, say). */
export class UnionSchema<T> extends Schema<T> {
  constructor(
    private readonly name: string,
    private readonly branches: readonly {
      readonly when: 'string' | 'list' | 'mapping';
      readonly schema: Schema<T>;
    }[],
  ) {
    super();
  }
  expected(): string {
    return this.name;
  }
  json(): JsonSchema {
    return this.withDescription({ anyOf: this.branches.map((b) => b.schema.json()) });
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<T> {
    const kind = isSeq(node)
      ? 'list'
      : isMap(node)
        ? 'mapping'
        : isScalar(node) && typeof node.value === 'string'
          ? 'string'
          : null;
    const branch = this.branches.find((b) => b.when === kind);
    if (branch === undefined) return typeError(ctx, node, path, this.name);
    return branch.schema.check(node, path, ctx);
  }
}

// ---------------------------------------------------------------- builders

export const req = <S extends Schema<unknown>>(schema: S): FieldDef<S, true> => ({ schema, required: true });
export const opt = <S extends Schema<unknown>>(schema: S): FieldDef<S, false> => ({
  schema,
  required: false,
});
