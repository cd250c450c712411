// The operator commands that talk to a running supervisor over the control channel (src/control/):
// status, start, stop, restart, reload. Each finds the supervisor from the manifest it runs (the
// socket is named after the manifest's real path and service name, socket-path.ts), sends one
// request and prints the answer. Exit status: 0 done, 1 the request failed (the message says why),
// 2 usage error or unreadable manifest, 3 no supervisor is running for the manifest.
//
// The manifest is loaded to learn the service name. When it is invalid (mid-edit, say), status,
// start, stop and restart still find the supervisor by the manifest's path and warn; reload does
// not, since the supervisor would refuse an invalid manifest anyway: it prints the diagnostics.
import { parseArgs } from 'node:util';
import { ControlRequestError, request } from '../control/client.js';
import {
  controlSocketPath,
  realManifestPath,
  runtimeContext,
  socketPathProblem,
  socketPattern,
  socketsForManifest,
} from '../control/socket-path.js';
import type { ActionReply, ActionRequestBody, ErrorReply } from '../control/protocol.js';
import { renderStatus, shouldColour, statusJson } from '../control/status-table.js';
import { MAX_DURATION_MS, parseDuration } from '../manifest/duration.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { hostPlatform, loadManifest } from '../manifest/load.js';
import { runtimeDirFor } from '../platform/posix/manifest-lock.js';
import { EXIT, processIo, type Io } from './io.js';
import { DEFAULT_MANIFEST, usageError } from './usage.js';

const exitStatus = `Exit status: 0 done, 1 the request failed, 2 usage error or unreadable manifest,
3 no supervisor is running for the manifest.`;

const commonOptions = `  -c, --config <file>   the manifest the supervisor runs (default ${DEFAULT_MANIFEST})
  --timeout <duration>  how long to wait for the answer`;

export const statusUsage = `usage: corral status [-c <manifest>] [--json] [--timeout <duration>]

Shows the state of the supervisor running the manifest and of each of its processes: state,
pid, uptime, restarts (in all / within the restart limit's window), last exit, readiness, and
when the next restart is due.
${commonOptions} (default 10s)
  --json                print the status as JSON
${exitStatus}
`;

export const startUsage = `usage: corral start [-c <manifest>] [--timeout <duration>] <process>...
       corral start [-c <manifest>] [--timeout <duration>]          (Windows: the service)

Starts processes that are stopped, exited or failed, after their dependencies, and clears a
stop by an operator (a held process). On Windows, without process names: starts the installed
service of the manifest and waits until it runs (or stopped), printing what the service manager
says.
${commonOptions} (default 2m)
${exitStatus}
`;

export const stopUsage = `usage: corral stop [-c <manifest>] [--with-dependents] [--timeout <duration>] <process>...
       corral stop [-c <manifest>] [--timeout <duration>]           (Windows: the service)

Stops processes with their stop steps; they stay stopped (held) until corral start. A process
others depend on is refused unless --with-dependents, which stops those first. On Windows,
without process names: stops the installed service (its ordered stop) and waits until it has
stopped, printing what the service manager says.
${commonOptions} (default 2m)
  --with-dependents     also stop the processes that depend on these, first
${exitStatus}
`;

export const restartUsage = `usage: corral restart [-c <manifest>] [--timeout <duration>] (<process>... | --all)

Stops and starts processes again, with their stop steps and ready probes.
${commonOptions} (default 2m)
  --all                 restart every process, in dependency order
${exitStatus}
`;

export const reloadUsage = `usage: corral reload [-c <manifest>] [--dry-run] [--timeout <duration>]

Makes the supervisor read its manifest again and apply the changes: processes added, removed
or changed are started, stopped or restarted; the others keep running.
${commonOptions} (default 2m)
  --dry-run             only print what a reload would do
${exitStatus}
`;

const STATUS_TIMEOUT_MS = 10_000;
const ACTION_TIMEOUT_MS = 120_000;

/** What `status` needs to know about where it prints, and the time; tests pass their own. */
export interface Terminal {
  readonly isTTY: boolean;
  readonly now: () => number;
}

function terminalOf(io: Io): Terminal {
  // isTTY is undefined when stdout is not a terminal, whatever its type says.
  const isTTY = (process.stdout.isTTY as boolean | undefined) === true;
  return { isTTY: io === processIo && isTTY, now: Date.now };
}

