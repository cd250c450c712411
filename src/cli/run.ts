// `corral run`: the supervisor in the foreground. Ctrl+C or SIGTERM stops everything in order;
// a second Ctrl+C kills what is left at once. Exit 0 after a requested stop, 1 when a critical
// process gave up (or the manifest is invalid), 2 for usage errors.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Supervisor } from '../core/supervisor.js';
import { systemClock } from '../core/clock.js';
import { consoleLogger } from '../logging/console.js';
import { parseEnvFile } from '../manifest/env-file.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { loadManifest } from '../manifest/load.js';
import {
  checkManifestPermissions,
  formatPermissionProblems,
} from '../platform/posix/manifest-permissions.js';
import { platformLauncher } from '../platform/select.js';
import { EXIT, type Io } from './io.js';
import { manifestArgument } from './usage.js';

export const runUsage = `usage: corral run [<manifest> | -c <manifest>] [--insecure-manifest]

Runs the supervisor in the foreground: starts every process in dependency order, restarts the
ones that fail, and on Ctrl+C or SIGTERM stops them in reverse order (a second Ctrl+C kills
what is left at once). As root it refuses a manifest or env_file that anyone but root could
change; --insecure-manifest runs anyway and logs a warning for each such path.
Exit status: 0 after a requested stop, 1 when a critical process gave up or the manifest is
invalid, 2 usage error or unreadable manifest.
`;

/** Signals `run` listens to; tests pass their own emitter. */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export async function runCommand(args: string[], io: Io, signals: SignalSource = process): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'insecure-manifest': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(runUsage);
    return EXIT.ok;
  }
  const file = manifestArgument(values.config, positionals, 'run');
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
    if (!values['insecure-manifest']) {
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
  const supervisor = new Supervisor(manifest, {
    launcher: platformLauncher(),
    clock: systemClock,
    random: Math.random,
    baseEnv: io.env,
    readEnvFile: (envFile) => parseEnvFile(fs.readFileSync(envFile, 'utf8')).vars,
  });
  supervisor.on('log', log);
  let interrupts = 0;
  const onSignal = (name: string) => () => {
    interrupts++;
    if (interrupts === 1) {
      void supervisor.stop(`${name} received`);
    } else {
      log({ level: 'warn', event: 'kill', message: `${name} again: killing what is left now` });
      supervisor.kill();
    }
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  signals.on('SIGINT', onInt);
  signals.on('SIGTERM', onTerm);
  try {
    supervisor.start();
    await supervisor.whenStopped();
  } finally {
    signals.off('SIGINT', onInt);
    signals.off('SIGTERM', onTerm);
  }
  if (supervisor.fatal !== null) {
    io.stderr(`corral: ${supervisor.fatal}\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
