// The supervisor host: loads the manifest, checks it may run it, takes the manifest lock, runs the
// Supervisor until it has stopped, and maps how it ended to an exit code. `corral run` runs it in
// its own process (elsewhere than Linux, and in tests) or under the keeper as `corral supervise`.
import fs from 'node:fs';
import { systemClock } from '../core/clock.js';
import { Supervisor, type LogRecord } from '../core/supervisor.js';
import { consoleLogger } from '../logging/console.js';
import { parseEnvFile } from '../manifest/env-file.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { loadManifest } from '../manifest/load.js';
import type { ResolvedManifest } from '../manifest/spec.js';
import {
  checkManifestPermissions,
  formatPermissionProblems,
} from '../platform/posix/manifest-permissions.js';
import { openLockSession, type LockSession } from '../platform/posix/lock-session.js';
import { LockError } from '../platform/posix/manifest-lock.js';
import { platformLauncher } from '../platform/select.js';
import type { ProcessLauncher } from '../platform/types.js';
import { EXIT, type Io } from './io.js';
import type { RunOptions, RunSignal, SignalSource } from './run.js';

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
