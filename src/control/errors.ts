// Errors of the control channel's set-up, shaped like CorralError (code, message, hint) until
// these codes join src/errors.ts (and README.md's list of codes).

/** E_RUNTIME_DIR: the socket's folder is missing or unsafe; E_SOCKET_PATH: the socket path is too
 * long or something else is in its place; E_CONTROL_IN_USE: a live server already answers there;
 * E_CONTROL_UNSUPPORTED: the control channel cannot be set up here (on Windows: its pipe's
 * security descriptor could not be made). */
export type ControlErrorCode =
  'E_RUNTIME_DIR' | 'E_SOCKET_PATH' | 'E_CONTROL_IN_USE' | 'E_CONTROL_UNSUPPORTED';

export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}
