// Checks that need the whole resolved manifest: dependencies (unknown, self, disabled, not ready,
// cycles), stop lists, the worst-case stop time, env files and working folders.
import fs from 'node:fs';
import path from 'node:path';
import { findCycles, longestStopPath, type Graph } from './dependency-graph.js';
import type { DiagnosticSink, Position } from './diagnostics.js';
import { formatDuration } from './duration.js';
import { parseEnvFile } from './env-file.js';
import { positionOf } from './resolve.js';
import type { ProcessSpec, ResolvedManifest, StopStep } from './spec.js';
import { closest } from './suggest.js';

export interface SemanticContext {
  readonly sink: DiagnosticSink;
  readonly positions: ReadonlyMap<string, Position>;
  /** Files and folders are looked at only when the manifest is checked for the platform we run on. */
  readonly checkFilesystem: boolean;
  /** How env_file paths are shown: relative to where the manifest was named from. */
  readonly displayPath: (absolute: string) => string;
  /** Every process name in the manifest, including those left out of `m` because they are invalid. */
  readonly names: ReadonlySet<string>;
  /** False when the service section is invalid: then the stop budget is not checked. */
  readonly serviceValid: boolean;
  /**
   * Key paths whose values failed their check. `m` then holds defaults in their place, so a check
   * that reads such a key is skipped rather than report a problem that is not there.
   */
  readonly invalid: ReadonlySet<string>;
}

/** True when the key was written but failed its check, in the process or in defaults. */
function invalidKey(ctx: SemanticContext, process: string, key: string): boolean {
  return ctx.invalid.has(`processes.${process}.${key}`) || ctx.invalid.has(`defaults.${key}`);
}

export function checkSemantics(m: ResolvedManifest, ctx: SemanticContext): void {
  const { sink } = ctx;
  if (ctx.names.size === 0 && !ctx.invalid.has('processes')) {
    sink.error(
      'E_NO_PROCESSES',
      positionOf(ctx, 'processes'),
      'processes',
      'no processes are listed',
      'add a process: processes: { web: { command: ["node", "server.js"] } }',
    );
    return;
  }
  if (ctx.names.size === 0) return;
  if (m.processes.length === ctx.names.size && m.processes.every((p) => p.disabled)) {
    sink.warning(
      'W_ALL_DISABLED',
      positionOf(ctx, 'processes'),
      'processes',
      'every process is disabled; corral will start nothing',
    );
  }
  const byName = new Map(m.processes.map((p) => [p.name, p]));
  for (const p of m.processes) checkDependencies(p, byName, ctx);
  const complete = m.processes.length === ctx.names.size && ctx.invalid.size === 0;
  const graph: Graph = new Map(
    m.processes
      .filter((p) => !p.disabled)
      .map((p) => [p.name, Object.keys(p.depends_on).filter((d) => d !== p.name && byName.has(d))]),
  );
  const cycles = findCycles(graph);
  for (const cycle of cycles) {
    const [first, second] = cycle as [string, string];
    const at = `processes.${first}.depends_on.${second}`;
    sink.error(
      'E_DEPENDENCY_CYCLE',
      positionOf(ctx, at, `processes.${first}.depends_on`, `processes.${first}`),
      `processes.${first}.depends_on`,
      `dependency cycle: ${cycle.join(' → ')}`,
      'no process can start first; remove one of these dependencies',
    );
  }
  const reported = new Set<string>();
  for (const p of m.processes) checkStopList(p, ctx, reported);
  if (cycles.length === 0 && complete && ctx.serviceValid) checkStopBudget(m, stopGraph(m), ctx);
  if (ctx.checkFilesystem) checkFiles(m, ctx);
}

function checkDependencies(
  p: ProcessSpec,
  byName: ReadonlyMap<string, ProcessSpec>,
  ctx: SemanticContext,
): void {
  for (const [dep, condition] of Object.entries(p.depends_on)) {
    const at = `processes.${p.name}.depends_on.${dep}`;
    const where = ctx.positions.has(at) ? at : `defaults.depends_on.${dep}`;
    const pos = positionOf(ctx, where, `processes.${p.name}`);
    const target = byName.get(dep);
    if (target === undefined && ctx.names.has(dep)) continue; // invalid, and already reported
    if (dep === p.name) {
      ctx.sink.error('E_DEPENDENCY_SELF', pos, where, `${p.name} depends on itself`, 'remove this entry');
    } else if (target === undefined) {
      const guess = closest(dep, ctx.names);
      ctx.sink.error(
        'E_DEPENDENCY_UNKNOWN',
        pos,
        where,
        `${p.name} depends on "${dep}", which is not a process in this manifest`,
        guess === undefined ? `the processes are: ${[...ctx.names].join(', ')}` : `did you mean "${guess}"?`,
      );
    } else if (target.disabled && !p.disabled) {
      ctx.sink.error(
        'E_DEPENDENCY_DISABLED',
        pos,
        where,
        `${p.name} depends on ${dep}, which is disabled, so ${p.name} could never start`,
        `enable ${dep}, disable ${p.name} too, or remove the dependency`,
      );
    } else if (condition === 'ready' && target.ready === null && !invalidKey(ctx, dep, 'ready')) {
      ctx.sink.error(
        'E_DEPENDENCY_NOT_READY',
        pos,
        where,
        `${p.name} waits for ${dep} to be ready, but ${dep} has no ready probe`,
        `add a ready probe to ${dep} (tcp, http, exec or log), or wait for ${dep}: started`,
      );
    } else if (
      condition === 'completed' &&
      target.restart.policy === 'always' &&
      !invalidKey(ctx, dep, 'restart')
    ) {
      ctx.sink.warning(
        'W_COMPLETED_NEVER',
        pos,
        where,
        `${p.name} waits for ${dep} to complete, but ${dep} has restart policy always, so it is restarted even after it succeeds`,
        `give ${dep} restart: { policy: on-failure } (or never) if it is a one-shot task`,
      );
    }
  }
}

