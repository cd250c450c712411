// What the service manager says about a service, in words for `corral status` when no supervisor
// answers on the control pipe: installed or not, its state, and how it last stopped.
import { ERROR_SERVICE_SPECIFIC_ERROR, SERVICE_EXIT_CODES } from './service-exit-codes.js';
import { SERVICE_STATE } from './service-status.js';
import {
  closeServiceHandle,
  openService,
  openServiceManager,
  queryServiceStatus,
  serviceBinaryPath,
  startService,
  stopService,
  type ServiceStatusFields,
} from './win32.js';
import { isCorralCommandLine } from './service-config.js';

const STATE_NAMES: Readonly<Record<number, string>> = {
  [SERVICE_STATE.stopped]: 'STOPPED',
  [SERVICE_STATE.startPending]: 'START_PENDING',
  [SERVICE_STATE.stopPending]: 'STOP_PENDING',
  [SERVICE_STATE.running]: 'RUNNING',
  [SERVICE_STATE.continuePending]: 'CONTINUE_PENDING',
  [SERVICE_STATE.pausePending]: 'PAUSE_PENDING',
  [SERVICE_STATE.paused]: 'PAUSED',
};

/** "the service manager says: ..." for service `name`; null when it cannot be asked. */
export function scmStateOf(name: string): string | null {
  try {
    const scm = openServiceManager(false);
    try {
      const service = openService(scm, name);
      if (service === null) return `no service ${name} is installed (corral install registers it)`;
      try {
        return describeStatus(name, queryServiceStatus(service));
      } finally {
        closeServiceHandle(service);
      }
    } finally {
      closeServiceHandle(scm);
    }
  } catch {
    return null; // not allowed to ask (not elevated), or no service manager
  }
}

/** Pure: the words for one SERVICE_STATUS. */
export function describeStatus(name: string, status: ServiceStatusFields): string {
  const state = STATE_NAMES[status.currentState] ?? `state ${status.currentState}`;
  if (status.currentState !== SERVICE_STATE.stopped) return `the service ${name} is ${state}`;
  if (status.win32ExitCode === 0) return `the service ${name} is STOPPED (it stopped as asked)`;
  if (status.win32ExitCode !== ERROR_SERVICE_SPECIFIC_ERROR) {
    return `the service ${name} is STOPPED with Windows error ${status.win32ExitCode}`;
  }
  const known = Object.values(SERVICE_EXIT_CODES).find((e) => e.code === status.serviceSpecificExitCode);
  return `the service ${name} is STOPPED with code ${status.serviceSpecificExitCode}${known === undefined ? '' : `: ${known.meaning}`}`;
}

/**
 * `corral start` / `corral stop` without process names: starts or stops the installed service and
 * waits (polling the SCM, at most `ms`) until it is RUNNING or STOPPED. Resolves with what the
 * service manager then says; throws with a message when it cannot.
 */
export async function driveService(
  name: string,
  action: 'start' | 'stop',
  ms: number,
  sleep: (ms: number) => Promise<void>,
): Promise<{ readonly ok: boolean; readonly said: string }> {
  const scm = openServiceManager(false);
  try {
    const service = openService(scm, name);
    if (service === null) throw new Error(`no service ${name} is installed (corral install registers it)`);
    try {
      const runs = serviceBinaryPath(service);
      if (!isCorralCommandLine(runs)) throw new Error(`the service ${name} runs ${runs}, not corral`);
      if (action === 'start') startService(service);
      else stopService(service);
      const goal = action === 'start' ? SERVICE_STATE.running : SERVICE_STATE.stopped;
      const deadline = Date.now() + ms;
      for (;;) {
        const status = queryServiceStatus(service);
        // A start can also end in STOPPED (the manifest could not run, a critical process gave up).
        const settled =
          status.currentState === goal ||
          (action === 'start' && status.currentState === SERVICE_STATE.stopped);
        if (settled || Date.now() > deadline) {
          return {
            ok: status.currentState === goal && status.win32ExitCode === 0,
            said: describeStatus(name, status),
          };
        }
        await sleep(250);
      }
    } finally {
      closeServiceHandle(service);
    }
  } finally {
    closeServiceHandle(scm);
  }
}
