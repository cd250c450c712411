// Tells the SCM where the service is, and keeps a pending state alive: while START_PENDING or
// STOP_PENDING, the checkpoint advances every PULSE_MS (the SCM takes a checkpoint that stops
// moving within the wait hint for a hung service). Each state change is reported at once with a
// fresh checkpoint sequence; STOPPED is final.
import type { Clock, Timer } from '../../core/clock.js';
import { isPending, PULSE_MS, statusFor, type HostState } from './service-status.js';
import type { ServiceStatusFields } from './win32.js';

export class ServiceReporter {
  #state: HostState = { kind: 'starting' };
  #checkPoint = 1;
  #pulse: Timer | null = null;

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      /** SetServiceStatus; a failure is the caller's to log. */
      readonly report: (status: ServiceStatusFields) => void;
    },
  ) {}

  /** Whether PRESHUTDOWN is accepted (the manifest sets service.preshutdown_timeout); next report on. */
  #preshutdown = false;

  set preshutdown(accept: boolean) {
    this.#preshutdown = accept;
  }

  get state(): HostState {
    return this.#state;
  }

  /** Moves to `state` and reports it (a pending state then keeps pulsing). Nothing after STOPPED. */
  set(state: HostState): void {
    if (this.#state.kind === 'stopped') return;
    this.#state = state;
    this.#checkPoint = 1;
    this.#pulse?.cancel();
    this.#pulse = null;
    this.#send();
    if (isPending(state)) this.#arm();
  }

  /** Reports the current status again (INTERROGATE). */
  interrogate(): void {
    this.#send();
  }

  /** The status that would be reported now. */
  current(): ServiceStatusFields {
    return statusFor(this.#state, {
      now: this.deps.clock.now(),
      checkPoint: this.#checkPoint,
      preshutdown: this.#preshutdown,
    });
  }

  #arm(): void {
    this.#pulse = this.deps.clock.after(PULSE_MS, () => {
      this.#checkPoint++;
      this.#send();
      this.#arm();
    });
  }

  #send(): void {
    this.deps.report(this.current());
  }
}
