// killTree: a child with two levels of descendants, all ignoring Ctrl+C, dies at once through its job.
import {
  WindowsLauncher,
  fixtureRequest,
  report,
  scenario,
  spawnRecorded,
  win32,
  withTimeout,
} from './driver.mjs';

await scenario(async () => {
  const launcher = new WindowsLauncher();
  const tree = await spawnRecorded(launcher, fixtureRequest('tree', ['--tree', '2', '--ignore', 'SIGINT']));
  await tree.waitFor('READY');
  const pids = [
    tree.child.pid,
    ...tree.lines.filter((l) => l.startsWith('PID ')).map((l) => Number(l.split(' ')[3])),
  ];
  report('tree', { pids, lines: tree.lines });
  const started = performance.now();
  await launcher.killTree(tree.child);
  const ms = Math.round(performance.now() - started);
  report('killed', { ms, alive: pids.filter((pid) => win32.isRunning(pid)) });
  report('exit', { exit: await withTimeout(tree.exited, 10_000, 'exit after kill') });
});
