// `corral run`: the supervisor in the foreground. Ctrl+C, SIGTERM or SIGHUP stops everything in
// order; a second one kills what is left at once. Exit 0 after a requested stop, 1 when a critical
// process gave up (or the manifest is invalid), 2 for usage errors.
//
// On Linux `corral run` is the keeper (platform/posix/keeper.ts): the supervisor runs in a second
// process, `corral supervise` (supervise.ts), so that if either is SIGKILLed the other kills every
// process they started. Elsewhere, and in tests, the supervisor runs in this process (runInProcess).
// This module is the keeper's whole share of corral: what it imports stays small (the supervisor
// itself lives in host.ts, loaded only where it runs).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { consoleLogger } from '../logging/console.js';
import { keep } from '../platform/posix/keeper.js';
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

/**
 * Node flags of the supervisor process. --optimize-for-size makes V8 grow the heap more slowly:
 * over 1,000 restarts of a child the supervisor's RSS grew by ~25 MB with the defaults (the heap
 * growing to the allocation rate, not a leak: it levels off) and by 1–4 MB with it; the live heap
 * of a supervisor is small, and nothing it does is bound by JavaScript speed (npm run bench).
 */
const SUPERVISOR_FLAGS = ['--optimize-for-size'];

export type RunSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** Signals `run` listens to; tests pass their own emitter. */
export interface SignalSource {
  on(signal: RunSignal, listener: () => void): unknown;
  off(signal: RunSignal, listener: () => void): unknown;
}

export interface RunOptions {
  readonly file: string;
  readonly insecureManifest: boolean;
  /**
   * `corral service` (the Windows service entry) only: SIDs trusted to own or write the manifest
   * besides the administrators (install passes the installing administrator's, --trust <SID>).
   */
  readonly trust: readonly string[];
  /** True for `corral service`: check the manifest's Windows ACLs before running it. */
  readonly asService: boolean;
}

/** The manifest and flags of `run` (and `supervise`, which takes the same); null for --help. */
export function parseRunArgs(args: string[], command: string): RunOptions | null {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'insecure-manifest': { type: 'boolean', default: false },
      trust: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  return {
    file: manifestArgument(values.config, positionals, command),
    insecureManifest: values['insecure-manifest'],
    trust: values.trust,
    asService: command === 'service',
  };
}

export async function runCommand(args: string[], io: Io): Promise<number> {
  const options = parseRunArgs(args, 'run');
  if (options === null) {
    io.stdout(runUsage);
    return EXIT.ok;
  }
  if (process.platform === 'linux') return runKeeper(options, io);
  return (await import('./host.js')).supervise(options, io, process);
}

/** `corral run` with the supervisor in this process and no keeper. */
export async function runInProcess(args: string[], io: Io, signals: SignalSource = process): Promise<number> {
  const options = parseRunArgs(args, 'run');
  if (options === null) {
    io.stdout(runUsage);
    return EXIT.ok;
  }
  return (await import('./host.js')).supervise(options, io, signals);
}

/** Starts `corral supervise` under the keeper; the keeper's own lines follow the manifest's log settings. */
function runKeeper(options: RunOptions, io: Io): Promise<number> {
  let log = consoleLogger('text', 'info', io.stderr);
  const flags = options.insecureManifest ? ['--insecure-manifest'] : [];
  return keep({
    command: [process.execPath, ...SUPERVISOR_FLAGS, CORRAL_BIN, 'supervise', ...flags, '--', options.file],
    env: io.env,
    log: (record) => {
      log(record);
    },
    onMessage: (message) => {
      log = consoleLogger(message.format, message.level, io.stderr);
    },
  });
}
