// The keeper pair (Linux): why `corral run` is two processes. The core issue asks that when the
// supervisor is SIGKILLed, no child or grandchild outlives it by more than 2 s, without the
// supervisor's help. A process cannot clean up after its own SIGKILL, so a second process must:
//
//   corral run (keeper)        child subreaper; the pid the shell, systemd and tests see
//    └─ corral supervise       own session; child subreaper; fd 3 = a socket to the keeper
//        └─ units, their trees, and adopted orphans (setsid'd or double-forked daemons)
//
// - Supervisor SIGKILLed: its whole subtree is reparented to the keeper, the nearest living
//   subreaper. The keeper sees the 'exit', SIGKILLs and reaps every descendant, and exits 128+signal.
// - Keeper SIGKILLed: the supervisor reads EOF on fd 3 and SIGKILLs every descendant at once. It is
//   a subreaper too, so a unit's setsid'd orphans are its own children and are found.
// - `kill -9 -<pgid of corral run>` reaches only the keeper: the supervisor has its own session.
// Nothing polls while both live. Needs no root, cgroups or namespaces. Not covered: both killed
// at once (then systemd's cgroup or a delegated cgroup is the backstop). The alternatives that
// were measured and rejected (subreaper alone, PR_SET_PDEATHSIG, setpriv shims, PID namespaces),
// and every number behind this, are in docs/design/linux-containment.md.
//
// fd 3 carries one JSON line from the supervisor (its log settings, so the keeper's own lines match
// the manifest's log.format); its end is the keeper's death. The keeper never writes to it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import readline from 'node:readline';
import type { LogRecord } from '../../core/supervisor.js';
import type { LogLevel } from '../../manifest/spec.js';
import { setChildSubreaper } from './libc.js';
import { startOrphanReaper } from './reaper.js';
import { describeProcesses, killPass, sweep } from './sweep.js';
import type { ProcStat } from './proc.js';

/** Set by the keeper in the supervisor's environment (its own pid); units never see it. */
export const KEEPER_ENV = 'CORRAL_KEEPER_PID';
/** The signals the keeper passes on: a terminal's Ctrl+C and hangup, and a service manager's stop. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const CHANNEL_FD = 3;

/** What the supervisor tells the keeper over fd 3. */
export interface PairMessage {
  readonly kind: 'log-settings';
  readonly format: 'json' | 'text';
  readonly level: LogLevel;
}

export interface KeeperOptions {
  /** The supervisor's command line: the program, then its arguments. */
  readonly command: readonly [string, ...string[]];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The keeper's own records: what it killed after the supervisor died. */
  readonly log: (record: LogRecord) => void;
  readonly onMessage: (message: PairMessage) => void;
}

/**
 * The keeper: becomes a child subreaper, starts the supervisor in its own session sharing our
 * stdout and stderr, passes on SIGINT, SIGTERM and SIGHUP, and when the supervisor has exited kills
 * and reaps whatever is left below us. Resolves with the exit code: the supervisor's own, or
 * 128 + the signal that killed it.
 */
export async function keep(options: KeeperOptions): Promise<number> {
  setChildSubreaper();
  const [program, ...args] = options.command;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  env[KEEPER_ENV] = String(process.pid);
  // stdout and stderr are shared, not piped through us: the supervisor's lines reach the terminal
  // or journal unchanged, and still do after the keeper has died.
  const supervisor = spawn(program, args, {
    detached: true,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  let running = supervisor.pid !== undefined;
  const reaper = startOrphanReaper({ isOwnChild: (pid) => running && pid === supervisor.pid });
  // Listeners stay until we return, so a signal during the cleanup cannot kill us halfway.
  const forward = (signal: NodeJS.Signals) => () => {
    if (running) supervisor.kill(signal);
  };
  const listeners = FORWARDED_SIGNALS.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, listener] of listeners) process.on(signal, listener);
  // Missing only if the spawn failed, which the 'error' event below reports.
  const channel = supervisor.stdio[CHANNEL_FD] as net.Socket | null | undefined;
  channel?.on('error', () => undefined);
  if (channel) {
    readline.createInterface({ input: channel, crlfDelay: Infinity }).on('line', (line) => {
      const message = parseMessage(line);
      if (message !== null) options.onMessage(message);
    });
  }
  try {
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      supervisor.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
      supervisor.once('error', (error) => {
        options.log({
          level: 'error',
          event: 'keeper',
          message: `could not start the supervisor: ${error.message}`,
        });
        resolve({ code: 1, signal: null });
      });
    });
    running = false;
    channel?.destroy();
    const { killed, survivors, ms } = await sweep({ isOwnChild: () => false });
    reportCleanup(options.log, supervisor.pid ?? 0, ended, killed, survivors, ms);
    if (ended.signal !== null) return 128 + ((os.constants.signals[ended.signal] as number | undefined) ?? 0);
    return ended.code ?? 1;
  } finally {
    reaper.stop();
    for (const [signal, listener] of listeners) process.off(signal, listener);
  }
}

