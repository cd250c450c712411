// The service-specific exit codes corral reports to the SCM (README: "Windows service exit codes").
// A stop that went as asked reports STOPPED with exit code 0; any of these is reported as
// dwWin32ExitCode ERROR_SERVICE_SPECIFIC_ERROR (1066) with the code in dwServiceSpecificExitCode,
// which `sc query` shows as SERVICE_EXIT_CODE and which makes the SCM's recovery actions fire.

/** Windows' "the service has returned a service-specific error code". */
export const ERROR_SERVICE_SPECIFIC_ERROR = 1066;

export const SERVICE_EXIT_CODES = {
  criticalGaveUp: {
    code: 1,
    meaning: 'a critical process gave up (its restart policy stopped restarting it); the log names it',
  },
  killedOnStop: {
    code: 2,
    meaning: 'the ordered stop ran out of time (service.stop_timeout or the shutdown budget) and had to kill',
  },
  couldNotStart: {
    code: 3,
    meaning:
      'the service could not run the manifest (invalid, unreadable, or refused); the event log says why',
  },
} as const;

export type ServiceExit = keyof typeof SERVICE_EXIT_CODES | 'ok';

/** The dwWin32ExitCode and dwServiceSpecificExitCode of a STOPPED report for `exit`. */
export function exitCodesOf(exit: ServiceExit): { win32: number; specific: number } {
  if (exit === 'ok') return { win32: 0, specific: 0 };
  return { win32: ERROR_SERVICE_SPECIFIC_ERROR, specific: SERVICE_EXIT_CODES[exit].code };
}
