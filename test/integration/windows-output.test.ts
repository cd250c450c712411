// A process's output files on Windows file semantics: Windows Node under Wine writing through the
// real OutputFile (test/windows/output-held.mjs). Runs only with CORRAL_WINE=1, as the other
// windows-*.test.ts files.
import { beforeAll, describe, expect, it } from 'vitest';
import { findWine, runScenario, stageApp, wineRequested, type Wine } from '../windows/wine.js';

const SCENARIO_MS = 60_000;

describe.runIf(wineRequested)('output files under Wine', { timeout: SCENARIO_MS + 10_000 }, () => {
  let wine: Wine;
  beforeAll(() => {
    wine = stageApp(findWine());
  });

  // Another program holds the log file open without sharing delete (a separate process, through
  // CreateFileW), as editors, log shippers and virus scanners do.
  it('rotates an output file another program holds open by copying and emptying it, losing nothing', async () => {
    const r = await runScenario(wine, 'output-held', SCENARIO_MS);
    const held = r.get('held');
    expect(held, JSON.stringify(held)).toMatchObject({
      held: 'HELD',
      probeRename: 'EBUSY', // Wine enforces the sharing: a rename of a held file fails
      currentRename: 'EBUSY', // so the file rotated all along is still the one held
      intact: true,
      problems: [],
    });
    expect(held?.['files']).toBeGreaterThan(10);
  });

  // corral logs -f: its follower polls the file while the writer renames it (the follower's own
  // handle must not block that), then, while another program holds it, copies and empties it.
  it('follows an output file across rotations by rename and by copy, each line once and in order', async () => {
    const r = await runScenario(wine, 'follow', SCENARIO_MS);
    expect(r.get('follow'), JSON.stringify(r.get('follow'))).toMatchObject({
      held: 'HELD',
      afterRenames: true,
      afterCopies: true,
      problems: [],
      errors: [],
    });
  });
});
