import type { StopStep } from '../spec.js';
import { splitCommandLine } from '../command-line.js';
import { parseSignal } from './signals.js';
import {
  bool,
  command,
  duration,
  envNameRule,
  httpUrl,
  HTTP_METHODS,
  oneOf,
  byteText,
  type CommandInput,
} from './common.js';
import {
  ArraySchema,
  MapSchema,
  ObjectSchema,
  opt,
  ParsedSchema,
  req,
  StringSchema,
  UnionSchema,
  nullRecord,
  INVALID,
  Schema,
  type Checked,
  type JsonSchema,
} from './dsl.js';
import type { Node } from 'yaml';
import type { CheckContext } from './context.js';
import { VariantSchema, type Variant } from './variant.js';

const timeoutHint = (step: string) => (key: string) =>
  key === 'timeout' ? `the timeout is the step's value: { ${step}: 10s }` : undefined;

/** `graceful`, `ctrl_c`, `ctrl_break`, `wm_close`: the value is the step's timeout. */
function timedStep(
  kind: 'graceful' | 'ctrl_c' | 'ctrl_break' | 'wm_close',
  description: string,
  windowsOnly: boolean,
): Variant<StopStep> {
  return {
    key: kind,
    value: duration().describe(description),
    options: {},
    ...(windowsOnly
      ? {
          platforms: ['windows'] as const,
          platformHint: 'on Linux use { graceful: 10s } or { signal: SIGINT, timeout: 10s }',
        }
      : {}),
    unknownKeyHint: timeoutHint(kind),
    build: (timeout) => ({ kind, timeout: timeout as number }),
  };
}

const headers = () =>
  new MapSchema(new StringSchema(), envNameRule, 'a mapping of header names to values').describe(
    'Request headers.',
  );

/** `http: URL` or `http: { url, method, headers, body }` for a stop request (default method POST). */
const stopHttp = () =>
  new UnionSchema<HttpRequest>('a URL or { url, method }', [
    { when: 'string', schema: httpUrl() },
    {
      when: 'mapping',
      schema: new ObjectSchema({
        url: req(httpUrl()),
        method: opt(oneOf(...HTTP_METHODS)),
        headers: opt(headers()),
        body: opt(byteText()),
      }),
    },
  ]);

type HttpRequest =
  string | { url: string; method?: string; headers?: Readonly<Record<string, string>>; body?: string };

const stdinArgument = () =>
  new UnionSchema<StdinInput>('text to write, or { text, close }', [
    { when: 'string', schema: byteText() },
    { when: 'mapping', schema: new StdinObject() },
  ]);

type StdinInput = string | { text?: string; close?: boolean };

/** `{ text, close }`: at least one of them, or the step would do nothing. */
class StdinObject extends Schema<StdinInput> {
  readonly #object = new ObjectSchema({ text: opt(byteText()), close: opt(bool()) });
  expected(): string {
    return 'a mapping with text and/or close';
  }
  json(): JsonSchema {
    return { ...this.#object.json(), minProperties: 1 };
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<StdinInput> {
    const value = this.#object.check(node, path, ctx);
    if (value !== INVALID && value.text === undefined && value.close !== true) {
      ctx.sink.error(
        'E_STOP_STEP',
        ctx.position(node),
        path,
        'this stdin step neither writes text nor closes stdin',
        'write { text: "quit" } or { close: true }',
      );
      return INVALID;
    }
    return value;
  }
}

const timeout = () => req(duration().describe('How long to wait for the process to exit after this step.'));

/** Splits a stop command. The schema has already refused an empty one; a bad quote is reported by resolve. */
export function commandArgs(input: CommandInput, shell: boolean): readonly string[] {
  if (typeof input !== 'string') return input;
  if (shell) return [input];
  const split = splitCommandLine(input);
  return split.ok ? split.value : [input];
}

export const stopStep = (): VariantSchema<StopStep> =>
  new VariantSchema<StopStep>(
    'a stop step',
    'E_STOP_STEP',
    [
      timedStep('graceful', 'SIGTERM on Linux, Ctrl+C on Windows; then wait this long.', false),
      {
        key: 'signal',
        value: new ParsedSchema('a signal name like SIGTERM', 'E_SIGNAL', parseSignal, {
          type: 'string',
        }).describe('A POSIX signal sent to the process group (Linux only).'),
        options: { timeout: timeout() },
        platforms: ['linux'],
        platformHint:
          'on Windows use { graceful: 10s }, { ctrl_c: 10s }, { ctrl_break: 10s } or { wm_close: 10s }',
        build: (signal, o) => ({ kind: 'signal', signal: signal as string, timeout: o['timeout'] as number }),
      },
      timedStep('ctrl_c', "Ctrl+C to the process's own console (Windows only).", true),
      timedStep('ctrl_break', "Ctrl+Break to the process's group (Windows only).", true),
      timedStep('wm_close', "WM_CLOSE to the process's top-level windows (Windows only).", true),
      {
        key: 'command',
        value: command().describe('A command that asks the process to stop.'),
        options: { timeout: timeout(), shell: opt(bool()) },
        build: (cmd, o) => {
          const shell = o['shell'] === true;
          return {
            kind: 'command',
            command: commandArgs(cmd as CommandInput, shell),
            shell,
            timeout: o['timeout'] as number,
          };
        },
      },
      {
        key: 'http',
        value: stopHttp().describe('An HTTP request that asks the process to stop (default method POST).'),
        options: { timeout: timeout() },
        build: (value, o) => {
          const r = value as HttpRequest;
          const request = typeof r === 'string' ? { url: r } : r;
          return {
            kind: 'http',
            url: request.url,
            method: request.method ?? 'POST',
            headers: request.headers ?? nullRecord(),
            body: request.body ?? null,
            timeout: o['timeout'] as number,
          };
        },
      },
      {
        key: 'stdin',
        value: stdinArgument().describe(
          "Text to write to the process's stdin, or { close: true } to close it.",
        ),
        options: { timeout: timeout() },
        build: (value, o) => {
          const s = value as StdinInput;
          return typeof s === 'string'
            ? { kind: 'stdin', text: s, close: false, timeout: o['timeout'] as number }
            : {
                kind: 'stdin',
                text: s.text ?? null,
                close: s.close ?? false,
                timeout: o['timeout'] as number,
              };
        },
      },
    ],
    [{ word: 'kill', value: { kind: 'kill' } }],
    (word) =>
      ['graceful', 'ctrl_c', 'ctrl_break', 'wm_close'].includes(word)
        ? `${word} needs a timeout: { ${word}: 10s }`
        : `${word} needs an argument and a timeout: { ${word}: ..., timeout: 10s }`,
  ).describe(
    'One stop step. Steps run in order; the next runs only if the process is still alive after the timeout.',
  );

export const stopSteps = (): ArraySchema<StopStep> =>
  new ArraySchema(stopStep(), { minItems: 1, name: 'a list of stop steps' }).describe(
    'How the process is stopped: steps in order, each with a timeout, ending with kill.',
  );
