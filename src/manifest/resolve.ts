// Turns the checked manifest input into the frozen resolved spec: built-in defaults ← `defaults:` ←
// each process; durations already in ms; paths absolute; commands split. Problems that need more
// than one key to see (a command from defaults with a bad quote, max_delay below delay) are
// reported here, at the position of the key that carries them.
import path from 'node:path';
import { splitCommandLine } from './command-line.js';
import type { DiagnosticSink, Position } from './diagnostics.js';
import { formatDuration } from './duration.js';
import { nullRecord } from './schema/dsl.js';
import type { ManifestInput } from './schema/manifest.js';
import type { ProcessInput, RestartInput, RotationInput } from './schema/process.js';
import type { AccountInput, ServiceInput } from './schema/service.js';
import type { LogInput } from './schema/log.js';
import type {
  Account,
  FailureAction,
  LogSpec,
  OutputSpec,
  Platform,
  ProcessSpec,
  ResolvedManifest,
  RestartSpec,
  RotationSpec,
  ServiceSpec,
  StopStep,
} from './spec.js';

export const DEFAULT_STOP: readonly StopStep[] = [{ kind: 'graceful', timeout: 10_000 }, { kind: 'kill' }];

export const DEFAULT_RESTART: RestartSpec = {
  policy: 'on-failure',
  success_codes: [0],
  delay: 1_000,
  backoff: 2,
  max_delay: 60_000,
  jitter: 0.1,
  reset_after: 30_000,
  limit: { restarts: 5, window: 60_000 },
  on_limit: 'cool-down',
  cool_down: 300_000,
};

export const DEFAULT_ROTATION: RotationSpec = {
  size: 10 * 1024 * 1024,
  every: 'never',
  keep: 10,
  max_age: null,
  compress: false,
};

export const DEFAULT_FAILURE_ACTIONS: readonly FailureAction[] = [
  { kind: 'restart', delay: 10_000 },
  { kind: 'restart', delay: 60_000 },
  { kind: 'none' },
];

export interface ResolveContext {
  /** Absolute path of the manifest. */
  readonly file: string;
  readonly platform: Platform;
  readonly sink: DiagnosticSink;
  /** Where each key path was written (from the schema walk). */
  readonly positions: ReadonlyMap<string, Position>;
  /** Key paths whose values failed their check. */
  readonly invalid: ReadonlySet<string>;
}

/** Keys of a process whose mappings merge with the defaults' (everything else replaces). */
const MERGED_KEYS = new Set(['env', 'depends_on', 'restart', 'log']);

/**
 * The input may be partial (the schema walk dropped what was invalid, and reported it). Then the
 * result is still built from what is valid, so that semantic checks can run on it; `complete`
 * says whether it may be used. A process whose own keys failed their check, or whose command
 * cannot be resolved, is left out.
 */
export function resolveManifest(
  input: Partial<ManifestInput>,
  ctx: ResolveContext,
): { manifest: ResolvedManifest; complete: boolean; serviceValid: boolean } {
  const errorsBefore = ctx.sink.errorCount;
  const dir = path.dirname(ctx.file);
  const log = resolveLog(input.log ?? {}, dir, ctx.platform);
  const processes: ProcessSpec[] = [];
  for (const [name, own] of Object.entries(input.processes ?? {})) {
    const merged = mergeProcess(input.defaults ?? {}, own);
    processes.push(resolveProcess(name, merged, input.log ?? {}, log, dir, ctx));
  }
  const serviceValid = input.service !== undefined && !ctx.invalid.has('service');
  const service = resolveService(input.service ?? { name: '' }, ctx);
  const manifest = deepFreeze({
    file: ctx.file,
    dir,
    platform: ctx.platform,
    version: 1 as const,
    service,
    log,
    processes,
  });
  return { manifest, complete: ctx.sink.errorCount === errorsBefore && ctx.invalid.size === 0, serviceValid };
}

