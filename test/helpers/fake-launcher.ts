// A ProcessLauncher without processes, for unit tests of the Supervisor: spawns succeed at once
// with made-up pids, a graceful stop ends the child (unless told otherwise), and the test ends a
// child whenever it likes. Everything it is asked to do is written to `events`, in order.
import {
  SpawnError,
  type Child,
  type ChildHandlers,
  type CommandResult,
  type ProcessLauncher,
  type SpawnRequest,
} from '../../src/platform/types.js';

interface Live {
  readonly name: string;
  readonly handlers: ChildHandlers;
}

export class FakeLauncher implements ProcessLauncher {
  readonly events: string[] = [];
  /** Processes that ignore a graceful stop (only a kill ends them). */
  readonly stubborn = new Set<string>();
  /** Processes whose spawn fails (a missing executable, say). */
  readonly unspawnable = new Set<string>();
  readonly #live = new Map<number, Live>();
  #nextPid = 100;

  spawn(request: SpawnRequest, handlers: ChildHandlers): Promise<Child> {
    if (this.unspawnable.has(request.name)) {
      this.events.push(`spawn-failed ${request.name}`);
      return Promise.reject(new SpawnError('not-found', `${request.name}: command: x not found`));
    }
    const pid = this.#nextPid++;
    this.#live.set(pid, { name: request.name, handlers });
    this.events.push(`spawn ${request.name}`);
    return Promise.resolve({
      pid,
      identity: { pid, startTime: 1 },
      write: () => true,
      closeStdin: () => undefined,
      resumeOutput: () => undefined,
    });
  }

  graceful(child: Child): void {
    this.signal(child, 'SIGTERM');
  }

  signal(child: Child, signal: string): void {
    const live = this.#live.get(child.pid);
    if (live === undefined) return;
    this.events.push(`stop ${live.name}`);
    if (!this.stubborn.has(live.name)) this.exit(child.pid, null, signal);
  }

  killTree(child: Child): Promise<void> {
    const live = this.#live.get(child.pid);
    if (live !== undefined) {
      this.events.push(`kill ${live.name}`);
      this.exit(child.pid, null, 'SIGKILL');
    }
    return Promise.resolve();
  }

  suspend(child: Child): void {
    const live = this.#live.get(child.pid);
    if (live !== undefined) this.events.push(`suspend ${live.name}`);
  }

  resume(child: Child): void {
    const live = this.#live.get(child.pid);
    if (live !== undefined) this.events.push(`resume ${live.name}`);
  }

  /** While set, helper commands (stop commands, exec probes) run until it resolves. */
  commandGate: Promise<void> | null = null;

  runCommand(command: readonly string[]): Promise<CommandResult> {
    this.events.push(`command ${command.join(' ')}`);
    const done = { code: 0, signal: null, timedOut: false };
    return this.commandGate === null ? Promise.resolve(done) : this.commandGate.then(() => done);
  }

  /** Ends a child as if it exited by itself; the supervisor hears of it a moment later. */
  exit(pid: number, code: number | null, signal: string | null = null): void {
    const live = this.#live.get(pid);
    if (live === undefined) return;
    this.#live.delete(pid);
    queueMicrotask(() => {
      live.handlers.onExit(code, signal);
    });
  }

  /**
   * Makes the child of `name` print one line (bytes as given, complete). As a real launcher may,
   * it passes a buffer it overwrites once the handler returns: whoever kept it sees '?'s.
   */
  print(name: string, stream: 'stdout' | 'stderr', bytes: Buffer): boolean {
    for (const live of this.#live.values()) {
      if (live.name !== name) continue;
      const scratch = Buffer.from(bytes);
      const ok = live.handlers.onLine(stream, { bytes: scratch, complete: true });
      scratch.fill(0x3f);
      return ok;
    }
    throw new Error(`no running child named ${name}`);
  }

  /** The pid of the running child of `name`, or undefined. */
  pidOf(name: string): number | undefined {
    for (const [pid, live] of this.#live) if (live.name === name) return pid;
    return undefined;
  }

  get running(): string[] {
    return [...this.#live.values()].map((l) => l.name).sort();
  }
}
