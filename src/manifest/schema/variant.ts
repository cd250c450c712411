// A mapping that names exactly one kind by its key (`{ graceful: 10s }`, `{ tcp: "host:port", timeout: 60s }`)
// plus options that depend on the kind; optionally also a bare word (`kill`, `none`). Stop steps,
// probes and failure actions are variants.
import { isMap, isScalar, type Node } from 'yaml';
import type { DiagnosticCode } from '../codes.js';
import type { Platform } from '../spec.js';
import { closest } from '../suggest.js';
import type { CheckContext } from './context.js';
import {
  checkFields,
  childPath,
  entriesOf,
  INVALID,
  Schema,
  typeError,
  type Checked,
  type Entry,
  type Fields,
  type JsonSchema,
} from './dsl.js';

export interface Variant<T> {
  /** The key that names this kind. */
  readonly key: string;
  readonly value: Schema<unknown>;
  /** Other keys this kind takes. */
  readonly options: Fields;
  readonly platforms?: readonly Platform[];
  /** Said when the kind is used on a platform it is not for. */
  readonly platformHint?: string;
  /** Said when an unknown key is used with this kind. */
  readonly unknownKeyHint?: (key: string) => string | undefined;
  readonly build: (value: unknown, options: Readonly<Record<string, unknown>>) => T;
}

export interface BareWord<T> {
  readonly word: string;
  readonly value: T;
}

export class VariantSchema<T> extends Schema<T> {
  constructor(
    private readonly name: string,
    private readonly code: DiagnosticCode,
    private readonly variants: readonly Variant<T>[],
    private readonly bare: readonly BareWord<T>[] = [],
    /** Said when a variant key is written as a bare word (`graceful` without its timeout). */
    private readonly bareHint: (word: string) => string | undefined = () => undefined,
  ) {
    super();
  }

  expected(): string {
    return this.name;
  }

  json(): JsonSchema {
    const shapes: JsonSchema[] = this.variants.map((v) => {
      const properties: Record<string, JsonSchema> = { [v.key]: v.value.json() };
      const required = [v.key];
      for (const [key, field] of Object.entries(v.options)) {
        properties[key] = field.schema.json();
        if (field.required) required.push(key);
      }
      return {
        type: 'object',
        properties,
        patternProperties: { '^x-': {} },
        required,
        additionalProperties: false,
      };
    });
    const words = this.bare.map((b) => b.word);
    if (words.length > 0) shapes.unshift({ type: 'string', enum: words });
    return this.withDescription({ anyOf: shapes });
  }

  check(node: Node | null, path: string, ctx: CheckContext): Checked<T> {
    if (isScalar(node) && typeof node.value === 'string') return this.checkWord(node, node.value, path, ctx);
    if (!isMap(node)) return typeError(ctx, node, path, this.name);
    const entries = entriesOf(node, path, ctx);
    const named = entries.filter((e) => this.variants.some((v) => v.key === e.key));
    const kinds = this.variants.map((v) => v.key);
    if (named.length === 0) {
      const keys = entries.map((e) => e.key);
      const bareKey = keys.find((k) => this.bare.some((b) => b.word === k));
      const guess = keys.map((k) => closest(k, kinds)).find((g) => g !== undefined);
      ctx.sink.error(
        this.code,
        ctx.position(node),
        path,
        `expected ${this.name}, got a mapping with ${keys.length === 0 ? 'no keys' : keys.map((k) => `"${k}"`).join(', ')}`,
        bareKey !== undefined
          ? `${bareKey} takes nothing: write it as the bare word ${bareKey}`
          : guess === undefined
            ? `name one of: ${kinds.join(', ')}`
            : `did you mean ${guess}?`,
      );
      return INVALID;
    }
    if (named.length > 1) {
      const second = named[1] as Entry;
      ctx.sink.error(
        this.code,
        ctx.position(second.keyNode),
        path,
        `${this.name} names one kind, found ${named.map((e) => e.key).join(' and ')}`,
        'write each as its own item',
      );
      return INVALID;
    }
    const head = named[0] as Entry;
    const variant = this.variants.find((v) => v.key === head.key) as Variant<T>;
    if (variant.platforms !== undefined && !variant.platforms.includes(ctx.platform)) {
      ctx.sink.error(
        'E_PLATFORM',
        ctx.position(head.keyNode),
        childPath(path, head.key),
        `${head.key} is not available on ${ctx.platform}`,
        variant.platformHint,
      );
      return INVALID;
    }
    let ok = true;
    const headPath = childPath(path, head.key);
    ctx.record(headPath, ctx.position(head.keyNode));
    const value = variant.value.check(head.value, headPath, ctx);
    if (value === INVALID) ok = false;
    const rest = checkFields(
      entries.filter((e) => e !== head),
      variant.options,
      node,
      path,
      ctx,
      {
        known: [variant.key, ...Object.keys(variant.options)],
        ...(variant.unknownKeyHint === undefined ? {} : { unknownKeyHint: variant.unknownKeyHint }),
        missing: (key) => `${variant.key} needs "${key}"`,
      },
    );
    if (!rest.ok) ok = false;
    const options = rest.values;
    return ok ? variant.build(value, options) : INVALID;
  }

  private checkWord(node: Node, word: string, path: string, ctx: CheckContext): Checked<T> {
    const bare = this.bare.find((b) => b.word === word);
    if (bare !== undefined) return bare.value;
    const variant = this.variants.find((v) => v.key === word);
    const guess = closest(word, [...this.bare.map((b) => b.word), ...this.variants.map((v) => v.key)]);
    const hint =
      variant !== undefined
        ? this.bareHint(word)
        : guess !== undefined
          ? `did you mean ${guess}?`
          : undefined;
    ctx.sink.error(
      this.code,
      ctx.position(node),
      path,
      `expected ${this.name}, got "${word}"`,
      hint ??
        `write one of: ${[...this.bare.map((b) => b.word), ...this.variants.map((v) => `{ ${v.key}: ... }`)].join(', ')}`,
    );
    return INVALID;
  }
}

export type { Entry };
