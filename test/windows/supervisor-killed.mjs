// The supervisor dies hard: this driver starts two children with descendants (one a Node chain, one
// a batch file whose cmd.exe runs a Node child with a child), reports its own pid, and waits to be
// killed from outside (the Linux side checks that nothing survives it).
import {
  WindowsLauncher,
  args,
  batchRunning,
  fixtureRequest,
  report,
  scenario,
  scratch,
  spawnRecorded,
} from './driver.mjs';

const [tag] = args;
await scenario(async () => {
  const launcher = new WindowsLauncher();
  const a = await spawnRecorded(launcher, fixtureRequest(`${tag}a`, ['--tree', '2']));
  const bat = batchRunning(scratch, `${tag}b`, ['--tree', '1']);
  const b = await spawnRecorded(launcher, fixtureRequest(`${tag}b`, [], { command: [bat] }));
  await Promise.all([a.waitFor('READY'), b.waitFor('READY')]);
  report('ready', { supervisor: process.pid, lines: [...a.lines, ...b.lines] });
  await new Promise(() => setInterval(() => undefined, 60_000)); // until killed
});
