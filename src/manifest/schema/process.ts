import {
  bool,
  command,
  duration,
  envNameRule,
  int,
  nonEmptyText,
  num,
  oneOf,
  processNameRule,
  size,
} from './common.js';
import {
  ArraySchema,
  MapSchema,
  ObjectSchema,
  opt,
  ScalarTextSchema,
  UnionSchema,
  type Infer,
} from './dsl.js';
import { livenessProbe, readyProbe } from './probe.js';
import { stopSteps } from './stop-step.js';

export const rotation = () =>
  new ObjectSchema({
    size: opt(size().describe('Rotate when the file reaches this size (default 10MB; 0 for no size limit).')),
    every: opt(oneOf('never', 'hourly', 'daily').describe('Also rotate on this schedule (default never).')),
    keep: opt(int(0).describe('How many rotated files to keep (default 10).')),
    max_age: opt(duration().describe('Delete rotated files older than this (default: keep by count only).')),
    compress: opt(bool().describe('gzip rotated files (default false).')),
  }).describe('When log files are rotated and how many are kept.');

export const restart = () =>
  new ObjectSchema(
    {
      policy: opt(
        oneOf('always', 'on-failure', 'never')
          .aliases({ no: 'never', 'unless-stopped': 'always', onfailure: 'on-failure' })
          .describe('When to restart after an exit (default on-failure).'),
      ),
      success_codes: opt(
        new ArraySchema(int(), { minItems: 1, name: 'a list of exit codes' }).describe(
          'Exit codes that mean success (default [0]).',
        ),
      ),
      delay: opt(duration().describe('Wait before the first restart (default 1s).')),
      backoff: opt(num(1).describe('Each further restart waits this many times longer (default 2).')),
      max_delay: opt(duration().describe('The longest wait between restarts (default 60s).')),
      jitter: opt(
        num(0, 1).describe('Random spread added to each delay, as a fraction of it (default 0.1).'),
      ),
      reset_after: opt(
        duration().describe('Uptime after which delays and attempts start afresh (default 30s).'),
      ),
      limit: opt(
        new ObjectSchema({
          restarts: opt(int(0).describe('Restarts allowed within the window (default 5).')),
          window: opt(duration().describe('The sliding window (default 60s).')),
        }).describe('At most this many restarts within this window; then on_limit applies.'),
      ),
      on_limit: opt(
        oneOf('cool-down', 'give-up', 'stop-service').describe(
          'What happens at the limit: wait cool_down and try again, stay failed, or stop the whole service (default cool-down).',
        ),
      ),
      cool_down: opt(
        duration().describe('How long to wait at the limit with on_limit: cool-down (default 5m).'),
      ),
    },
    { scalarHint: restartWordHint },
  ).describe('The restart policy.');

/** `restart: never` (as docker compose writes it) → `restart: { policy: never }`. */
const RESTART_WORDS = new Map([
  ['always', 'always'],
  ['on-failure', 'on-failure'],
  ['never', 'never'],
  ['no', 'never'],
  ['unless-stopped', 'always'],
]);

function restartWordHint(word: string): string | undefined {
  const policy = RESTART_WORDS.get(word);
  return policy === undefined ? undefined : `restart takes a mapping: restart: { policy: ${policy} }`;
}

const envFile = () =>
  new UnionSchema<string | readonly string[]>('a path or a list of paths', [
    { when: 'string', schema: nonEmptyText() },
    {
      when: 'list',
      schema: new ArraySchema(nonEmptyText(), { name: 'a list of paths' }),
    },
  ]);

export const processSchema = () =>
  new ObjectSchema(
    {
      command: opt(
        command().describe(
          'The program and its arguments: a list, or a string split on spaces (quotes group; no shell unless shell: true).',
        ),
      ),
      shell: opt(bool().describe('Run command through the shell (sh -c / cmd.exe /d /s /c). Default false.')),
      cwd: opt(nonEmptyText().describe("Working directory (default: the manifest's folder).")),
      env: opt(
        new MapSchema(
          new ScalarTextSchema(),
          envNameRule,
          'a mapping of variable names to values',
          false,
          'env: { PORT: 8080 }',
        ).describe(
          "Variables added to the supervisor's environment; ${VAR} expands from corral's environment.",
        ),
      ),
      env_file: opt(envFile().describe('KEY=VALUE files read at each start; env wins over them.')),
      depends_on: opt(
        new MapSchema(
          oneOf('started', 'ready', 'completed').aliases({
            healthy: 'ready',
            service_healthy: 'ready',
            service_started: 'started',
            service_completed_successfully: 'completed',
          }),
          processNameRule,
          'a mapping of process names to started, ready or completed',
          false,
          'depends_on: { db: ready, cache: started }',
        ).describe('Processes this one waits for, each with the condition to wait for.'),
      ),
      ready: opt(readyProbe()),
      liveness: opt(livenessProbe()),
      stop: opt(stopSteps()),
      restart: opt(restart()),
      critical: opt(
        bool().describe('If this process gives up, the whole service stops and reports failure.'),
      ),
      pause: opt(
        oneOf('suspend', 'ignore').describe(
          'On a Windows service PAUSE: suspend the process tree, or leave it (default ignore).',
        ),
      ),
      disabled: opt(bool().describe('Keep the process in the manifest but do not start it.')),
      log: opt(
        new ObjectSchema({
          streams: opt(
            oneOf('combined', 'separate').describe('One file for stdout and stderr, or one each.'),
          ),
          timestamps: opt(bool().describe('Prefix each captured line with a timestamp.')),
          rotation: opt(rotation()),
        }).describe("How this process's output is captured (overrides log.*)."),
      ),
    },
    { name: 'a process: a mapping with at least command', partial: true },
  );

export type ProcessInput = Infer<ReturnType<typeof processSchema>>;
export type RestartInput = Infer<ReturnType<typeof restart>>;
export type RotationInput = Infer<ReturnType<typeof rotation>>;
export { duration, size };
