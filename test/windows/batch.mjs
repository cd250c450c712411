// A batch file child: its arguments arrive quoted as given, and Ctrl+C ends it promptly instead of
// hanging on "Terminate batch job (Y/N)?" (its stdin is NUL). Under Wine, cmd.exe ends at Ctrl+C
// without waiting for the Node program it runs (measured: 0.6 s after Ctrl+C while that program
// was told to take 1.5 s to stop), so whether the program's GOT line comes first is a race here;
// the lines are reported for the record, and the Ctrl+C scenario shows a program receiving it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  WindowsLauncher,
  fixture,
  fixtureRequest,
  report,
  scenario,
  spawnRecorded,
  withTimeout,
} from './driver.mjs';

await scenario(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-bat-'));
  const bat = path.join(dir, 'run server.bat');
  fs.writeFileSync(
    bat,
    [
      '@echo off',
      'echo ARGS %1 %2',
      `"${process.execPath}" "${fixture}" --name bat --spin`,
      'echo AFTER %ERRORLEVEL%',
      '',
    ].join('\r\n'),
  );
  const launcher = new WindowsLauncher();
  const job = await spawnRecorded(launcher, fixtureRequest('bat', [], { command: [bat, 'a b', 'c&d'] }));
  await job.waitFor('READY');
  const sent = performance.now();
  launcher.graceful(job.child);
  const exit = await withTimeout(job.exited, 15_000, 'batch exit after Ctrl+C');
  report('batch', { lines: job.lines, exit, ms: Math.round(performance.now() - sent) });
  let refused;
  try {
    await launcher.spawn(fixtureRequest('bad', [], { command: [bat, '100%'] }), {
      onLine: () => true,
      onLines: () => true,
      onExit: () => undefined,
    });
  } catch (error) {
    refused = { name: error.name, message: error.message };
  }
  report('refused', refused);
});