function resolveService(s: ServiceInput, ctx: ResolveContext): ServiceSpec {
  const fa = s.failure_actions ?? {};
  const actions = fa.actions ?? DEFAULT_FAILURE_ACTIONS;
  const runIndex = actions.findIndex((a) => a.kind === 'run');
  if (runIndex !== -1 && fa.command === undefined) {
    const at = `service.failure_actions.actions[${runIndex}]`;
    ctx.sink.error(
      'E_FAILURE_ACTION',
      positionOf(ctx, at),
      at,
      'a run action needs service.failure_actions.command',
      'add command: "C:\\tools\\notify.exe billing-stack" under failure_actions',
    );
  }
  return {
    name: s.name,
    display_name: s.display_name ?? s.name,
    description: s.description ?? '',
    start_type: s.start_type ?? 'auto',
    account: resolveAccount(s.account ?? 'LocalSystem'),
    stop_timeout: s.stop_timeout ?? 60_000,
    auto_reload: s.auto_reload ?? true,
    preshutdown_timeout: s.preshutdown_timeout ?? null,
    failure_actions: {
      reset_after: fa.reset_after ?? 86_400_000,
      command: fa.command ?? null,
      reboot_message: fa.reboot_message ?? null,
      actions,
    },
  };
}

const BUILTIN_ACCOUNTS: Readonly<Record<string, Account>> = {
  localsystem: { kind: 'LocalSystem' },
  'nt authority\\system': { kind: 'LocalSystem' },
  localservice: { kind: 'LocalService' },
  'nt authority\\localservice': { kind: 'LocalService' },
  networkservice: { kind: 'NetworkService' },
  'nt authority\\networkservice': { kind: 'NetworkService' },
};

function resolveAccount(a: AccountInput): Account {
  if (typeof a !== 'string') return { kind: 'user', user: a.user, password: a.password ?? null };
  return BUILTIN_ACCOUNTS[a.toLowerCase()] ?? { kind: 'user', user: a, password: null };
}

function resolveLog(l: LogInput, dir: string, platform: Platform): LogSpec {
  return {
    dir: resolvePath(l.dir ?? './logs', dir, platform),
    level: l.level ?? 'info',
    format: l.format ?? 'text',
    rotation: resolveRotation(l.rotation, DEFAULT_ROTATION),
    max_line: l.max_line ?? 1024 * 1024,
  };
}

function resolveRotation(r: RotationInput | undefined, base: RotationSpec): RotationSpec {
  if (r === undefined) return base;
  return {
    size: r.size === undefined ? base.size : r.size === 0 ? null : r.size,
    every: r.every ?? base.every,
    keep: r.keep ?? base.keep,
    max_age: r.max_age ?? base.max_age,
    compress: r.compress ?? base.compress,
  };
}

/** `defaults:` under a process's own keys: mappings in MERGED_KEYS merge deeply, everything else replaces. */
export function mergeProcess(defaults: ProcessInput, own: ProcessInput): ProcessInput {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(own)) {
    const base = out[key];
    out[key] = MERGED_KEYS.has(key) && isRecord(base) && isRecord(value) ? deepMerge(base, value) : value;
  }
  return out;
}

