// suspend/resume (a service PAUSE with pause: suspend): NtSuspendProcess on every process in the
// child's job. A suspended child cannot echo what it is sent on stdin; resumed, it does. The 700 ms
// after the write is the child's chance to answer while it should not be able to, not a wait for
// something to happen.
import { WindowsLauncher, fixtureRequest, report, scenario, spawnRecorded } from './driver.mjs';

await scenario(async () => {
  const problems = [];
  const launcher = new WindowsLauncher({ onProblem: (pid, message) => problems.push({ pid, message }) });
  const echo = await spawnRecorded(launcher, fixtureRequest('echo', ['--stdin'], { stdin: true }));
  await echo.waitFor('READY');
  launcher.suspend(echo.child);
  echo.child.write('during\n');
  await new Promise((resolve) => setTimeout(resolve, 700));
  const whileSuspended = echo.lines.filter((l) => l.startsWith('STDIN'));
  const resumedAt = performance.now();
  launcher.resume(echo.child);
  const answer = await echo.waitFor('STDIN echo during', 10_000);
  report('echo', { whileSuspended, answer, afterResumeMs: Math.round(performance.now() - resumedAt) });
  echo.child.closeStdin();
  report('exit', { exit: await echo.exited });
  report('problems', { problems });
});
