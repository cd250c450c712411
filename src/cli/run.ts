// `corral run`: the supervisor in the foreground. Ctrl+C, SIGTERM or SIGHUP stops everything in
// order; a second one kills what is left at once. Exit 0 after a requested stop, 1 when a critical
// process gave up (or the manifest is invalid), 2 for usage errors.
//
// On Linux `corral run` is the keeper (platform/posix/keeper.ts): the supervisor runs in a second
// process, `corral supervise` (supervise.ts), so that if either is SIGKILLed the other kills every
// process they started. Elsewhere, and in tests, the supervisor runs in this process (runInProcess).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Supervisor, type LogRecord } from '../core/supervisor.js';
import { systemClock } from '../core/clock.js';
import { consoleLogger } from '../logging/console.js';
import { parseEnvFile } from '../manifest/env-file.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { loadManifest } from '../manifest/load.js';
import type { ResolvedManifest } from '../manifest/spec.js';
import { keep } from '../platform/posix/keeper.js';
import {
  checkManifestPermissions,
  formatPermissionProblems,
} from '../platform/posix/manifest-permissions.js';
import { openLockSession, type LockSession } from '../platform/posix/lock-session.js';
import { LockError } from '../platform/posix/manifest-lock.js';
import { platformLauncher } from '../platform/select.js';
import type { ProcessLauncher } from '../platform/types.js';
import { EXIT, type Io } from './io.js';
import { manifestArgument } from './usage.js';

export const runUsage = `usage: corral run [<manifest> | -c <manifest>] [--insecure-manifest]

Runs the supervisor in the foreground: starts every process in dependency order, restarts the
ones that fail, and on Ctrl+C, SIGTERM or SIGHUP stops them in reverse order (a second Ctrl+C
kills what is left at once). On Linux a second process watches over the first, so that nothing
they started outlives either of them, even after kill -9. As root it refuses a manifest or
env_file that anyone but root could change; --insecure-manifest runs anyway and logs a warning
for each such path.
Exit status: 0 after a requested stop, 1 when a critical process gave up or the manifest is
invalid, 2 usage error or unreadable manifest; on Linux, 128 + N when the supervisor process was
killed by signal N (what it left running is killed, and the log says what).
`;

/** The installed entry point, which the keeper runs again as `corral supervise`. */
const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral.js', import.meta.url));

export type RunSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** Signals `run` listens to; tests pass their own emitter. */
export interface SignalSource {
  on(signal: RunSignal, listener: () => void): unknown;
  off(signal: RunSignal, listener: () => void): unknown;
}

export interface RunOptions {
  readonly file: string;
  readonly insecureManifest: boolean;
}

/** The manifest and flags of `run` (and `supervise`, which takes the same); null for --help. */
export function parseRunArgs(args: string[], command: string): RunOptions | null {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'insecure-manifest': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  return {
    file: manifestArgument(values.config, positionals, command),
    insecureManifest: values['insecure-manifest'],
  };
}

export async function runCommand(args: string[], io: Io): Promise<number> {
  const options = parseRunArgs(args, 'run');
  if (options === null) {
    io.stdout(runUsage);
    return EXIT.ok;
  }
  return process.platform === 'linux' ? runKeeper(options, io) : supervise(options, io, process);
}

/** `corral run` with the supervisor in this process and no keeper. */
export async function runInProcess(args: string[], io: Io, signals: SignalSource = process): Promise<number> {
  const options = parseRunArgs(args, 'run');
  if (options === null) {
    io.stdout(runUsage);
    return EXIT.ok;
  }
  return supervise(options, io, signals);
}

/** Starts `corral supervise` under the keeper; the keeper's own lines follow the manifest's log settings. */
function runKeeper(options: RunOptions, io: Io): Promise<number> {
  let log = consoleLogger('text', 'info', io.stderr);
  const flags = options.insecureManifest ? ['--insecure-manifest'] : [];
  return keep({
    command: [process.execPath, CORRAL_BIN, 'supervise', ...flags, '--', options.file],
    env: io.env,
    log: (record) => {
      log(record);
    },
    onMessage: (message) => {
      log = consoleLogger(message.format, message.level, io.stderr);
    },
  });
}

