// Which SERVICE_STATUS the service reports in each state of its life. Pure: the reporter
// (service-reporter.ts) owns the clock and the checkpoint counter and calls this.
//
// Lifecycle: starting (START_PENDING) → running (RUNNING) ⇄ paused (PAUSED) → stopping
// (STOP_PENDING) → stopped (STOPPED). Pending states carry a checkpoint that the reporter advances
// every PULSE_MS, and a wait hint the SCM may trust: the next report comes within it.
import { exitCodesOf, type ServiceExit } from './service-exit-codes.js';
import type { ServiceStatusFields } from './win32.js';

export const SERVICE_WIN32_OWN_PROCESS = 0x10;

export const SERVICE_STATE = {
  stopped: 1,
  startPending: 2,
  stopPending: 3,
  running: 4,
  continuePending: 5,
  pausePending: 6,
  paused: 7,
} as const;

export const SERVICE_CONTROL = {
  stop: 0x1,
  pause: 0x2,
  continue: 0x3,
  interrogate: 0x4,
  shutdown: 0x5,
  paramChange: 0x6,
  preshutdown: 0xf,
} as const;

export const SERVICE_ACCEPT = {
  stop: 0x1,
  pauseContinue: 0x2,
  shutdown: 0x4,
  paramChange: 0x8,
  preshutdown: 0x100,
} as const;

/** HandlerEx's answers. */
export const NO_ERROR = 0;
export const ERROR_CALL_NOT_IMPLEMENTED = 120;

/** How often a pending state's checkpoint advances. */
export const PULSE_MS = 1_000;
/** The wait hint of a pending state: three pulses, so one late timer does not look like a hang. */
export const PENDING_WAIT_HINT_MS = 3 * PULSE_MS;

export type HostState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  | { readonly kind: 'paused' }
  /** `deadline`: monotonic ms by which the stop is over, kill included. */
  | { readonly kind: 'stopping'; readonly deadline: number }
  | { readonly kind: 'stopped'; readonly exit: ServiceExit };

export interface StatusContext {
  readonly now: number;
  readonly checkPoint: number;
  /** The manifest sets service.preshutdown_timeout. */
  readonly preshutdown: boolean;
}

/**
 * The controls accepted in each state. While starting (readiness gates can take minutes) an
 * operator can still stop the service; pause and reload wait for RUNNING. Nothing is accepted
 * once the stop has begun.
 */
export function controlsAccepted(state: HostState, preshutdown: boolean): number {
  const stops =
    SERVICE_ACCEPT.stop | SERVICE_ACCEPT.shutdown | (preshutdown ? SERVICE_ACCEPT.preshutdown : 0);
  switch (state.kind) {
    case 'starting':
      return stops;
    case 'running':
    case 'paused':
      return stops | SERVICE_ACCEPT.pauseContinue | SERVICE_ACCEPT.paramChange;
    case 'stopping':
    case 'stopped':
      return 0;
  }
}

export function statusFor(state: HostState, context: StatusContext): ServiceStatusFields {
  const base = {
    serviceType: SERVICE_WIN32_OWN_PROCESS,
    controlsAccepted: controlsAccepted(state, context.preshutdown),
    win32ExitCode: 0,
    serviceSpecificExitCode: 0,
  };
  switch (state.kind) {
    case 'starting':
      return {
        ...base,
        currentState: SERVICE_STATE.startPending,
        checkPoint: context.checkPoint,
        waitHint: PENDING_WAIT_HINT_MS,
      };
    case 'running':
      return { ...base, currentState: SERVICE_STATE.running, checkPoint: 0, waitHint: 0 };
    case 'paused':
      return { ...base, currentState: SERVICE_STATE.paused, checkPoint: 0, waitHint: 0 };
    case 'stopping':
      return {
        ...base,
        currentState: SERVICE_STATE.stopPending,
        checkPoint: context.checkPoint,
        waitHint: Math.max(PENDING_WAIT_HINT_MS, Math.ceil(state.deadline - context.now)),
      };
    case 'stopped': {
      const codes = exitCodesOf(state.exit);
      return {
        ...base,
        currentState: SERVICE_STATE.stopped,
        win32ExitCode: codes.win32,
        serviceSpecificExitCode: codes.specific,
        checkPoint: 0,
        waitHint: 0,
      };
    }
  }
}

export function isPending(state: HostState): boolean {
  return state.kind === 'starting' || state.kind === 'stopping';
}
