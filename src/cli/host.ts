// The supervisor host: loads the manifest, checks it may run it, takes the manifest lock, runs the
// Supervisor until it has stopped, and maps how it ended to an exit code. `corral run` runs it in
// its own process (elsewhere than Linux, and in tests) or under the keeper as `corral supervise`.
import fs from 'node:fs';
import path from 'node:path';
import { controlTarget } from '../control/adapter.js';
import { ControlError } from '../control/errors.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { controlSocketPath, realManifestPath, runtimeContext } from '../control/socket-path.js';
import { systemClock } from '../core/clock.js';
import { Supervisor, type LogRecord } from '../core/supervisor.js';
import { createSupervisorLog } from '../logging/supervisor-log.js';
import { processOutputs } from '../logging/process-output.js';
import { parseEnvFile } from '../manifest/env-file.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { loadManifest } from '../manifest/load.js';
import type { ResolvedManifest } from '../manifest/spec.js';
import {
  checkManifestPermissions,
  formatPermissionProblems,
  type PermissionProblem,
} from '../platform/posix/manifest-permissions.js';
import { openLockSession, type LockSession } from '../platform/posix/lock-session.js';
import { LockError, runtimeDirFor } from '../platform/posix/manifest-lock.js';
import { platformLauncher } from '../platform/select.js';
import { ReloadController, START_UP_CHECK } from '../reload/controller.js';
import { ManifestWatcher } from '../reload/watch.js';
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
  /**
   * Called once the supervisor and its reload controller exist, before anything starts: the
   * Windows service host (service.ts) watches the status and relays the SCM's controls through it.
   */
  readonly onSupervisor?: (supervisor: Supervisor, reloads: ReloadController) => void;
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
  // The supervisor's own log: the console (stderr) and <log.dir>/_corral.<service>.log, rotated.
  const supervisorLog = createSupervisorLog({
    spec: manifest.log,
    service: manifest.service.name,
    console: io.stderr,
    clock: systemClock,
  });
  const log = (record: LogRecord) => {
    supervisorLog.log(record);
  };
  const run = async (): Promise<number> => {
    for (const d of diagnostics) log({ level: 'warn', event: 'manifest', message: formatDiagnostic(d) });
    const problems = await permissionProblems(manifest, options);
    if (problems.length > 0) {
      if (!options.insecureManifest) {
        const text = options.asService
          ? (await import('../platform/windows/manifest-acl.js')).formatWindowsProblems(problems)
          : formatPermissionProblems(problems);
        io.stderr(text);
        log({ level: 'error', event: 'insecure-manifest', message: text.trimEnd() });
        return EXIT.failed;
      }
      const who = options.asService ? 'as a Windows service' : 'as root';
      for (const p of problems) {
        const what = `${p.path} ${p.what.join(' and ')}`;
        log({
          level: 'warn',
          event: 'insecure-manifest',
          message: `--insecure-manifest: running ${who} although ${what}`,
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
      // The lock and the control socket share the runtime folder, found from the same environment
      // the control commands use.
      // Windows has no such lock (it is POSIX-only): each child's job object kills it with the
      // supervisor, however that dies, so a crash leaves nothing behind to clean up.
      lock =
        process.platform === 'win32'
          ? NO_LOCK
          : openLockSession(manifest, log, { runtimeDir: runtimeDirFor(runtimeContext(io.env)) });
    } catch (error) {
      if (!(error instanceof LockError)) throw error;
      io.stderr(`corral: ${error.message}\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`);
      return EXIT.failed;
    }
    // What the Windows launcher could not do for a child (deliver Ctrl+C, Ctrl+Break or WM_CLOSE,
    // suspend, kill what it left) goes to the log under the child's name; the stop steps go on.
    const launcherProblem = (pid: number, message: string) => {
      const name = supervisor.processes().find((p) => p.pid === pid)?.name;
      log({
        level: 'warn',
        ...(name === undefined ? {} : { process: name }),
        event: 'launcher',
        message: `pid ${pid}: ${message}`,
      });
    };
    const supervisor: Supervisor = new Supervisor(manifest, {
      launcher: hooks.launcher ?? platformLauncher(launcherProblem),
      clock: systemClock,
      random: Math.random,
      baseEnv: io.env,
      readEnvFile: (envFile) => parseEnvFile(fs.readFileSync(envFile, 'utf8')).vars,
      // Each process's stdout and stderr also go to its files in log.dir, rotated.
      openOutput: processOutputs({
        clock: systemClock,
        onProblem: (name, message) => {
          log({ level: 'warn', process: name, event: 'output-file', message });
        },
        onRecover: (name, message) => {
          log({ level: 'info', process: name, event: 'output-file', message });
        },
      }),
    });
    supervisor.on('log', log);
    lock.track(supervisor);
    const reloads = new ReloadController({
      target: supervisor,
      load: (file) => loadManifest(file, { env: io.env }),
      refuse: (next) => refusal(next, options),
      log,
      onApplied: (next) => {
        supervisorLog.reconfigure(next.log);
        hooks.onLoaded?.(next);
        void syncWatcher(next);
      },
    });
    hooks.onSupervisor?.(supervisor, reloads);
    let interrupts = 0;
    const onStopSignal = (name: RunSignal) => () => {
      interrupts++;
      if (interrupts === 1) {
        void supervisor.stop(`${name} received`);
      } else {
        log({ level: 'warn', event: 'kill', message: `${name} again: killing what is left now` });
        supervisor.kill();
      }
    };
    const onHangUp = () => void reloads.request('SIGHUP');
    const listeners = [
      ['SIGINT', onStopSignal('SIGINT')],
      ['SIGTERM', onStopSignal('SIGTERM')],
      ['SIGHUP', onHangUp],
    ] as const;
    const stop = { emergency: false };
    const onEmergency = () => {
      stop.emergency = true;
      log({ level: 'error', event: 'keeper', message: String(emergency?.reason) });
      supervisor.kill();
    };
    for (const [name, listener] of listeners) signals.on(name, listener);
    emergency?.addEventListener('abort', onEmergency, { once: true });
    // In an object: closures change it, and TypeScript would narrow a plain variable to null.
    const watching: { watcher: ManifestWatcher | null } = { watcher: null };
    /** Watches while service.auto_reload is on (a reload may turn it on or off), the right files. */
    const syncWatcher = async (current: ResolvedManifest) => {
      if (!current.service.auto_reload) {
        const old = watching.watcher;
        watching.watcher = null;
        await old?.close();
        return;
      }
      if (watching.watcher !== null) {
        watching.watcher.setFiles(reloads.watchedFiles());
        return;
      }
      const fresh = watchManifest(reloads, log);
      watching.watcher = fresh;
      await fresh.ready();
    };
    let control: ControlServer | null = null;
    try {
      supervisor.start();
      control = await openControl(supervisor, reloads, manifest, io.env, log);
      await syncWatcher(manifest);
      // An edit saved between our load and the watcher's first look is not lost: check once.
      if (watching.watcher !== null) void reloads.request(START_UP_CHECK);
      await supervisor.whenStopped();
      await supervisor.closeOutputs();
      await hooks.finish?.(log);
    } finally {
      for (const [name, listener] of listeners) signals.off(name, listener);
      emergency?.removeEventListener('abort', onEmergency);
      await watching.watcher?.close();
      await control?.close();
      lock.release();
    }
    if (stop.emergency) return EXIT.failed;
    if (supervisor.fatal !== null) {
      log({ level: 'error', event: 'fatal', message: supervisor.fatal });
      io.stderr(`corral: ${supervisor.fatal}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  };
  try {
    return await run();
  } finally {
    // Every line logged so far is in the file before corral exits (winston needs the wait).
    await supervisorLog.close();
  }
}

const NO_LOCK: LockSession = { track: () => undefined, release: () => undefined };

/**
 * Who else could change the manifest, where that matters: as root on POSIX, and as a Windows
 * service (LocalSystem by default), where the administrator who installed it (--trust) and the
 * account the service runs as are trusted besides the administrators.
 */
async function permissionProblems(
  manifest: ResolvedManifest,
  options: RunOptions,
): Promise<PermissionProblem[]> {
  if (process.platform === 'win32') {
    if (!options.asService) return [];
    const { checkWindowsManifestAcl } = await import('../platform/windows/manifest-acl.js');
    const { readSecurity } = await import('../platform/windows/read-security.js');
    const { currentAccountSid } = await import('../platform/windows/accounts.js');
    const me = currentAccountSid();
    return checkWindowsManifestAcl(manifest, readSecurity, [...options.trust, ...(me === null ? [] : [me])]);
  }
  return process.getuid?.() === 0 ? checkManifestPermissions(manifest, { uid: 0 }) : [];
}

/** Why a reloaded manifest must not run although it validates, or null. */
async function refusal(manifest: ResolvedManifest, options: RunOptions): Promise<string | null> {
  const problems = await permissionProblems(manifest, options);
  if (problems.length === 0 || options.insecureManifest) return null;
  return formatPermissionProblems(problems).trimEnd().replace(/\n+/g, '; ');
}

/** Reloads on every save of the manifest or an env_file; a deleted manifest only warns. */
function watchManifest(reloads: ReloadController, log: (record: LogRecord) => void): ManifestWatcher {
  return new ManifestWatcher({ files: reloads.watchedFiles() }, (event) => {
    switch (event.kind) {
      case 'changed':
        void reloads.request(`${event.files.map((f) => path.basename(f)).join(', ')} changed`);
        return;
      case 'missing':
        log({
          level: 'warn',
          event: 'reload',
          message: `${event.file} was deleted; everything goes on running as it is, and the file is loaded again when it is back`,
        });
        return;
      case 'error':
        log({ level: 'warn', event: 'reload', message: `watching the manifest: ${event.message}` });
        return;
    }
  });
}

/** The control channel; corral runs on without it (and says so) when it cannot be opened. */
async function openControl(
  supervisor: Supervisor,
  reloads: ReloadController,
  manifest: ResolvedManifest,
  env: Io['env'],
  log: (record: LogRecord) => void,
): Promise<ControlServer | null> {
  const where = controlSocketPath(
    realManifestPath(manifest.file),
    manifest.service.name,
    runtimeContext(env),
  );
  try {
    return await startControlServer(controlTarget(supervisor, reloads), {
      path: where,
      log,
    });
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    log({
      level: 'error',
      event: 'control',
      message: `no control channel (corral status, start, stop, restart and reload will not reach this supervisor): ${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}`,
    });
    return null;
  }
}
