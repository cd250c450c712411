// The one place that picks the platform implementation.
import { PosixLauncher } from './posix/launcher.js';
import type { ProcessLauncher } from './types.js';
import { WindowsLauncher } from './windows/launcher.js';

/** `onProblem`: a Windows stop request that could not be delivered (the step's timeout goes on). */
export function platformLauncher(onProblem?: (pid: number, message: string) => void): ProcessLauncher {
  if (process.platform === 'win32') return new WindowsLauncher(onProblem === undefined ? {} : { onProblem });
  return new PosixLauncher();
}
