// `corral install [<manifest>] [--name <service>]` and `corral uninstall [<manifest>|<name>]`: the
// Windows service registration. install validates the manifest first and refuses an invalid one
// with the validator's messages; installing again updates the service (idempotent). uninstall
// stops the service if it runs, then deletes it.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CorralError } from '../errors.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { loadManifest } from '../manifest/load.js';
import type { ResolvedManifest } from '../manifest/spec.js';
import { EXIT, type Io } from './io.js';
import { manifestArgument } from './usage.js';

export const installUsage = `usage: corral install [<manifest> | -c <manifest>] [--name <service>] [--insecure-manifest]

Registers the manifest as a Windows service (or updates the one registered under that name): the
name, display name, description, start type, account, recovery actions and preshutdown timeout
come from the manifest's service section; --name overrides service.name. The service runs
"<node.exe>" "<corral.js>" service --trust <your SID> "<absolute manifest path>". Needs an
elevated prompt. It refuses a manifest, env_file or folder above them that others than the
administrators (and you) can change, printing the icacls that fixes each; --insecure-manifest
installs anyway, and the service then logs a warning naming each path at every start.
Exit status: 0 installed or updated, 1 invalid or unsafe manifest or refused by Windows, 2 usage error.
`;

export const uninstallUsage = `usage: corral uninstall [<manifest> | -c <manifest> | --name <service>]

Stops the Windows service (waiting for its ordered stop) and deletes it. The service is named by
--name, or by the manifest's service.name.
Exit status: 0 removed (or there was none), 1 refused by Windows, 2 usage error.
`;

/** The installed entry point, which the service runs. */
const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral.js', import.meta.url));

/** How long uninstall waits for a running service to stop beyond its stop_timeout. */
const UNINSTALL_MARGIN_MS = 15_000;

function parse(args: string[], command: string) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      name: { type: 'string' },
      'insecure-manifest': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  return {
    file: manifestArgument(values.config, positionals, command),
    name: values.name,
    insecureManifest: values['insecure-manifest'],
  };
}

function windowsOnly(command: string): void {
  if (process.platform !== 'win32') {
    throw new CorralError(
      'E_USAGE',
      `corral ${command} manages a Windows service; this is ${process.platform}`,
    );
  }
}

/** The manifest, or null after printing every diagnostic. */
async function validManifest(file: string, io: Io): Promise<ResolvedManifest | null> {
  const { manifest, diagnostics } = await loadManifest(file, { env: io.env });
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
  if (manifest === null) {
    io.stderr(`${summarize(file, diagnostics, false, 0)}\ncorral: not installed: the manifest is invalid\n`);
  }
  return manifest;
}

export async function installCommand(args: string[], io: Io): Promise<number> {
  const options = parse(args, 'install');
  if (options === null) {
    io.stdout(installUsage);
    return EXIT.ok;
  }
  windowsOnly('install');
  const manifest = await validManifest(options.file, io);
  if (manifest === null) return EXIT.failed;
  const { installPlan, serviceCommandLine } = await import('../platform/windows/service-config.js');
  const { installService, InstallError } = await import('../platform/windows/installer.js');
  const name = options.name ?? manifest.service.name;
  // The service runs the manifest as LocalSystem (by default): refuse one that others than the
  // administrators (and this administrator, who installs it and is trusted from now on) can change.
  const { checkWindowsManifestAcl, formatWindowsProblems } =
    await import('../platform/windows/manifest-acl.js');
  const { readSecurity } = await import('../platform/windows/read-security.js');
  const { currentAccountSid } = await import('../platform/windows/accounts.js');
  const me = currentAccountSid();
  const problems = checkWindowsManifestAcl(manifest, readSecurity, me === null ? [] : [me]);
  if (problems.length > 0 && !options.insecureManifest) {
    io.stderr(`${formatWindowsProblems(problems)}corral: not installed\n`);
    return EXIT.failed;
  }
  for (const p of problems) {
    io.stderr(
      `corral: warning: --insecure-manifest: installing although ${p.path} ${p.what.join(', and ')}\n`,
    );
  }
  const flags = [
    ...(me === null ? [] : ['--trust', me]),
    ...(options.insecureManifest ? ['--insecure-manifest'] : []),
  ];
  const binaryPath = serviceCommandLine(process.execPath, CORRAL_BIN, manifest.file, flags);
  try {
    const { done, skipped } = installService(installPlan(manifest, name, binaryPath));
    for (const what of skipped)
      io.stderr(`corral: warning: this Windows does not support ${what}; left out\n`);
    io.stdout(`${done === 'created' ? 'installed' : 'updated'} service ${name}: ${binaryPath}\n`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    io.stderr(`corral: ${error.message}\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`);
    return EXIT.failed;
  }
}

export async function uninstallCommand(args: string[], io: Io): Promise<number> {
  const options = parse(args, 'uninstall');
  if (options === null) {
    io.stdout(uninstallUsage);
    return EXIT.ok;
  }
  windowsOnly('uninstall');
  let name = options.name;
  let waitMs = 60_000;
  if (name === undefined || fs.existsSync(options.file)) {
    const { manifest } = await loadManifest(options.file, { env: io.env });
    if (manifest !== null) {
      name ??= manifest.service.name;
      waitMs = manifest.service.stop_timeout;
    }
  }
  if (name === undefined) {
    throw new CorralError(
      'E_USAGE',
      `no service to uninstall: ${options.file} is not a valid manifest and no --name was given`,
      'corral uninstall --name <service>',
    );
  }
  const { uninstallService, InstallError } = await import('../platform/windows/installer.js');
  try {
    const done = await uninstallService(
      name,
      waitMs + UNINSTALL_MARGIN_MS,
      (ms) => new Promise((r) => setTimeout(r, ms)),
    );
    io.stdout(done === 'deleted' ? `uninstalled service ${name}\n` : `there is no service ${name}\n`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    io.stderr(`corral: ${error.message}\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`);
    return EXIT.failed;
  }
}
