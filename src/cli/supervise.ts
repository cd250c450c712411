// `corral supervise [--insecure-manifest] [--] <manifest>`: a hidden command, the supervisor half
// of `corral run` on Linux. The keeper (platform/posix/keeper.ts) starts it in a session of its own,
// with fd 3 a socket back to the keeper and CORRAL_KEEPER_PID in its environment; without those it
// refuses. It runs the supervisor as `corral run` does in-process (run.ts), inside the containment
// the keeper pair needs: it is a child subreaper, so a unit's setsid'd or double-forked orphans stay
// below it; it reaps those orphans; when fd 3 reaches EOF (the keeper is gone) it SIGKILLs every
// process below it at once and exits 1; after a normal stop it kills whatever is still below it.
import { CorralError } from '../errors.js';
import type { LogRecord } from '../core/supervisor.js';
import { KEEPER_ENV, linkToKeeper, type KeeperLink } from '../platform/posix/keeper.js';
import { PosixLauncher } from '../platform/posix/launcher.js';
import { setChildSubreaper } from '../platform/posix/libc.js';
import { startOrphanReaper } from '../platform/posix/reaper.js';
import { describeProcesses, sweep } from '../platform/posix/sweep.js';
import { EXIT, type Io } from './io.js';
import { supervise } from './host.js';
import { parseRunArgs } from './run.js';

export const superviseUsage = `usage: corral supervise [--insecure-manifest] [--] <manifest>

Internal: the supervisor process that \`corral run\` starts and watches over on Linux. Run
\`corral run\` instead.
`;

export async function superviseCommand(args: string[], io: Io): Promise<number> {
  const options = parseRunArgs(args, 'supervise');
  if (options === null) {
    io.stdout(superviseUsage);
    return EXIT.ok;
  }
  const launcher = new PosixLauncher();
  // First, before anything is spawned: fd 3 becomes close-on-exec and watched for the keeper's end.
  const link = process.platform === 'linux' ? linkToKeeper(io.env, (pid) => launcher.owns(pid)) : null;
  if (link === null) {
    throw new CorralError(
      'E_USAGE',
      'corral supervise is started by corral run (on Linux), which it needs on fd 3; it is not run by hand',
      'corral run <manifest>',
    );
  }
  // A log reader that went away (a closed terminal, a dead pipe) must not take down the process
  // that keeps the children contained: lines that cannot be written are dropped.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  setChildSubreaper();
  const reaper = startOrphanReaper({ isOwnChild: (pid) => launcher.owns(pid) });
  try {
    return await supervise(options, { ...io, env: withoutKeeper(io.env) }, process, {
      launcher,
      emergency: link.gone,
      onLoaded: (manifest) => {
        link.send({ kind: 'log-settings', format: manifest.log.format, level: manifest.log.level });
      },
      finish: (log) => finish(link, launcher, log),
    });
  } finally {
    reaper.stop();
    link.close();
  }
}

/**
 * After the stop: kills what is still below us. After an emergency that is the rest of what the
 * first pass started; after a normal stop it is orphans that had left their unit's tree (a unit's
 * setsid'd daemon whose parent exited), which no unit's kill reaches yet.
 */
async function finish(link: KeeperLink, launcher: PosixLauncher, log: (record: LogRecord) => void) {
  const emergency = link.gone.aborted;
  const { killed, survivors, ms } = await sweep({ isOwnChild: (pid) => launcher.owns(pid) }, link.killed);
  if (emergency && survivors.length === 0) {
    log({
      level: 'error',
      event: 'keeper',
      message: `nothing is left below the supervisor (${Math.round(ms)} ms after the first pass); killed ${describeProcesses(killed)}`,
    });
  } else if (!emergency && killed.length > 0) {
    log({
      level: 'warn',
      event: 'leftovers',
      message: `after the stop, killed what was left below the supervisor, ${describeProcesses(killed)}`,
    });
  }
  if (survivors.length > 0) {
    log({
      level: 'error',
      event: 'leftovers',
      message: `still alive after SIGKILL: ${describeProcesses(survivors)}`,
    });
  }
}

/** The environment units start from: ours, without the keeper's marker. */
function withoutKeeper(env: Io['env']): Io['env'] {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== KEEPER_ENV));
}
