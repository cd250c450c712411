// Registers, updates and removes the service through the SCM API. What to register is decided in
// service-config.ts; this file makes the calls and turns the SCM's refusals into messages that
// say what to do.
import { isCorralCommandLine, type InstallPlan } from './service-config.js';
import { SERVICE_STATE } from './service-status.js';
import {
  changeServiceConfig,
  closeServiceHandle,
  createService,
  deleteService,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_LEVEL,
  ERROR_SERVICE_EXISTS,
  ERROR_SERVICE_MARKED_FOR_DELETE,
  openService,
  queryServiceStatus,
  registerEventLogSource,
  removeEventLogSource,
  serviceBinaryPath,
  setServiceDelayedAutoStart,
  setServiceDescription,
  setServiceFailureActions,
  setServiceFailureActionsOnStop,
  setServicePreshutdownTimeout,
  stopService,
  Win32Error,
  openServiceManager,
} from './win32.js';

/** The message file every .NET Framework 4 event source uses: any event id shows as its text. */
export const EVENT_MESSAGE_FILE =
  '%SystemRoot%\\Microsoft.NET\\Framework64\\v4.0.30319\\EventLogMessages.dll';

/** An SCM refusal, with what to do about it. */
export class InstallError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'InstallError';
  }
}

function explained(error: unknown, name: string): unknown {
  if (!(error instanceof Win32Error)) return error;
  switch (error.code) {
    case ERROR_ACCESS_DENIED:
      return new InstallError(
        `${error.call} was refused (access denied): managing services needs an administrator`,
        'run it again from an elevated prompt (Run as administrator)',
      );
    case ERROR_SERVICE_MARKED_FOR_DELETE:
      return new InstallError(
        `the service ${name} is marked for deletion and cannot be changed until it is gone`,
        'close Services (services.msc) and anything else holding it open, or reboot, then run it again',
      );
    case ERROR_SERVICE_EXISTS:
      return new InstallError(
        `the service name ${name} is already taken`,
        `choose another one with --name, or remove the other service first (sc delete ${name})`,
      );
    default:
      return error;
  }
}

/** Runs `call`, ignoring a failure with Windows error `code` when `when`; true when it worked. */
function ignoring(code: number, when: boolean, call: () => void): boolean {
  try {
    call();
    return true;
  } catch (error) {
    if (!(when && error instanceof Win32Error && error.code === code)) throw error;
    return false;
  }
}

export interface InstallResult {
  readonly done: 'created' | 'updated';
  /** Settings this Windows does not know (ERROR_INVALID_LEVEL: Wine), left out. */
  readonly skipped: readonly string[];
}

/** Creates the service, or updates it when it exists (install is idempotent). */
export function installService(plan: InstallPlan): InstallResult {
  const { name } = plan.config;
  const skipped: string[] = [];
  const optional = (what: string, call: () => void) => {
    if (!ignoring(ERROR_INVALID_LEVEL, true, call)) skipped.push(what);
  };
  try {
    const scm = openServiceManager(true);
    try {
      const existing = openService(scm, name);
      if (existing !== null) {
        const runs = serviceBinaryPath(existing);
        if (!isCorralCommandLine(runs)) {
          closeServiceHandle(existing);
          throw new InstallError(
            `a service named ${name} already exists and runs ${runs}, not corral: it is left alone`,
            'choose another service.name in the manifest, or pass --name',
          );
        }
      }
      const service = existing ?? createService(scm, plan.config);
      try {
        if (existing !== null) changeServiceConfig(service, plan.config);
        setServiceDescription(service, plan.description);
        // Set when asked for, or to clear it on an update; a fresh service is not delayed anyway
        // (and Wine does not know this level: ERROR_INVALID_LEVEL).
        if (plan.delayedAutoStart || existing !== null) {
          ignoring(ERROR_INVALID_LEVEL, !plan.delayedAutoStart, () => {
            setServiceDelayedAutoStart(service, plan.delayedAutoStart);
          });
        }
        setServiceFailureActions(service, plan.failureActions);
        optional('failure actions on an error exit (SERVICE_CONFIG_FAILURE_ACTIONS_FLAG)', () => {
          setServiceFailureActionsOnStop(service);
        });
        const preshutdown = plan.preshutdownTimeout;
        if (preshutdown !== null) {
          optional('the preshutdown timeout (SERVICE_CONFIG_PRESHUTDOWN_INFO)', () => {
            setServicePreshutdownTimeout(service, preshutdown);
          });
        }
      } finally {
        closeServiceHandle(service);
      }
      // The event source, so that Event Viewer shows corral's messages as they are written: the
      // .NET Framework's generic message file formats every event id as its text ("%1").
      try {
        registerEventLogSource(name, EVENT_MESSAGE_FILE);
      } catch {
        skipped.push('the event log source (Event Viewer will prefix each message with a note)');
      }
      return { done: existing === null ? 'created' : 'updated', skipped };
    } finally {
      closeServiceHandle(scm);
    }
  } catch (error) {
    throw explained(error, name);
  }
}

/**
 * Stops the service if it runs (waiting up to `waitMs` for STOPPED), then deletes it. Resolves
 * 'absent' when there was no such service.
 */
export async function uninstallService(
  name: string,
  waitMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<'deleted' | 'absent'> {
  try {
    const scm = openServiceManager(false);
    try {
      const service = openService(scm, name);
      if (service === null) return 'absent';
      try {
        const runs = serviceBinaryPath(service);
        if (!isCorralCommandLine(runs)) {
          throw new InstallError(
            `the service ${name} runs ${runs}, not corral: it is left alone`,
            'name the service corral installed (its service.name, or the --name given to install)',
          );
        }
        if (stopService(service)) {
          const deadline = Date.now() + waitMs;
          while (queryServiceStatus(service).currentState !== SERVICE_STATE.stopped) {
            if (Date.now() > deadline) {
              throw new InstallError(
                `the service ${name} did not stop within ${waitMs} ms`,
                `look at its log, stop it (sc stop ${name}) and run it again`,
              );
            }
            await sleep(250);
          }
        }
        deleteService(service);
        try {
          removeEventLogSource(name);
        } catch {
          // Only a registry key left behind; the service itself is gone.
        }
      } finally {
        closeServiceHandle(service);
      }
      return 'deleted';
    } finally {
      closeServiceHandle(scm);
    }
  } catch (error) {
    throw explained(error, name);
  }
}
