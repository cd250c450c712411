// ctrl_break and wm_close, as far as Wine lets them run: Ctrl+Break goes through the same helper as
// Ctrl+C and fails where Wine does not implement it (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT)),
// which the launcher reports through onProblem; WM_CLOSE enumerates the top-level windows (a koffi
// callback from EnumWindows) and finds none for a console child, which it reports too. Neither
// harms the child.
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
  const problems = [];
  let heard = () => undefined;
  const launcher = new WindowsLauncher({
    onProblem: (pid, message) => {
      problems.push({ pid, message });
      heard();
    },
  });
  const target = await spawnRecorded(launcher, fixtureRequest('target', ['--spin']));
  await target.waitFor('READY');
  launcher.request(target.child, 'wm_close');
  report('wm_close', { problems: [...problems] });
  problems.length = 0;
  const outcome = new Promise((resolve) => (heard = resolve));
  launcher.request(target.child, 'ctrl_break');
  await withTimeout(outcome, 20_000, 'the Ctrl+Break outcome');
  report('ctrl_break', { problems: [...problems], running: win32.isRunning(target.child.pid) });
  await launcher.killTree(target.child);
  report('killed', { exit: await withTimeout(target.exited, 10_000, 'exit') });
});
