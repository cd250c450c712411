// Who this process runs as, as a SID: the account a service runs as (SYSTEM for LocalSystem), or
// the administrator running `corral install`, whose SID install records as trusted.
import os from 'node:os';
import { accountSid } from './win32.js';

/** The SID of the account this process runs as, or null when Windows cannot name it. */
export function currentAccountSid(env: NodeJS.ProcessEnv = process.env): string | null {
  const user = env['USERNAME'] ?? os.userInfo().username;
  const domain = env['USERDOMAIN'];
  return (domain === undefined ? null : accountSid(`${domain}\\${user}`)) ?? accountSid(user);
}
