// The command line: argv → command → exit code. The only layer that knows about exit codes;
// bin/corral.js sets process.exitCode from what main returns.
//
// Each command's module is loaded only when that command runs: `corral run` stays a small keeper
// process, and a one-shot command does not pay for the supervisor's code.
import { createRequire } from 'node:module';
import { CorralError } from '../errors.js';
import { EXIT, processIo, type Io } from './io.js';

const usage = `usage: corral <command> [options]

commands:
  validate [<manifest>]   check a manifest; --json, --platform windows|linux, --plan
  run [<manifest>]        run the supervisor in the foreground (Linux; Ctrl+C stops in order)
  install [<manifest>]    register the manifest as a Windows service (or update it); --name
  uninstall [<manifest>]  stop and remove the Windows service; --name
  status                  what the running supervisor is doing; --json
  start <name>...         start processes (and what they need first)
  stop <name>...          stop processes; --with-dependents to stop what runs on top of them
  restart <name>...       restart processes in order; --all for every process
  reload                  re-read the manifest and apply what changed; --dry-run
  logs <name>             print a process's output; -n N, -f, --stream stdout|stderr, --supervisor
  diff <old> <new>        what a reload from one manifest to the other would do
  schema                  print the manifest's JSON Schema (draft-07)
  help [<command>]        show help
  version                 print corral's version

Every command that reads a manifest takes -c/--config <file> (default ./corral.yaml).
`;

type Command = (args: string[], io: Io) => Promise<number>;

const commands: Readonly<Record<string, Command>> = {
  validate: async (args, io) => (await import('./validate.js')).validateCommand(args, io),
  diff: async (args, io) => (await import('./diff.js')).diffCommand(args, io),
  run: async (args, io) => (await import('./run.js')).runCommand(args, io),
  status: async (args, io) => (await import('./control.js')).statusCommand(args, io),
  start: async (args, io) => (await import('./control.js')).startCommand(args, io),
  stop: async (args, io) => (await import('./control.js')).stopCommand(args, io),
  restart: async (args, io) => (await import('./control.js')).restartCommand(args, io),
  reload: async (args, io) => (await import('./control.js')).reloadCommand(args, io),
  logs: async (args, io) => (await import('./logs.js')).logsCommand(args, io),
  install: async (args, io) => (await import('./install.js')).installCommand(args, io),
  uninstall: async (args, io) => (await import('./install.js')).uninstallCommand(args, io),
  // Hidden (not in the usage above): the entry the Windows service manager starts (install writes it).
  service: async (args, io) => (await import('./service.js')).serviceCommand(args, io),
  // Hidden (not in the usage above): the supervisor process that `run` starts and watches on Linux.
  supervise: async (args, io) => (await import('./supervise.js')).superviseCommand(args, io),
  schema: async (_args, io) => {
    io.stdout((await import('../manifest/schema/emit.js')).renderJsonSchema());
    return EXIT.ok;
  },
  version: (_args, io) => {
    io.stdout(`${version()}\n`);
    return Promise.resolve(EXIT.ok);
  },
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && topic in commands) return run(commands[topic] as Command, ['--help'], io);
    io.stdout(usage);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') return run(commands['version'] as Command, [], io);
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    io.stderr(`corral: unknown command "${name}"\n\n${usage}`);
    return EXIT.usage;
  }
  return run(command, rest, io);
}

async function run(command: Command, args: string[], io: Io): Promise<number> {
  try {
    return await command(args, io);
  } catch (error) {
    if (error instanceof CorralError) {
      io.stderr(`corral: ${error.message}\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`);
      return EXIT.usage;
    }
    if (isParseArgsError(error)) {
      io.stderr(`corral: ${(error as Error).message}\nhint: corral help\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return `corral ${pkg.version}`;
}
