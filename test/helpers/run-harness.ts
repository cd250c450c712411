// `corral run` in this process (runInProcess, the code the supervisor process runs under the keeper
// on Linux), with its log captured and fake signals, for tests that drive it as a user would.
import { EventEmitter } from 'node:events';
import { runInProcess, type SignalSource } from '../../src/cli/run.js';

/** The environment runs get: PATH only, so nothing of the test runner's leaks into the children. */
export const RUN_ENV: Readonly<Record<string, string>> = { PATH: process.env['PATH'] ?? '' };

const active = new Set<{ signals: EventEmitter; exit: Promise<number> }>();

/**
 * Stops every run still going (Ctrl+C, then a second one if the ordered stop takes over 20 s): call
 * it from afterEach in any file that uses runForeground, so a failed test leaves no children.
 */
export async function stopRuns(): Promise<void> {
  await Promise.all(
    [...active].map(async (run) => {
      run.signals.emit('SIGINT');
      if (await settlesWithin(run.exit, 20_000)) return;
      run.signals.emit('SIGINT');
      if (!(await settlesWithin(run.exit, 10_000))) throw new Error('a corral run did not stop');
    }),
  );
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Runs `corral run` in-process; `log` grows as it writes; `signals` delivers fake signals. */
export function runForeground(
  file: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = RUN_ENV,
) {
  const signals = new EventEmitter() as EventEmitter & SignalSource;
  let log = '';
  let out = '';
  const waiters: (() => void)[] = [];
  const io = {
    stdout: (t: string) => (out += t),
    stderr: (t: string) => {
      log += t;
      for (const w of waiters.splice(0)) w();
    },
    env: { ...env },
  };
  const exit = runInProcess([...args, file], io, signals);
  // Until it has exited, stopRuns() can stop it: a test that fails halfway must not leave the
  // supervisor (this process) and its children running after the worker ends.
  const unfinished = { signals, exit };
  active.add(unfinished);
  void exit.finally(() => active.delete(unfinished));
  /** Resolves once `test` holds for the log (checked at each write); rejects after `ms`. */
  const waitFor = (test: (log: string) => boolean, what: string, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no ${what} within ${ms} ms:\n${log}`));
      }, ms);
      const check = () => {
        if (test(log)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  const until = (regex: RegExp, ms = 10_000) => waitFor((l) => regex.test(l), String(regex), ms);
  /** How many times `regex` (global) matches the log so far. */
  const count = (regex: RegExp) => [...log.matchAll(regex)].length;
  /** Resolves once `regex` (global) has matched `n` times. */
  const untilCount = (regex: RegExp, n: number, ms = 10_000) =>
    waitFor(() => count(regex) >= n, `${n} × ${String(regex)}`, ms);
  return { exit, signals, until, untilCount, count, log: () => log, out: () => out };
}
