// Problems that persist (a full disk, a folder that cannot be created) are retried every second or
// so; the operator hears about each kind once per interval, not once per retry.
import type { Clock } from '../core/clock.js';

export class ReportThrottle {
  readonly #last = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly interval: number,
  ) {}

  /** True (and the interval starts again) when `key` was not allowed within the last interval. */
  allow(key: string): boolean {
    const now = this.clock.now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.interval) return false;
    this.#last.set(key, now);
    return true;
  }

  /** Milliseconds until `key` is allowed again (0 when it is now). */
  wait(key: string): number {
    const last = this.#last.get(key);
    return last === undefined ? 0 : Math.max(0, last + this.interval - this.clock.now());
  }
}