/** What the process running the supervisor adds around it (supervise.ts on Linux). */
export interface SuperviseHooks {
  readonly launcher?: ProcessLauncher;
  /** Aborted when everything must die at once (the keeper is gone); the reason is logged. */
  readonly emergency?: AbortSignal;
  /** Called once the manifest is loaded and accepted, before anything starts. */
  readonly onLoaded?: (manifest: ResolvedManifest) => void;
  /** Called after the supervisor has stopped, before the exit code is returned. */
  readonly finish?: (log: (record: LogRecord) => void) => Promise<void>;
}

/** Loads the manifest and runs the supervisor here until it has stopped; resolves with the exit code. */
export async function supervise(
  options: RunOptions,
  io: Io,
  signals: SignalSource,
  hooks: SuperviseHooks = {},
): Promise<number> {
  const { file } = options;
  const { manifest, diagnostics } = await loadManifest(file, { env: io.env });
  if (manifest === null) {
    for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
    io.stderr(`${summarize(file, diagnostics, false, 0)}\n`);
    return EXIT.failed;
  }
  const log = consoleLogger(manifest.log.format, manifest.log.level, io.stderr);
  for (const d of diagnostics) log({ level: 'warn', event: 'manifest', message: formatDiagnostic(d) });
  const problems = process.getuid?.() === 0 ? checkManifestPermissions(manifest, { uid: 0 }) : [];
  if (problems.length > 0) {
    if (!options.insecureManifest) {
      io.stderr(formatPermissionProblems(problems));
      return EXIT.failed;
    }
    for (const p of problems) {
      const what = `${p.path} ${p.what.join(' and ')}`;
      log({
        level: 'warn',
        event: 'insecure-manifest',
        message: `--insecure-manifest: running as root although ${what}`,
      });
    }
  }
  hooks.onLoaded?.(manifest);
  const { emergency } = hooks;
  if (emergency?.aborted === true) {
    log({ level: 'error', event: 'keeper', message: String(emergency.reason) });
    return EXIT.failed;
  }
  // The manifest lock: E_LOCKED while a live corral holds this manifest; a crashed predecessor's
  // leftovers are killed before anything starts. Whichever half of the keeper pair survives a
  // SIGKILL cleans up at once; the lock covers what neither could: both killed, or a reboot.
  let lock: LockSession;
  try {
    lock = openLockSession(manifest, log);
  } catch (error) {
    if (!(error instanceof LockError)) throw error;
    io.stderr(`corral: ${error.message}\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`);
    return EXIT.failed;
  }
  const supervisor = new Supervisor(manifest, {
    launcher: hooks.launcher ?? platformLauncher(),
    clock: systemClock,
    random: Math.random,
    baseEnv: io.env,
    readEnvFile: (envFile) => parseEnvFile(fs.readFileSync(envFile, 'utf8')).vars,
  });
  supervisor.on('log', log);
  lock.track(supervisor);
  let interrupts = 0;
  const onSignal = (name: RunSignal) => () => {
    interrupts++;
    if (interrupts === 1) {
      void supervisor.stop(`${name} received`);
    } else {
      log({ level: 'warn', event: 'kill', message: `${name} again: killing what is left now` });
      supervisor.kill();
    }
  };
  const listeners = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => [name, onSignal(name)] as const);
  const stop = { emergency: false };
  const onEmergency = () => {
    stop.emergency = true;
    log({ level: 'error', event: 'keeper', message: String(emergency?.reason) });
    supervisor.kill();
  };
  for (const [name, listener] of listeners) signals.on(name, listener);
  emergency?.addEventListener('abort', onEmergency, { once: true });
  try {
    supervisor.start();
    await supervisor.whenStopped();
    await hooks.finish?.(log);
  } finally {
    for (const [name, listener] of listeners) signals.off(name, listener);
    emergency?.removeEventListener('abort', onEmergency);
    lock.release();
  }
  if (stop.emergency) return EXIT.failed;
  if (supervisor.fatal !== null) {
    io.stderr(`corral: ${supervisor.fatal}\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