function reportCleanup(
  log: KeeperOptions['log'],
  pid: number,
  ended: { code: number | null; signal: NodeJS.Signals | null },
  killed: readonly ProcStat[],
  survivors: readonly ProcStat[],
  ms: number,
): void {
  const how =
    ended.signal !== null ? `was killed by ${ended.signal}` : `exited with code ${ended.code ?? '?'}`;
  if (ended.signal !== null || killed.length > 0) {
    log({
      level: ended.signal !== null ? 'error' : 'warn',
      event: 'keeper',
      message: `supervisor (pid ${pid}) ${how}; in ${Math.round(ms)} ms killed what it left, ${describeProcesses(killed)}`,
    });
  }
  if (survivors.length > 0) {
    log({
      level: 'error',
      event: 'keeper',
      message: `still alive after SIGKILL: ${describeProcesses(survivors)}`,
    });
  }
}

function parseMessage(line: string): PairMessage | null {
  try {
    const value = JSON.parse(line) as Partial<PairMessage> | null;
    if (value?.kind === 'log-settings' && (value.format === 'json' || value.format === 'text')) {
      return value as PairMessage;
    }
  } catch {
    // Not ours to judge: the keeper ignores what it does not understand.
  }
  return null;
}

/** The supervisor's end of the pair. */
export interface KeeperLink {
  /**
   * Aborted once, with the reason, when the keeper is gone (EOF or an error on fd 3). By then one
   * pass has already sent SIGKILL to every process below the supervisor: the caller must stop
   * restarting anything and sweep() to finish the job.
   */
  readonly gone: AbortSignal;
  /** Every process the emergency pass killed (pass it on to sweep() to count them all). */
  readonly killed: Map<string, ProcStat>;
  send(message: PairMessage): void;
  /** Closes fd 3 at the end of a normal stop (which is not a sign that the keeper is gone). */
  close(): void;
}

/**
 * Opens fd 3 as the link to the keeper, before anything is spawned: once Node has opened it, it is
 * close-on-exec, so units never inherit it. Null when this process was not started by a keeper.
 * If the keeper died before we got here, the first read sees EOF and `gone` aborts at once.
 */
export function linkToKeeper(
  env: Readonly<Record<string, string | undefined>>,
  isOwnChild: (pid: number) => boolean,
): KeeperLink | null {
  const keeper = env[KEEPER_ENV];
  if (keeper === undefined || !isSocket(CHANNEL_FD)) return null;
  const socket = new net.Socket({ fd: CHANNEL_FD, readable: true, writable: true });
  const killed = new Map<string, ProcStat>();
  const controller = new AbortController();
  let closing = false;
  const lost = (why: string): void => {
    if (closing) return;
    closing = true;
    // At once, before anything else runs: the keeper is gone, and nobody else will do it.
    const began = performance.now();
    killPass({ isOwnChild }, killed);
    const ms = (performance.now() - began).toFixed(1);
    controller.abort(
      `the keeper (corral run, pid ${keeper}) is gone (${why}); in ${ms} ms sent SIGKILL to ${describeProcesses([...killed.values()])}`,
    );
  };
  socket.on('end', () => {
    lost('fd 3 reached EOF');
  });
  socket.on('close', () => {
    lost('fd 3 closed');
  });
  socket.on('error', (error) => {
    lost(`fd 3: ${error.message}`);
  });
  socket.resume(); // read, so that EOF is seen (the keeper never writes)
  return {
    gone: controller.signal,
    killed,
    send(message) {
      if (!closing) socket.write(`${JSON.stringify(message)}\n`);
    },
    close() {
      closing = true;
      socket.destroy();
    },
  };
}

function isSocket(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}
