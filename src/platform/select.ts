// The one place that picks the platform implementation.
import { CorralError } from '../errors.js';
import { PosixLauncher } from './posix/launcher.js';
import type { ProcessLauncher } from './types.js';

export function platformLauncher(): ProcessLauncher {
  if (process.platform === 'win32') {
    throw new CorralError(
      'E_USAGE',
      'corral run does not support Windows yet',
      'the Windows service host comes with the Windows issue',
    );
  }
  return new PosixLauncher();
}
