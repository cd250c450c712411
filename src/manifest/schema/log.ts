import { bool, nonEmptyText, oneOf, size } from './common.js';
import { ObjectSchema, opt, type Infer } from './dsl.js';
import { rotation } from './process.js';

export const logSchema = () =>
  new ObjectSchema(
    {
      dir: opt(
        nonEmptyText().describe("Folder for the supervisor log and the processes' output (default ./logs)."),
      ),
      level: opt(oneOf('error', 'warn', 'info', 'debug').describe('Supervisor log level (default info).')),
      format: opt(
        oneOf('json', 'text').describe('Supervisor log format: JSON lines or text (default text).'),
      ),
      rotation: opt(rotation()),
      streams: opt(
        oneOf('combined', 'separate').describe(
          "Processes' stdout and stderr in one file, or one each (default combined).",
        ),
      ),
      timestamps: opt(bool().describe('Prefix each captured output line with a timestamp (default false).')),
      max_line: opt(size().describe('Output lines longer than this are split (default 1MB).')),
    },
    { name: 'a mapping like { dir: ./logs }' },
  ).describe('Where and how corral logs.');

export type LogInput = Infer<ReturnType<typeof logSchema>>;
