// Who this process runs as, as a SID: the account a service runs as (SYSTEM for LocalSystem,
// LocalService, NetworkService, a virtual account), or the administrator running `corral install`,
// whose SID install records as trusted.
import os from 'node:os';
import { accountSid, processUserSid } from './win32.js';

/**
 * The SID of the account this process runs as, or null when Windows cannot name it. The process
 * token says it for every kind of account; USERNAME and USERDOMAIN are only a fallback, since they
 * need not name the account (as SYSTEM, USERNAME holds the machine's name, COMPUTER$).
 */
export function currentAccountSid(env: NodeJS.ProcessEnv = process.env): string | null {
  return processUserSid() ?? sidByName(env);
}

function sidByName(env: NodeJS.ProcessEnv): string | null {
  const user = env['USERNAME'] ?? os.userInfo().username;
  const domain = env['USERDOMAIN'];
  return (domain === undefined ? null : accountSid(`${domain}\\${user}`)) ?? accountSid(user);
}
