// A Supervisor whose processes write real output files (ProcessOutput), wired as `corral run`
// wires them minus the console echo: for the tests of child output through the whole path.
import { systemClock } from '../../src/core/clock.js';
import { Supervisor } from '../../src/core/supervisor.js';
import type { ResolvedManifest } from '../../src/manifest/spec.js';
import { processOutputs } from '../../src/logging/process-output.js';
import type { ProcessLauncher } from '../../src/platform/types.js';

/** `problems` collects what the output files report (their onProblem). */
export function supervisorWithFiles(
  manifest: ResolvedManifest,
  launcher: ProcessLauncher,
  problems: string[] = [],
): Supervisor {
  return new Supervisor(manifest, {
    launcher,
    clock: systemClock,
    random: Math.random,
    baseEnv: { PATH: process.env['PATH'] ?? '' },
    readEnvFile: () => ({}),
    echoOutput: false,
    openOutput: processOutputs({ clock: systemClock, onProblem: (_name, message) => problems.push(message) }),
  });
}
