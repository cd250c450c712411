// Runs a Supervisor over a manifest written in the test, with the real launcher and clock, and
// records what happens: every log record and state change with its time. Tests wait for
// conditions with a deadline (never sleep) and end by asserting no process they started is left.
import fs from 'node:fs';
import path from 'node:path';
import { parseEnvFile } from '../../src/manifest/env-file.js';
import { systemClock } from '../../src/core/clock.js';
import type { ProcessState } from '../../src/core/process-machine.js';
import { Supervisor, type LogRecord } from '../../src/core/supervisor.js';
import { PosixLauncher } from '../../src/platform/posix/launcher.js';
import { descendantsOf, identify, isAlive, type ProcessIdentity } from '../../src/platform/posix/proc.js';
import { load } from './manifest.js';

export const CHILD = path.resolve('test/fixtures/child.mjs');
/** A command running the fixture child, as YAML flow text. */
export const child = (...args: string[]) => JSON.stringify([process.execPath, CHILD, ...args]);

export interface Entry {
  readonly at: number;
  readonly name: string;
  readonly state?: ProcessState;
  readonly record?: LogRecord;
}

export class Supervised {
  readonly supervisor: Supervisor;
  readonly entries: Entry[] = [];
  readonly seen: ProcessIdentity[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #t0 = Date.now();

  constructor(yaml: string) {
    const manifest = load(yaml, { env: { PATH: process.env['PATH'] ?? '' } });
    this.supervisor = new Supervisor(manifest, {
      launcher: new PosixLauncher(),
      clock: systemClock,
      random: () => 0,
      baseEnv: { PATH: process.env['PATH'] ?? '' },
      readEnvFile: (file) => parseEnvFile(fs.readFileSync(file, 'utf8')).vars,
    });
    this.supervisor.on('state', (name, state) => {
      if ('pid' in state && state.pid !== null) {
        const who = identify(state.pid);
        if (who !== null)
          this.seen.push(who, ...descendantsOf(who.pid).map((p) => ({ pid: p.pid, startTime: p.startTime })));
      }
      this.#push({ at: Date.now() - this.#t0, name, state });
    });
    this.supervisor.on('log', (record) => {
      // The fixture's descendants announce themselves: remember them, to check they are gone.
      const m = /^(?:PID \S+ \d+|GRANDCHILD \S+|HOLDER \S+) (\d+)$/.exec(record.message);
      const pid = m?.[1];
      if (pid !== undefined) {
        const who = identify(Number(pid));
        if (who !== null) this.seen.push(who);
      }
      this.#push({ at: Date.now() - this.#t0, name: record.process ?? 'corral', record });
    });
  }

  #push(entry: Entry): void {
    this.entries.push(entry);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves with the first entry (past or future) matching, or rejects after `ms`. */
  waitFor(test: (e: Entry) => boolean, what: string, ms = 10_000): Promise<Entry> {
    const found = this.entries.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const hit = this.entries.find(test);
        if (hit === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; saw:\n${this.transcript()}`));
      }, ms);
      this.#waiters.add(wake);
    });
  }

  state(name: string, kind: ProcessState['kind'], ms?: number): Promise<Entry> {
    return this.waitFor((e) => e.name === name && e.state?.kind === kind, `${name} ${kind}`, ms);
  }

  line(name: string, regex: RegExp, ms?: number): Promise<Entry> {
    return this.waitFor(
      (e) => e.name === name && e.record?.event === 'output' && regex.test(e.record.message),
      `${name} ${String(regex)}`,
      ms,
    );
  }

  /** Every state a process went through, in order. */
  states(name: string): ProcessState['kind'][] {
    return this.entries
      .filter((e) => e.name === name && e.state !== undefined)
      .map((e) => (e.state as ProcessState).kind);
  }

  messages(name: string, event?: string): string[] {
    return this.entries
      .filter(
        (e) => e.name === name && e.record !== undefined && (event === undefined || e.record.event === event),
      )
      .map((e) => (e.record as LogRecord).message);
  }

  /** Stops (if not yet stopped) and returns the processes it started that are still alive. */
  async finish(): Promise<ProcessIdentity[]> {
    await this.supervisor.stop('test finished');
    // A leftover SIGKILLed at its parent's exit may still be on its way out: its pipes close
    // before it becomes a zombie, so the exit can be reported first. Alive 2 s on, it was missed.
    const deadline = performance.now() + 2_000;
    while (this.seen.some(isAlive) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const left = this.seen.filter(isAlive);
    for (const who of left) process.kill(who.pid, 'SIGKILL');
    return left;
  }

  transcript(): string {
    return this.entries
      .map(
        (e) =>
          `${e.at} ${e.name} ${e.state !== undefined ? `→ ${e.state.kind}` : `${e.record?.event ?? ''}: ${e.record?.message ?? ''}`}`,
      )
      .join('\n');
  }
}
