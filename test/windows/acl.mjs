// The manifest check's reader on Wine: GetFileSecurityW gives a self-relative descriptor that
// security-descriptor.ts reads and manifest-acl.ts judges. Wine makes the descriptor up from the
// Unix mode (owner: the Wine user; Everyone: read, or read and write for a world-writable file),
// so a 0644 and a 0666 file (args) show whether the DACL part of the judgement works end to end.
import { args, report, scenario } from './driver.mjs';

const { readSecurity } = await import('../../dist/platform/windows/read-security.js');
const { judgeDescriptor } = await import('../../dist/platform/windows/manifest-acl.js');

await scenario(() => {
  for (const [name, target] of [
    ['private', args[0]],
    ['shared', args[1]],
    ['missing', `${args[0]}.nope`],
  ]) {
    const found = readSecurity(target);
    if (found === 'missing') {
      report(name, { missing: true });
      continue;
    }
    // The owner (the Wine user) is trusted here, as the account corral runs as would be.
    report(name, {
      owner: found.sd.owner,
      problem: judgeDescriptor(target, found.kind, found.sd, [found.sd.owner]),
    });
  }
});
