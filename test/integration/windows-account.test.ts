// The account corral runs as, under Wine (see test/windows/account.mjs): the SID read from the
// process token is the Wine user's S-1-5-21-... SID, the same one its name looks up to. Accounts
// whose names mislead (SYSTEM, LocalService, virtual accounts) exist only on real Windows.
import { beforeAll, describe, expect, it } from 'vitest';
import { findWine, runScenario, stageApp, wineRequested, type Wine } from '../windows/wine.js';

describe.runIf(wineRequested)('the account corral runs as, under Wine', { timeout: 70_000 }, () => {
  let wine: Wine;
  beforeAll(() => {
    wine = stageApp(findWine());
  });

  it("reads the user's SID from the process token, the same SID the user's name looks up to", async () => {
    const account = (await runScenario(wine, 'account', 60_000)).get('account');
    const token = account?.['token'];
    expect(token).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
    expect(account).toMatchObject({ byName: token, current: token });
  });
});
