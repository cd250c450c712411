// What `corral install` asks the SCM for, computed from the resolved manifest. Pure: installer.ts
// makes the calls.
import type { Account, FailureAction, ResolvedManifest, StartType } from '../../manifest/spec.js';
import { SERVICE_WIN32_OWN_PROCESS } from './service-status.js';
import type { FailureActionsConfig, ServiceConfig } from './win32.js';

export const SERVICE_AUTO_START = 2;
export const SERVICE_DEMAND_START = 3;
export const SERVICE_DISABLED = 4;
export const SERVICE_ERROR_NORMAL = 1;

export const SC_ACTION = { none: 0, restart: 1, reboot: 2, run: 3 } as const;

/** Everything the installer sets, beyond the binary path's parts. */
export interface InstallPlan {
  readonly config: ServiceConfig;
  readonly description: string;
  readonly delayedAutoStart: boolean;
  readonly failureActions: FailureActionsConfig;
  /** ms, or null to leave the SCM's default. */
  readonly preshutdownTimeout: number | null;
}

/**
 * One argument as CreateProcess's parser (CommandLineToArgvW) reads it back: in double quotes,
 * with backslashes doubled only where they precede a quote. A Windows path cannot contain a double
 * quote, but an argument may.
 */
export function quoteArgument(argument: string): string {
  if (argument === '') return '""';
  let out = '"';
  let slashes = 0;
  for (const char of argument) {
    if (char === '\\') {
      slashes++;
      continue;
    }
    if (char === '"') out += '\\'.repeat(2 * slashes + 1) + '"';
    else out += '\\'.repeat(slashes) + char;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(2 * slashes)}"`;
}

/**
 * The service's command line: `"<node.exe>" "<corral.js>" service "<manifest>"`, every path
 * quoted (an unquoted path with spaces, such as C:\Program Files\..., is both wrong and a known
 * privilege-escalation hole), the manifest absolute.
 */
export function serviceCommandLine(
  node: string,
  corral: string,
  manifest: string,
  flags: readonly string[] = [],
): string {
  return [node, corral, 'service', ...flags, manifest].map(quoteArgument).join(' ');
}

/**
 * Whether a service's command line is one corral install wrote (…corral.js" "service" …): install
 * updates such a service and refuses to take over any other.
 */
export function isCorralCommandLine(binaryPath: string): boolean {
  return /corral\.js"?\s+"?service"?(\s|$)/i.test(binaryPath);
}

export function startTypeOf(startType: StartType): number {
  switch (startType) {
    case 'auto':
    case 'delayed-auto':
      return SERVICE_AUTO_START;
    case 'manual':
      return SERVICE_DEMAND_START;
    case 'disabled':
      return SERVICE_DISABLED;
  }
}

/** lpServiceStartName and lpPassword: null for LocalSystem, the built-in names with no password. */
export function accountOf(account: Account): { account: string | null; password: string | null } {
  switch (account.kind) {
    case 'LocalSystem':
      return { account: null, password: null };
    case 'LocalService':
      return { account: 'NT AUTHORITY\\LocalService', password: null };
    case 'NetworkService':
      return { account: 'NT AUTHORITY\\NetworkService', password: null };
    case 'user':
      return { account: account.user, password: account.password };
  }
}

export function scActionOf(action: FailureAction): { type: number; delay: number } {
  return action.kind === 'none'
    ? { type: SC_ACTION.none, delay: 0 }
    : { type: SC_ACTION[action.kind], delay: action.delay };
}

export function failureActionsOf(manifest: ResolvedManifest): FailureActionsConfig {
  const spec = manifest.service.failure_actions;
  return {
    resetPeriod: Math.round(spec.reset_after / 1000),
    rebootMessage: spec.reboot_message,
    command: spec.command,
    actions: spec.actions.map(scActionOf),
  };
}

/** The whole installation of `manifest` as service `name`, run by `binaryPath`. */
export function installPlan(manifest: ResolvedManifest, name: string, binaryPath: string): InstallPlan {
  const { service } = manifest;
  return {
    config: {
      name,
      displayName: service.display_name,
      serviceType: SERVICE_WIN32_OWN_PROCESS,
      startType: startTypeOf(service.start_type),
      errorControl: SERVICE_ERROR_NORMAL,
      binaryPath,
      ...accountOf(service.account),
    },
    description: service.description,
    delayedAutoStart: service.start_type === 'delayed-auto',
    failureActions: failureActionsOf(manifest),
    preshutdownTimeout: service.preshutdown_timeout,
  };
}
