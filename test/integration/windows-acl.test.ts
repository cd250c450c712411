// The Windows manifest check's reader under Wine (see test/windows/acl.mjs): a world-writable file
// is judged changeable by Everyone, a 0644 one is not, a missing one is missing. The judgement's
// rules themselves are unit-tested on crafted descriptors (test/unit/platform).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findWine, stageApp, startScenario, wineRequested, windowsPath, type Wine } from '../windows/wine.js';

describe.runIf(wineRequested)(
  'the manifest check reads real descriptors under Wine',
  { timeout: 70_000 },
  () => {
    let wine: Wine;
    beforeAll(() => {
      wine = stageApp(findWine());
    });

    it('flags a world-writable file for Everyone and passes a file only its owner may write', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-acl-'));
      const privateFile = path.join(dir, 'private.yaml');
      const sharedFile = path.join(dir, 'shared.yaml');
      fs.writeFileSync(privateFile, 'version: 1\n', { mode: 0o644 });
      fs.writeFileSync(sharedFile, 'version: 1\n', { mode: 0o666 });
      fs.chmodSync(sharedFile, 0o666);
      const running = startScenario(wine, 'acl', [windowsPath(privateFile), windowsPath(sharedFile)]);
      try {
        await running.waitFor('done', 60_000);
      } finally {
        running.process.kill('SIGKILL');
      }
      const reports = new Map(running.reports().map((r) => [r.event, r]));
      expect(reports.get('private')).toMatchObject({ problem: null });
      expect(reports.get('shared')).toMatchObject({
        problem: { path: windowsPath(sharedFile), what: ['can be changed by Everyone'] },
      });
      expect(reports.get('missing')).toMatchObject({ missing: true });
      fs.rmSync(dir, { recursive: true, force: true });
    });
  },
);
