// corral's side of the in-process measures: a Supervisor built as `corral run` builds it (the
// platform's launcher, the system clock), minus the console logger.
import { systemClock } from '../../dist/core/clock.js';
import { Supervisor } from '../../dist/core/supervisor.js';
import { platformLauncher } from '../../dist/platform/select.js';

export function supervise(manifest) {
  return new Supervisor(manifest, {
    launcher: platformLauncher(),
    clock: systemClock,
    random: Math.random,
    baseEnv: process.env,
    readEnvFile: () => ({}),
  });
}
