// graceful = Ctrl+C to one child's console: that child (a Node SIGINT handler) gets it; its sibling
// and this driver (the supervisor) do not.
import {
  WindowsLauncher,
  fixtureRequest,
  report,
  scenario,
  spawnRecorded,
  win32,
  withTimeout,
} from './driver.mjs';

process.on('SIGINT', () => report('driver-got-sigint'));
process.on('SIGBREAK', () => report('driver-got-sigbreak'));

await scenario(async () => {
  const problems = [];
  const launcher = new WindowsLauncher({ onProblem: (pid, message) => problems.push({ pid, message }) });
  const target = await spawnRecorded(launcher, fixtureRequest('target', ['--spin']));
  const sibling = await spawnRecorded(launcher, fixtureRequest('sibling', ['--spin']));
  await Promise.all([target.waitFor('READY'), sibling.waitFor('READY')]);
  const sent = performance.now();
  launcher.graceful(target.child);
  const exit = await withTimeout(target.exited, 15_000, 'target exit after Ctrl+C');
  report('target', { lines: target.lines, exit, ms: Math.round(performance.now() - sent) });
  // The sibling had every chance to see a stray event: the target's whole exit took longer than delivery.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  report('sibling', { lines: [...sibling.lines], running: win32.isRunning(sibling.child.pid) });
  await launcher.killTree(sibling.child);
  report('sibling-killed', { exit: await withTimeout(sibling.exited, 10_000, 'sibling exit') });
  report('problems', { problems });
});
