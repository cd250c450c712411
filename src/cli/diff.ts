// `corral diff old.yaml new.yaml`: what a reload from one manifest to the other would do. The
// control channel will let `corral reload --dry-run` compare against the running supervisor.
import { parseArgs } from 'node:util';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { hostPlatform, loadManifest } from '../manifest/load.js';
import type { Platform, ResolvedManifest } from '../manifest/spec.js';
import { describePlan, planReload } from '../reload/plan.js';
import { EXIT, type Io } from './io.js';
import { usageError } from './usage.js';

export const diffUsage = `usage: corral diff <old manifest> <new manifest> [--platform windows|linux]

Prints what a reload from the old manifest to the new one would do: which processes stop,
restart, start, or get new settings without a restart, and which settings need the service
restarted. Both manifests must be valid.
Exit status: 0 printed a plan, 1 a manifest is invalid, 2 usage error or unreadable file.
`;

export async function diffCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { platform: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout(diffUsage);
    return EXIT.ok;
  }
  const [before, after] = positionals;
  if (positionals.length !== 2 || before === undefined || after === undefined) {
    throw usageError(`corral diff takes two manifests, got ${positionals.length}`, diffUsage);
  }
  const platform =
    values.platform === 'windows' || values.platform === 'linux' ? values.platform : hostPlatform();
  if (values.platform !== undefined && values.platform !== platform) {
    throw usageError(`--platform must be windows or linux, got "${values.platform}"`, diffUsage);
  }
  const old = await loadValid(before, platform, io);
  const next = await loadValid(after, platform, io);
  if (old === null || next === null) return EXIT.failed;
  io.stdout(describePlan(planReload(old, next)));
  return EXIT.ok;
}

async function loadValid(file: string, platform: Platform, io: Io): Promise<ResolvedManifest | null> {
  const { manifest, diagnostics } = await loadManifest(file, { platform, env: io.env });
  if (manifest !== null) return manifest;
  for (const d of diagnostics) io.stdout(`${formatDiagnostic(d)}\n`);
  io.stdout(`${summarize(file, diagnostics, false, 0)}\n`);
  return null;
}
