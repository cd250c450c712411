// Who may open the control pipe on Windows (pipe-server.ts), as an SDDL string: a protected DACL
// (P: nothing inherited, no default DACL) with one allow-all ACE each for SYSTEM, the
// Administrators group and the account the supervisor runs as (the service's account, or the user
// running `corral run`). Nobody else is named, so nobody else gets in: not Everyone, not
// Anonymous, not other users (the default DACL libuv's pipes get also lets Everyone read).
//
// GA (GENERIC_ALL) rather than read and write: a client opening the pipe read-write asks for
// FILE_GENERIC_WRITE, which takes in FILE_APPEND_DATA, the very bit that also allows creating a
// pipe instance of the name; the accounts named here are trusted with the supervisor anyway.
import { ControlError } from './errors.js';

export const SYSTEM_SID = 'S-1-5-18';
export const ADMINISTRATORS_SID = 'S-1-5-32-544';

/** A SID in string form: S-1-<authority>-<sub-authorities...>, at most 15 sub-authorities. */
const SID_FORMAT = /^S-1-\d{1,13}(-\d{1,10}){1,15}$/;

/** The DACL of the control pipe for a supervisor running as `accountSid`. */
export function pipeSddl(accountSid: string): string {
  if (!SID_FORMAT.test(accountSid)) {
    throw new ControlError(
      'E_CONTROL_UNSUPPORTED',
      `cannot restrict the control pipe to the account this supervisor runs as: "${accountSid}" is not a SID`,
    );
  }
  const aces = ['(A;;GA;;;SY)', '(A;;GA;;;BA)'];
  if (accountSid !== SYSTEM_SID && accountSid !== ADMINISTRATORS_SID) aces.push(`(A;;GA;;;${accountSid})`);
  return `D:P${aces.join('')}`;
}