const common = {
  config: { type: 'string', short: 'c' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export async function statusCommand(args: string[], io: Io, terminal = terminalOf(io)): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...common, json: { type: 'boolean', default: false } },
  });
  if (values.help) return help(io, statusUsage);
  if (positionals.length > 0) {
    throw usageError(`corral status takes no process names, got ${positionals.join(' ')}`, statusUsage);
  }
  const timeoutMs = timeoutOption(values.timeout, STATUS_TIMEOUT_MS, statusUsage);
  const file = values.config ?? DEFAULT_MANIFEST;
  const reply = await contact(file, io, false, (socket) => request(socket, { op: 'status' }, { timeoutMs }));
  if (typeof reply === 'number') return reply;
  if (!reply.ok) return refused(reply, io);
  if (values.json) io.stdout(statusJson(reply.status));
  else {
    const colour = shouldColour(terminal.isTTY, io.env);
    io.stdout(renderStatus(reply.status, { now: terminal.now(), colour }));
  }
  return EXIT.ok;
}

export async function startCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: common });
  if (values.help) return help(io, startUsage);
  if (positionals.length === 0 && process.platform === 'win32') {
    return serviceAction(
      values.config,
      'start',
      timeoutOption(values.timeout, ACTION_TIMEOUT_MS, startUsage),
      io,
    );
  }
  const names = processNames(positionals, 'start', startUsage);
  const timeoutMs = timeoutOption(values.timeout, ACTION_TIMEOUT_MS, startUsage);
  return act(values.config, { op: 'start', names }, timeoutMs, io);
}

export async function stopCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...common, 'with-dependents': { type: 'boolean', default: false } },
  });
  if (values.help) return help(io, stopUsage);
  if (positionals.length === 0 && process.platform === 'win32') {
    return serviceAction(
      values.config,
      'stop',
      timeoutOption(values.timeout, ACTION_TIMEOUT_MS, stopUsage),
      io,
    );
  }
  const names = processNames(positionals, 'stop', stopUsage);
  const timeoutMs = timeoutOption(values.timeout, ACTION_TIMEOUT_MS, stopUsage);
  const body = { op: 'stop', names, withDependents: values['with-dependents'] } as const;
  return act(values.config, body, timeoutMs, io);
}

export async function restartCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...common, all: { type: 'boolean', default: false } },
  });
  if (values.help) return help(io, restartUsage);
  if (values.all && positionals.length > 0) {
    throw usageError(
      `give process names or --all, not both (got --all and ${positionals.join(' ')})`,
      restartUsage,
    );
  }
  const names = values.all ? 'all' : processNames(positionals, 'restart', restartUsage, ' (or --all)');
  const timeoutMs = timeoutOption(values.timeout, ACTION_TIMEOUT_MS, restartUsage);
  return act(values.config, { op: 'restart', names }, timeoutMs, io);
}

export async function reloadCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...common, 'dry-run': { type: 'boolean', default: false } },
  });
  if (values.help) return help(io, reloadUsage);
  if (positionals.length > 0) {
    throw usageError(
      `corral reload takes no arguments, got ${positionals.join(' ')}; the manifest goes after -c`,
      reloadUsage,
    );
  }
  const timeoutMs = timeoutOption(values.timeout, ACTION_TIMEOUT_MS, reloadUsage);
  return act(values.config, { op: 'reload', dryRun: values['dry-run'] }, timeoutMs, io);
}

function help(io: Io, usage: string): number {
  io.stdout(usage);
  return EXIT.ok;
}

/**
 * Windows: `corral start` / `corral stop` without process names start or stop the installed
 * service of the manifest and wait for its final state, which they print.
 */
async function serviceAction(
  config: string | undefined,
  action: 'start' | 'stop',
  timeoutMs: number,
  io: Io,
): Promise<number> {
  const file = config ?? DEFAULT_MANIFEST;
  const { manifest, diagnostics } = await loadManifest(file, { platform: hostPlatform(), env: io.env });
  if (manifest === null) {
    for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
    io.stderr(`${summarize(file, diagnostics, false, 0)}\n`);
    return EXIT.failed;
  }
  const { driveService } = await import('../platform/windows/scm-state.js');
  try {
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const { ok, said } = await driveService(manifest.service.name, action, timeoutMs, sleep);
    (ok ? io.stdout : io.stderr)(`${ok ? '' : 'corral: '}${said}\n`);
    return ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    io.stderr(
      `corral: could not ${action} the service ${manifest.service.name}: ${(error as Error).message}\n`,
    );
    return EXIT.failed;
  }
}

function processNames(positionals: string[], command: string, usage: string, or = ''): string[] {
  if (positionals.length === 0)
    throw usageError(`corral ${command} needs the names of processes${or}`, usage);
  return positionals;
}

function timeoutOption(value: string | undefined, fallback: number, usage: string): number {
  if (value === undefined) return fallback;
  const parsed = parseDuration(value);
  if (!parsed.ok) throw usageError(`--timeout: ${parsed.message}`, usage);
  if (parsed.value <= 0 || parsed.value > MAX_DURATION_MS) {
    throw usageError(`--timeout must be more than 0 and at most 24d, got "${value}"`, usage);
  }
  return parsed.value;
}

