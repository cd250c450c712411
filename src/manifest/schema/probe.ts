import type { LivenessProbe, ProbeCheck, ReadyProbe } from '../spec.js';
import { parseTcpAddress, type TcpAddress } from './address.js';
import {
  bool,
  command,
  duration,
  envNameRule,
  httpUrl,
  HTTP_METHODS,
  int,
  oneOf,
  RegexSchema,
  type CommandInput,
} from './common.js';
import {
  MapSchema,
  ObjectSchema,
  opt,
  ParsedSchema,
  StringSchema,
  UnionSchema,
  type Fields,
  nullRecord,
} from './dsl.js';
import { commandArgs } from './stop-step.js';
import { VariantSchema, type Variant } from './variant.js';

type HttpProbe = string | { url: string; method?: string; headers?: Readonly<Record<string, string>> };

const httpProbe = () =>
  new UnionSchema<HttpProbe>('a URL or { url, method, headers }', [
    { when: 'string', schema: httpUrl() },
    {
      when: 'mapping',
      schema: new ObjectSchema({
        url: { schema: httpUrl(), required: true },
        method: opt(oneOf(...HTTP_METHODS)),
        headers: opt(new MapSchema(new StringSchema(), envNameRule, 'a mapping of header names to values')),
      }),
    },
  ]);

/** The four checks a probe can make, each with the options the probe kind allows. */
function checks<P>(
  options: Fields,
  unknownKeyHint: (key: string) => string | undefined,
  build: (check: ProbeCheck, o: Readonly<Record<string, unknown>>) => P,
): Variant<P>[] {
  return [
    {
      key: 'tcp',
      value: new ParsedSchema<TcpAddress>('an address like "127.0.0.1:5432"', 'E_ADDRESS', parseTcpAddress, {
        anyOf: [{ type: 'string' }, { type: 'integer', minimum: 1, maximum: 65535 }],
      }).describe('Passes when a TCP connection to host:port succeeds.'),
      options,
      unknownKeyHint,
      build: (a, o) => build({ kind: 'tcp', ...(a as TcpAddress) }, o),
    },
    {
      key: 'http',
      value: httpProbe().describe('Passes when the URL answers with a 2xx status (default method GET).'),
      options,
      unknownKeyHint,
      build: (value, o) => {
        const r = value as HttpProbe;
        const request = typeof r === 'string' ? { url: r } : r;
        return build(
          {
            kind: 'http',
            url: request.url,
            method: request.method ?? 'GET',
            headers: request.headers ?? nullRecord(),
          },
          o,
        );
      },
    },
    {
      key: 'exec',
      value: command().describe('Passes when this command exits with code 0.'),
      options: { ...options, shell: opt(bool()) },
      unknownKeyHint,
      build: (cmd, o) => {
        const shell = o['shell'] === true;
        return build({ kind: 'exec', command: commandArgs(cmd as CommandInput, shell), shell }, o);
      },
    },
    {
      key: 'log',
      value: new RegexSchema().describe(
        "Passes when a line of the process's stdout or stderr matches this regular expression.",
      ),
      options,
      unknownKeyHint,
      build: (pattern, o) => build({ kind: 'log', pattern: pattern as string }, o),
    },
  ];
}

export const READY_DEFAULTS = { timeout: 60_000, interval: 500, initial_delay: 0 } as const;
export const LIVENESS_DEFAULTS = { every: 10_000, failures: 3, timeout: 5_000, initial_delay: 0 } as const;

export const readyProbe = (): VariantSchema<ReadyProbe> =>
  new VariantSchema<ReadyProbe>(
    'a probe (tcp, http, exec or log)',
    'E_PROBE',
    checks(
      {
        timeout: opt(
          duration().describe('How long to wait for the probe to pass (default 60s); then the start failed.'),
        ),
        interval: opt(duration().describe('Time between attempts (default 500ms).')),
        initial_delay: opt(
          duration().describe('Wait this long after the spawn before the first attempt (default 0).'),
        ),
      },
      (key) =>
        key === 'every' ? 'a ready probe retries after each interval: write interval: 1s' : undefined,
      (check, o) => ({
        check,
        timeout: (o['timeout'] as number | undefined) ?? READY_DEFAULTS.timeout,
        interval: (o['interval'] as number | undefined) ?? READY_DEFAULTS.interval,
        initial_delay: (o['initial_delay'] as number | undefined) ?? READY_DEFAULTS.initial_delay,
      }),
    ),
  ).describe('When the process counts as ready, for dependents that wait with `ready`.');

export const livenessProbe = (): VariantSchema<LivenessProbe> =>
  new VariantSchema<LivenessProbe>(
    'a probe (tcp, http, exec or log)',
    'E_PROBE',
    checks(
      {
        every: opt(
          duration().describe(
            'Time between checks (default 10s). For log: a matching line must appear this often.',
          ),
        ),
        failures: opt(int(1).describe('Consecutive failed checks that restart the process (default 3).')),
        timeout: opt(duration().describe('How long one check may take (default 5s).')),
        initial_delay: opt(
          duration().describe(
            'Wait this long after the process is ready before the first check (default 0).',
          ),
        ),
      },
      (key) => (key === 'interval' ? 'liveness checks run at every: write every: 10s' : undefined),
      (check, o) => ({
        check,
        every: (o['every'] as number | undefined) ?? LIVENESS_DEFAULTS.every,
        failures: (o['failures'] as number | undefined) ?? LIVENESS_DEFAULTS.failures,
        timeout: (o['timeout'] as number | undefined) ?? LIVENESS_DEFAULTS.timeout,
        initial_delay: (o['initial_delay'] as number | undefined) ?? LIVENESS_DEFAULTS.initial_delay,
      }),
    ),
  ).describe('A check that runs while the process runs; repeated failures restart it.');
