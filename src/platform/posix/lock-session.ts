// The manifest lock over a supervisor's life: taken before anything starts (cleaning up after a
// predecessor that died without stopping), kept up to date with the processes the supervisor
// runs, released at the end. This covers what the keeper pair cannot: both of them killed at
// once, or a reboot in between (docs/design/linux-containment.md).
import type { Supervisor, LogRecord } from '../../core/supervisor.js';
import type { ResolvedManifest } from '../../manifest/spec.js';
import {
  acquireLock,
  killLeftovers,
  recordChildren,
  releaseLock,
  type LockOptions,
  type ManifestLock,
} from './manifest-lock.js';
import { identify, type ProcessIdentity } from './proc.js';

export interface LockSession {
  /** Records the supervisor's children in the lock whenever they change (coalesced per tick). */
  track(supervisor: Supervisor): void;
  release(): void;
}

/** Takes the lock (throws LockError E_LOCKED while a live corral holds it) and kills leftovers. */
export function openLockSession(
  manifest: ResolvedManifest,
  log: (record: LogRecord) => void,
  options: LockOptions = {},
): LockSession {
  const me = identify(process.pid) ?? { pid: process.pid, startTime: -1 };
  const { lock, leftovers, previous } = acquireLock(manifest.file, manifest.service.name, me, options);
  if (previous !== null) {
    const killed = killLeftovers(leftovers);
    log({
      level: 'warn',
      event: 'leftovers',
      message:
        `the previous corral for this manifest (pid ${previous.supervisor.pid}, since ${previous.acquiredAt}) ended ` +
        `without stopping its processes; ${killed.length === 0 ? 'none of them is left' : `killed what it left: pid ${killed.map((k) => k.pid).join(', ')}`}`,
    });
  }
  return new Session(lock);
}

class Session implements LockSession {
  readonly #known = new Map<number, ProcessIdentity>();
  #pending = false;
  #released = false;

  constructor(private readonly lock: ManifestLock) {}

  track(supervisor: Supervisor): void {
    supervisor.on('state', () => {
      if (this.#pending || this.#released) return;
      this.#pending = true;
      setImmediate(() => {
        this.#pending = false;
        if (!this.#released) this.#record(supervisor);
      });
    });
  }

  #record(supervisor: Supervisor): void {
    const children: ProcessIdentity[] = [];
    for (const state of supervisor.states().values()) {
      if (!('pid' in state) || state.pid === null) continue;
      let who = this.#known.get(state.pid);
      if (who === undefined) {
        who = identify(state.pid) ?? undefined;
        if (who !== undefined) this.#known.set(state.pid, who);
      }
      if (who !== undefined) children.push(who);
    }
    recordChildren(this.lock, children);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    releaseLock(this.lock);
  }
}