/** Sends an operation and prints what the supervisor said about it. */
async function act(
  config: string | undefined,
  body: ActionRequestBody,
  timeoutMs: number,
  io: Io,
): Promise<number> {
  const file = config ?? DEFAULT_MANIFEST;
  const mustBeValid = body.op === 'reload';
  const reply = await contact(file, io, mustBeValid, (socket) => request(socket, body, { timeoutMs }));
  if (typeof reply === 'number') return reply;
  if (!reply.ok) return refused(reply, io);
  printDone(reply, io);
  return EXIT.ok;
}

function printDone(reply: ActionReply, io: Io): void {
  const detail = (reply.detail ?? []).map((line) => `  ${line}\n`).join('');
  io.stdout(`${reply.message}\n${detail}`);
}

function refused(reply: ErrorReply, io: Io): number {
  io.stderr(`corral: ${reply.error}\n${reply.hint === undefined ? '' : `hint: ${reply.hint}\n`}`);
  return EXIT.failed;
}

/** Where the supervisor of a manifest should be listening, and how to say so when it is not. */
interface Located {
  readonly socketPath: string;
  /** "service shop", or why the service is unknown. */
  readonly service: string;
  /** The service name, when the manifest says it. */
  readonly serviceName: string | null;
}

/**
 * Finds the supervisor of `file` and runs `send` against its socket; returns the reply, or the
 * exit code after saying what went wrong.
 */
async function contact<R>(
  file: string,
  io: Io,
  mustBeValid: boolean,
  send: (socketPath: string) => Promise<R>,
): Promise<R | number> {
  const located = await locate(file, io, mustBeValid);
  if (typeof located === 'number') return located;
  try {
    return await send(located.socketPath);
  } catch (error) {
    if (!(error instanceof ControlRequestError)) throw error;
    if (error.kind === 'not-running') {
      if (process.platform === 'win32' && located.serviceName !== null) {
        const { scmStateOf } = await import('../platform/windows/scm-state.js');
        const said = scmStateOf(located.serviceName);
        if (said !== null) io.stderr(`corral: the service manager says: ${said}\n`);
      }
      io.stderr(
        `corral: no supervisor is running for ${file} (${located.service}; looked for ${located.socketPath})\n` +
          (process.platform === 'win32'
            ? `hint: start the service (sc start <name>), or run corral run -c ${file}; the service's pipe ` +
              `admits only administrators: run this from an elevated prompt\n`
            : `hint: start it with corral run -c ${file}; one running as another user (a service runs as root) ` +
              `is found by running this command as that user\n`),
      );
      return EXIT.notRunning;
    }
    io.stderr(`corral: ${error.message}\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`);
    return EXIT.failed;
  }
}

async function locate(file: string, io: Io, mustBeValid: boolean): Promise<Located | number> {
  const { manifest, diagnostics } = await loadManifest(file, { platform: hostPlatform(), env: io.env });
  if (manifest === null) {
    if (mustBeValid) {
      for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
      io.stderr(`${summarize(file, diagnostics, false, 0)}\n`);
      return EXIT.failed;
    }
    io.stderr(
      `corral: warning: ${file} is invalid (corral validate -c ${file} says why); ` +
        `looking for its supervisor by the manifest's path\n`,
    );
  }
  const context = runtimeContext(io.env);
  if (context.platform === 'win32') {
    // A named pipe named after the service: the manifest must say which.
    if (manifest === null) {
      io.stderr(`corral: ${file} is invalid, and on Windows its service name is what finds the supervisor\n`);
      return EXIT.failed;
    }
    const pipe = controlSocketPath(realManifestPath(file), manifest.service.name, context);
    return {
      socketPath: pipe,
      service: `service ${manifest.service.name}`,
      serviceName: manifest.service.name,
    };
  }
  const real = realManifestPath(file);
  const dir = runtimeDirFor(context);
  const service = manifest?.service.name ?? null;
  const named = service === null ? null : controlSocketPath(real, service, context);
  const running = socketsForManifest(dir, real);
  const found = named !== null && running.includes(named) ? named : running[0];
  const socketPath = found ?? named ?? socketPattern(dir, real);
  const problem = socketPathProblem(socketPath, context.platform);
  if (problem !== null) {
    io.stderr(`corral: ${problem.message}\n${problem.hint === undefined ? '' : `hint: ${problem.hint}\n`}`);
    return EXIT.failed;
  }
  return {
    socketPath,
    service: service === null ? 'service unknown: the manifest is invalid' : `service ${service}`,
    serviceName: service,
  };
}