function checkStopList(p: ProcessSpec, ctx: SemanticContext, reported: Set<string>): void {
  const own = `processes.${p.name}.stop`;
  const where = ctx.positions.has(own) ? own : ctx.positions.has('defaults.stop') ? 'defaults.stop' : null;
  if (where === null || reported.has(where) || ctx.invalid.has(where)) return;
  reported.add(where);
  const killAt = p.stop.findIndex((s) => s.kind === 'kill');
  if (killAt !== -1 && killAt < p.stop.length - 1) {
    const after = `${where}[${killAt + 1}]`;
    ctx.sink.error(
      'E_STOP_ORDER',
      positionOf(ctx, after, where),
      after,
      'no step can follow kill',
      'make kill the last step',
    );
  } else if (killAt === -1) {
    ctx.sink.warning(
      'W_STOP_NO_KILL',
      positionOf(ctx, where),
      where,
      'the stop steps do not end with kill, so a process that ignores them keeps running until service.stop_timeout',
      'add kill as the last step',
    );
  }
}

/**
 * The dependencies that order a stop. A `completed` dependency has exited before its dependents
 * started, so it does not wait for them: that edge is left out.
 */
export function stopGraph(m: ResolvedManifest): Graph {
  const enabled = m.processes.filter((p) => !p.disabled);
  const names = new Set(enabled.map((p) => p.name));
  return new Map(
    enabled.map((p) => [
      p.name,
      Object.entries(p.depends_on)
        .filter(([d, condition]) => condition !== 'completed' && d !== p.name && names.has(d))
        .map(([d]) => d),
    ]),
  );
}

/** ms a process may take to stop in the worst case: every step's timeout before kill. */
export function worstStopTime(steps: readonly StopStep[]): number {
  let total = 0;
  for (const step of steps) {
    if (step.kind === 'kill') break;
    total += step.timeout;
  }
  return total;
}

function checkStopBudget(m: ResolvedManifest, graph: Graph, ctx: SemanticContext): void {
  const cost = new Map(m.processes.map((p) => [p.name, worstStopTime(p.stop)]));
  const worst = longestStopPath(graph, (n) => cost.get(n) ?? 0);
  const along =
    worst.path.length === 1
      ? `for ${worst.path[0] ?? ''}`
      : `along ${worst.path.join(' → ')} (${worst.path.map((n) => `${n} ${formatDuration(cost.get(n) ?? 0)}`).join(' + ')})`;
  const budgets = [
    { key: 'stop_timeout', value: m.service.stop_timeout, code: 'W_STOP_BUDGET' as const },
    {
      key: 'preshutdown_timeout',
      value: m.service.preshutdown_timeout,
      code: 'W_PRESHUTDOWN_BUDGET' as const,
    },
  ];
  for (const { key, value, code } of budgets) {
    if (value === null || worst.total <= value) continue;
    const at = `service.${key}`;
    ctx.sink.warning(
      code,
      positionOf(ctx, at, 'service'),
      at,
      `the worst-case ordered stop takes ${formatDuration(worst.total)} ${along}, more than service.${key} (${formatDuration(value)})`,
      `whatever still runs at ${formatDuration(value)} is killed; raise ${key} or shorten the stop steps`,
    );
  }
}

function checkFiles(m: ResolvedManifest, ctx: SemanticContext): void {
  const seen = new Set<string>();
  for (const p of m.processes) {
    p.env_file.forEach((file, i) => {
      const own = `processes.${p.name}.env_file`;
      const where = ctx.positions.has(own) ? own : 'defaults.env_file';
      const pos = positionOf(ctx, `${where}[${i}]`, where, `processes.${p.name}`);
      if (seen.has(file)) return;
      seen.add(file);
      checkEnvFile(file, where, pos, ctx);
    });
    if (!isDirectory(p.cwd)) {
      const own = `processes.${p.name}.cwd`;
      const where = ctx.positions.has(own) ? own : 'defaults.cwd';
      ctx.sink.warning(
        'W_CWD_MISSING',
        positionOf(ctx, where, `processes.${p.name}`),
        where,
        `the folder ${ctx.displayPath(p.cwd)} does not exist (yet); ${p.name} cannot start until it does`,
      );
    }
  }
}

function checkEnvFile(file: string, where: string, pos: Position, ctx: SemanticContext): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${(error as Error).message})`;
    ctx.sink.error(
      'E_ENV_FILE',
      pos,
      where,
      `the env_file ${ctx.displayPath(file)} ${reason}`,
      "relative env_file paths start at the manifest's folder",
    );
    return;
  }
  for (const problem of parseEnvFile(text).problems) {
    ctx.sink.add('error', 'E_ENV_FILE', problem, '', problem.message, undefined, ctx.displayPath(file));
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function displayRelativeTo(manifestFile: string, displayFile: string): (absolute: string) => string {
  const dir = path.dirname(manifestFile);
  const shownDir = path.dirname(displayFile);
  return (absolute) => {
    const rel = path.relative(dir, absolute);
    return rel.startsWith('..') || path.isAbsolute(rel) ? absolute : path.join(shownDir, rel);
  };
}
