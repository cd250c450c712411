import type { FailureAction } from '../spec.js';
import { bool, duration, nonEmptyText, oneOf, SERVICE_NAME, text } from './common.js';
import { ArraySchema, ObjectSchema, opt, req, StringSchema, UnionSchema, type Infer } from './dsl.js';
import { VariantSchema, type Variant } from './variant.js';

const delayed = (kind: 'restart' | 'reboot' | 'run', description: string): Variant<FailureAction> => ({
  key: kind,
  value: duration().describe(description),
  options: {},
  build: (delay) => ({ kind, delay: delay as number }),
});

const failureAction = () =>
  new VariantSchema<FailureAction>(
    'a failure action',
    'E_FAILURE_ACTION',
    [
      delayed('restart', 'Restart the service after this delay.'),
      delayed('reboot', 'Reboot the computer after this delay.'),
      delayed('run', 'Run failure_actions.command after this delay.'),
    ],
    [{ word: 'none', value: { kind: 'none' } }],
    (word) => `${word} needs a delay: { ${word}: 1m }`,
  );

export type AccountInput = string | { user: string; password?: string };

const account = () =>
  new UnionSchema<AccountInput>(
    'LocalSystem, LocalService, NetworkService, a user name, or { user, password }',
    [
      { when: 'string', schema: nonEmptyText() },
      {
        when: 'mapping',
        schema: new ObjectSchema({
          user: req(nonEmptyText().describe('DOMAIN\\user, .\\user or NT SERVICE\\name')),
          password: opt(text().describe('Write ${VAR} to take it from the environment at install time.')),
        }),
      },
    ],
  );

export const serviceSchema = () =>
  new ObjectSchema(
    {
      name: req(
        new StringSchema({
          rule: {
            test: (v) => SERVICE_NAME.test(v),
            code: 'E_NAME',
            message: (v) => `"${v}" is not a valid service name`,
            hint: 'a service name has letters, digits, _, . and - (at most 80 characters), and starts with a letter or digit',
            jsonPattern: SERVICE_NAME.source,
          },
        }).describe('The Windows service name / systemd unit name; it also names the control channel.'),
      ),
      display_name: opt(text().describe('Shown in services.msc (default: name).')),
      description: opt(text().describe('Shown in services.msc.')),
      start_type: opt(
        oneOf('auto', 'delayed-auto', 'manual', 'disabled').describe(
          'How the service starts at boot (default auto).',
        ),
      ),
      account: opt(account().describe('The account the service runs as (default LocalSystem).')),
      stop_timeout: opt(
        duration().describe('Hard cap for stopping everything; what is left is killed (default 60s).'),
      ),
      auto_reload: opt(
        bool().describe(
          'Apply edits to the manifest and its env_files as soon as they are saved (default true); when false, only SIGHUP, PARAMCHANGE or corral reload do.',
        ),
      ),
      preshutdown_timeout: opt(
        duration().describe('Windows: accept PRESHUTDOWN and stop within this budget at system shutdown.'),
      ),
      failure_actions: opt(
        new ObjectSchema({
          reset_after: opt(
            duration().describe('Reset the failure count after this long without failures (default 1d).'),
          ),
          command: opt(nonEmptyText().describe('The command line run by a run action.')),
          reboot_message: opt(text().describe('The message broadcast before a reboot action.')),
          actions: opt(
            new ArraySchema(failureAction(), { name: 'a list of failure actions' }).describe(
              'What the SCM does after the 1st, 2nd, 3rd... failure; the last repeats (default: restart after 10s, after 1m, then none).',
            ),
          ),
        }).describe('Windows service recovery actions, used when the service stops with an error.'),
      ),
    },
    { name: 'a mapping like { name: my-service }' },
  ).describe('The service corral runs as.');

export type ServiceInput = Infer<ReturnType<typeof serviceSchema>>;
