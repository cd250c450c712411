// vitest global set-up: says plainly, once per run, when the Windows suite (under Wine) is left
// out, and how to include it. CI sets CORRAL_WINE=1, which turns a missing set-up into failures.
import { wineRequested } from '../windows/wine.js';

export function setup(): void {
  if (wineRequested) return;
  const why = process.env['CORRAL_WINE'] === '0' ? 'CORRAL_WINE=0 says so' : 'Wine is not set up here';
  process.stderr.write(
    `\n  The Windows suite (test/integration/windows-*.test.ts) is SKIPPED: ${why}.\n` +
      '  Run `npm run wine:setup` (installs wine64 as root; about 35 s) and then `npm test` or\n' +
      '  `npm run test:windows`. CORRAL_WINE=0 leaves it out on purpose.\n\n',
  );
}