function deepMerge(
  base: Readonly<Record<string, unknown>>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out = Object.create(Object.getPrototypeOf(base) as object | null) as Record<string, unknown>;
  Object.assign(out, base);
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveProcess(
  name: string,
  p: ProcessInput,
  logInput: LogInput,
  log: LogSpec,
  dir: string,
  ctx: ResolveContext,
): ProcessSpec {
  const shell = p.shell ?? false;
  // A command that failed its check was reported; [] stands in so the other checks still run.
  const commandInvalid = ctx.invalid.has(`processes.${name}.command`) || ctx.invalid.has('defaults.command');
  const command = commandInvalid ? [] : (resolveCommand(name, p.command, shell, ctx) ?? []);
  const restart = resolveRestart(name, p.restart, ctx);
  const cwd = resolvePath(p.cwd ?? '.', dir, ctx.platform);
  const envFiles = p.env_file === undefined ? [] : typeof p.env_file === 'string' ? [p.env_file] : p.env_file;
  const output: OutputSpec = {
    streams: p.log?.streams ?? logInput.streams ?? 'combined',
    timestamps: p.log?.timestamps ?? logInput.timestamps ?? false,
    rotation: resolveRotation(p.log?.rotation, log.rotation),
  };
  return {
    name,
    command,
    shell,
    cwd,
    env: p.env ?? nullRecord(),
    env_file: envFiles.map((f) => resolvePath(f, dir, ctx.platform)),
    depends_on: p.depends_on ?? nullRecord(),
    ready: p.ready ?? null,
    liveness: p.liveness ?? null,
    stop: p.stop ?? DEFAULT_STOP,
    restart,
    critical: p.critical ?? false,
    pause: p.pause ?? 'ignore',
    disabled: p.disabled ?? false,
    output,
  };
}

function resolveCommand(
  name: string,
  command: ProcessInput['command'],
  shell: boolean,
  ctx: ResolveContext,
): readonly string[] | null {
  const at = `processes.${name}.command`;
  if (command === undefined) {
    ctx.sink.error(
      'E_REQUIRED',
      positionOf(ctx, `processes.${name}`),
      `processes.${name}`,
      'missing required key "command"',
      'add command: ["program", "arg"] (or set it under defaults)',
    );
    return null;
  }
  const where = ctx.positions.has(at) ? at : 'defaults.command';
  if (typeof command !== 'string') {
    if (shell) return [command.join(' ')];
    if (command[0] === '') {
      ctx.sink.error('E_COMMAND', positionOf(ctx, `${where}[0]`, where), where, 'the program name is empty');
      return null;
    }
    return command;
  }
  if (shell) return [command];
  const split = splitCommandLine(command);
  if (!split.ok) {
    ctx.sink.error('E_COMMAND', positionOf(ctx, where), where, split.message, split.hint);
    return null;
  }
  if (split.value.length === 0 || split.value[0] === '') {
    ctx.sink.error(
      'E_COMMAND',
      positionOf(ctx, where),
      where,
      'the command is empty',
      'write the program to run: command: ["node", "server.js"]',
    );
    return null;
  }
  return split.value;
}

function resolveRestart(name: string, r: RestartInput | undefined, ctx: ResolveContext): RestartSpec {
  const spec: RestartSpec = {
    policy: r?.policy ?? DEFAULT_RESTART.policy,
    success_codes: r?.success_codes ?? DEFAULT_RESTART.success_codes,
    delay: r?.delay ?? DEFAULT_RESTART.delay,
    backoff: r?.backoff ?? DEFAULT_RESTART.backoff,
    max_delay: r?.max_delay ?? DEFAULT_RESTART.max_delay,
    jitter: r?.jitter ?? DEFAULT_RESTART.jitter,
    reset_after: r?.reset_after ?? DEFAULT_RESTART.reset_after,
    limit: {
      restarts: r?.limit?.restarts ?? DEFAULT_RESTART.limit.restarts,
      window: r?.limit?.window ?? DEFAULT_RESTART.limit.window,
    },
    on_limit: r?.on_limit ?? DEFAULT_RESTART.on_limit,
    cool_down: r?.cool_down ?? DEFAULT_RESTART.cool_down,
  };
  if (spec.max_delay < spec.delay) {
    const own = `processes.${name}.restart.max_delay`;
    const where = ctx.positions.has(own)
      ? own
      : ctx.positions.has('defaults.restart.max_delay')
        ? 'defaults.restart.max_delay'
        : `processes.${name}.restart`;
    ctx.sink.error(
      'E_RESTART',
      positionOf(ctx, where, `processes.${name}`),
      where,
      `max_delay (${formatDuration(spec.max_delay)}) is shorter than delay (${formatDuration(spec.delay)})`,
      'raise max_delay or lower delay: delays grow from delay up to max_delay',
    );
  }
  return spec;
}

/**
 * Resolves a path from the manifest against `base`. A path absolute on the target platform is kept
 * (so a Windows manifest's C:/legacy/db stays as written when checked on Linux), normalized.
 */
export function resolvePath(p: string, base: string, platform: Platform): string {
  const target = platform === 'windows' ? path.win32 : path.posix;
  if (target.isAbsolute(p)) return target.normalize(p);
  return path.resolve(base, p);
}

/** The first recorded position among the given key paths (falling back to the file's start). */
export function positionOf(
  ctx: { readonly positions: ReadonlyMap<string, Position> },
  ...paths: string[]
): Position {
  for (const p of paths) {
    const at = ctx.positions.get(p);
    if (at !== undefined) return at;
  }
  return { line: 1, col: 1 };
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
