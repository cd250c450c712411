// What the service manager says about a service, in words for `corral status` when no supervisor
// answers on the control pipe: installed or not, its state, and how it last stopped.
import { ERROR_SERVICE_SPECIFIC_ERROR, SERVICE_EXIT_CODES } from './service-exit-codes.js';
import { SERVICE_STATE } from './service-status.js';
import {
  closeServiceHandle,
  openService,
  openServiceManager,
  queryServiceStatus,
  type ServiceStatusFields,
} from './win32.js';

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
