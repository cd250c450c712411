// spawn: lines of stdout and stderr arrive as lines (CR dropped), the exit code arrives after them.
import { WindowsLauncher, fixtureRequest, report, scenario, spawnRecorded, withTimeout } from './driver.mjs';

await scenario(async () => {
  const launcher = new WindowsLauncher();
  const out = await spawnRecorded(launcher, fixtureRequest('out', ['--print', '3', '--exit', '7']));
  const err = await spawnRecorded(
    launcher,
    fixtureRequest('err', ['--print', '2', '--stderr', '--exit', '0']),
  );
  const outExit = await withTimeout(out.exited, 20_000, 'out exit');
  const errExit = await withTimeout(err.exited, 20_000, 'err exit');
  report('out', { pid: out.child.pid, identity: out.child.identity, lines: out.lines, exit: outExit });
  report('err', { lines: err.lines, exit: errExit });
  let missing;
  try {
    await launcher.spawn(fixtureRequest('missing', [], { command: ['no-such-program-here.exe'] }), {
      onLine: () => true,
      onLines: () => true,
      onExit: () => undefined,
    });
  } catch (error) {
    missing = { name: error.name, code: error.code, message: error.message };
  }
  report('missing', missing);
});
