import { parseArgs } from 'node:util';
import { CorralError } from '../errors.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { hostPlatform, loadManifest } from '../manifest/load.js';
import type { Platform } from '../manifest/spec.js';
import { EXIT, type Io } from './io.js';
import { renderPlan } from './plan.js';
import { manifestArgument, usageError } from './usage.js';

export const validateUsage = `usage: corral validate [<manifest> | -c <manifest>] [--json] [--platform windows|linux] [--plan]

Checks a manifest and reports every problem at once as file:line:col key.path: message.
  -c, --config <file>   the manifest (default ./corral.yaml)
  --json                print the result as JSON
  --platform <name>     check for windows or linux (default: this machine's)
  --plan                when valid, also print the start and stop order
Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.
`;

export async function validateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      platform: { type: 'string' },
      plan: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(validateUsage);
    return EXIT.ok;
  }
  const file = manifestArgument(values.config, positionals, 'validate');
  const platform = parsePlatform(values.platform);
  let result;
  try {
    result = await loadManifest(file, { platform, env: io.env });
  } catch (error) {
    if (error instanceof CorralError && values.json) {
      io.stdout(
        `${JSON.stringify({ file, valid: false, error: { code: error.code, message: error.message } }, null, 2)}\n`,
      );
    }
    throw error;
  }
  const { manifest, diagnostics } = result;
  if (values.json) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const report = {
      file,
      platform,
      valid: manifest !== null,
      errors,
      warnings: diagnostics.length - errors,
      diagnostics,
    };
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const d of diagnostics) io.stdout(`${formatDiagnostic(d)}\n`);
    io.stdout(`${summarize(file, diagnostics, manifest !== null, manifest?.processes.length ?? 0)}\n`);
    if (manifest !== null && values.plan) io.stdout(`\n${renderPlan(manifest)}`);
  }
  return manifest === null ? EXIT.failed : EXIT.ok;
}

function parsePlatform(value: string | undefined): Platform {
  if (value === undefined) return hostPlatform();
  if (value === 'windows' || value === 'linux') return value;
  throw usageError(`--platform must be windows or linux, got "${value}"`, validateUsage);
}

export { CorralError };
