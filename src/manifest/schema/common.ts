// Schema pieces shared across the manifest: names, durations, sizes, commands, URLs.
import { isScalar, type Node } from 'yaml';
import { DURATION_PATTERN, parseDuration } from '../duration.js';
import { parseSize, SIZE_PATTERN } from '../size.js';
import type { CheckContext } from './context.js';
import {
  ArraySchema,
  BooleanSchema,
  EnumSchema,
  INVALID,
  NumberSchema,
  ParsedSchema,
  Schema,
  StringSchema,
  UnionSchema,
  type Checked,
  type JsonSchema,
} from './dsl.js';

export const PROCESS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
export const processNameRule = {
  pattern: PROCESS_NAME,
  code: 'E_NAME',
  message: (name: string) => `"${name}" is not a valid process name`,
  hint: 'a process name starts with a letter and has letters, digits, _ and - (at most 63 characters)',
} as const;

export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

export const ENV_NAME = /^[^=\0]+$/;
export const envNameRule = {
  pattern: ENV_NAME,
  code: 'E_NAME',
  message: (name: string) => `"${name}" is not a valid environment variable name`,
  hint: 'a variable name may not contain = or a NUL character',
} as const;

export const duration = (): ParsedSchema<number> =>
  new ParsedSchema('a duration like "10s"', 'E_DURATION', parseDuration, {
    anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { const: 0 }],
  });

export const size = (): ParsedSchema<number> =>
  new ParsedSchema('a size like "10MB"', 'E_SIZE', parseSize, {
    anyOf: [
      { type: 'string', pattern: SIZE_PATTERN },
      { type: 'integer', minimum: 0 },
    ],
  });

export const text = (): StringSchema => new StringSchema();
/** Text sent as bytes (written to stdin, a request body): a NUL in it is the user's business. */
export const byteText = (): StringSchema => new StringSchema({ allowNul: true });
export const nonEmptyText = (): StringSchema => new StringSchema({ minLength: 1 });
export const bool = (): BooleanSchema => new BooleanSchema();
export const int = (min?: number, max?: number): NumberSchema =>
  new NumberSchema({
    integer: true,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
  });
export const num = (min: number, max?: number): NumberSchema =>
  new NumberSchema({ integer: false, min, ...(max === undefined ? {} : { max }) });
export const oneOf = <const V extends string>(...values: V[]): EnumSchema<V> => new EnumSchema(values);

/** A command as written: a list of arguments, or one string to be split (or given to the shell). */
export type CommandInput = string | readonly string[];

export const command = (): UnionSchema<CommandInput> =>
  new UnionSchema<CommandInput>('a command: a list like ["exe", "arg"] or a string', [
    { when: 'string', schema: new StringSchema({ minLength: 1 }) },
    {
      when: 'list',
      schema: new ArraySchema(new StringSchema(), {
        minItems: 1,
        name: 'a list of strings',
      }),
    },
  ]);

export const httpUrl = (): StringSchema =>
  new StringSchema({
    name: 'an http:// or https:// URL',
    rule: {
      test: isHttpUrl,
      code: 'E_URL',
      message: (value) => `expected an http:// or https:// URL, got "${value}"`,
      hint: 'for example http://127.0.0.1:8080/health',
      jsonPattern: '^https?://',
    },
  });

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** `${VAR}`-free access to a scalar string, for bespoke schemas. */
export function isStringScalar(node: Node | null): boolean {
  return isScalar(node) && typeof node.value === 'string';
}

/** A regular expression, checked to compile. Kept as its source text. */
export class RegexSchema extends Schema<string> {
  expected(): string {
    return 'a regular expression';
  }
  json(): JsonSchema {
    return this.withDescription({ type: 'string', minLength: 1 });
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<string> {
    const value = new StringSchema({ minLength: 1, allowNul: true }).check(node, path, ctx);
    if (value === INVALID) return INVALID;
    try {
      new RegExp(value);
      return value;
    } catch (error) {
      ctx.sink.error(
        'E_REGEX',
        ctx.position(node),
        path,
        `the regular expression ${JSON.stringify(value)} does not compile: ${(error as Error).message.split(': ').at(-1) ?? ''}`,
        'this is a JavaScript regular expression; in YAML, quote it with single quotes so backslashes stay as written',
      );
      return INVALID;
    }
  }
}
