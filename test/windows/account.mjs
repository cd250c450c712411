// Who the scenario's process runs as, read both ways corral can: from the process token
// (processUserSid, what currentAccountSid uses) and by looking up the names in USERNAME and
// USERDOMAIN (its fallback). Under Wine both name the Wine user; only real Windows shows the
// accounts where the names are wrong (a service as SYSTEM, LocalService, a virtual account).
import { report, scenario, win32 } from './driver.mjs';

const { currentAccountSid } = await import('../../dist/platform/windows/accounts.js');

await scenario(() => {
  const user = process.env.USERNAME ?? '';
  const domain = process.env.USERDOMAIN;
  report('account', {
    user,
    domain: domain ?? null,
    token: win32.processUserSid(),
    byName: win32.accountSid(domain === undefined ? user : `${domain}\\${user}`),
    current: currentAccountSid(),
  });
});
