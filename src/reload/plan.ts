// What a reload does with a diff, as data: which processes stop, which restart, which start,
// which only get new supervision settings, and what cannot apply without restarting corral.
//
// Rules (README, "Reload"):
// - A process restarts when what it runs changes: command, shell, cwd, env, env_file.
// - Every other process key (restart, stop, ready, liveness, depends_on, critical, pause, log)
//   only changes how corral supervises it: applied live, the process keeps running.
// - A process stops only after everything that depends on it has stopped, so restarting one
//   also restarts its dependents (except those that wait for it with `completed`).
// - disabled: true stops a process like a removal; disabled: false starts it like an addition.
// - service.stop_timeout, service.auto_reload and log.* apply live; any other service.* key needs the service
//   restarted (or reinstalled) and is reported, not half-applied.
import { stopDependents } from '../core/ordering.js';
import { dependencyOrder } from '../manifest/dependency-graph.js';
import type { ProcessSpec, ResolvedManifest } from '../manifest/spec.js';
import { diffManifests, type ManifestDiff } from './diff.js';

export const RUNTIME_KEYS = ['command', 'shell', 'cwd', 'env', 'env_file'] as const;
const LIVE_SETTINGS = ['service.stop_timeout', 'service.auto_reload', 'log.'];

export interface ReloadPlan {
  /** In stop order: dependents first. */
  readonly stop: readonly string[];
  /** In start order: dependencies first. Restarted processes appear in both stop and start. */
  readonly start: readonly string[];
  /** Processes whose new supervision settings apply without restarting them. */
  readonly update: readonly string[];
  readonly untouched: readonly string[];
  /** Why each process in stop, start or update is there. */
  readonly reasons: Readonly<Record<string, string>>;
  /** Settings that only a restart of corral (or a reinstall of the service) can apply. */
  readonly needsServiceRestart: readonly string[];
}

/**
 * `touchedEnvFiles`: env_files whose contents changed since `before` was applied. The specs name
 * env_files by path only, so the diff cannot see a new value in one; a process reading one of
 * these restarts as if its env had changed.
 */
export function planReload(
  before: ResolvedManifest,
  after: ResolvedManifest,
  diff: ManifestDiff = diffManifests(before, after),
  touchedEnvFiles: ReadonlySet<string> = new Set(),
): ReloadPlan {
  const reasons: Record<string, string> = {};
  const oldSpec = new Map(before.processes.map((p) => [p.name, p]));
  const newSpec = new Map(after.processes.map((p) => [p.name, p]));
  const running = (p: ProcessSpec | undefined) => p !== undefined && !p.disabled;

  const stopOnly = new Set<string>();
  const restart = new Set<string>();
  const startOnly = new Set<string>();
  const update: string[] = [];
  for (const name of diff.removed) {
    if (running(oldSpec.get(name))) {
      stopOnly.add(name);
      reasons[name] = 'removed from the manifest';
    }
  }
  for (const name of diff.added) {
    if (running(newSpec.get(name))) {
      startOnly.add(name);
      reasons[name] = 'added to the manifest';
    }
  }
  for (const { name, keys } of diff.changed) {
    const was = running(oldSpec.get(name));
    const is = running(newSpec.get(name));
    if (was && !is) {
      stopOnly.add(name);
      reasons[name] = 'disabled';
    } else if (!was && is) {
      startOnly.add(name);
      reasons[name] = 'enabled';
    } else if (is) {
      const runtime = keys.filter((k) =>
        RUNTIME_KEYS.some((r) => k === r || k.startsWith(`${r}.`) || k.startsWith(`${r}[`)),
      );
      if (runtime.length > 0) {
        restart.add(name);
        reasons[name] = `changed: ${runtime.join(', ')}`;
      } else {
        update.push(name);
        reasons[name] = `changed: ${keys.join(', ')} (applied without a restart)`;
      }
    }
  }
  if (touchedEnvFiles.size > 0) {
    for (const spec of after.processes) {
      const name = spec.name;
      if (!running(spec) || !running(oldSpec.get(name)) || restart.has(name)) continue;
      const touched = spec.env_file.filter((f) => touchedEnvFiles.has(f));
      if (touched.length === 0) continue;
      restart.add(name);
      reasons[name] = `env_file ${touched.join(', ')} changed`;
      const at = update.indexOf(name);
      if (at !== -1) update.splice(at, 1);
    }
  }
  // Restarting a process restarts what depends on it (transitively), since it stops first.
  const dependents = stopDependents(after.processes.filter((p) => !p.disabled));
  const queue = [...restart];
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i] as string;
    for (const d of dependents.get(name) ?? []) {
      if (restart.has(d) || startOnly.has(d) || !running(oldSpec.get(d))) continue;
      restart.add(d);
      reasons[d] = `depends on ${name}, which restarts`;
      queue.push(d);
      const at = update.indexOf(d);
      if (at !== -1) update.splice(at, 1);
    }
  }
  const oldOrder = dependencyOrder(graphOf(before));
  const newOrder = dependencyOrder(graphOf(after));
  const stopSet = new Set([...stopOnly, ...restart]);
  const startSet = new Set([...startOnly, ...restart]);
  const stop = [
    ...[...oldOrder].reverse().filter((n) => stopOnly.has(n)),
    ...[...newOrder].reverse().filter((n) => restart.has(n)),
  ];
  const touched = new Set([...stopSet, ...startSet, ...update]);
  return {
    stop: [...new Set(stop)],
    start: newOrder.filter((n) => startSet.has(n)),
    update,
    untouched: after.processes.map((p) => p.name).filter((n) => !touched.has(n) && running(newSpec.get(n))),
    reasons,
    needsServiceRestart: diff.settings.filter(
      (k) => !LIVE_SETTINGS.some((live) => k === live || k.startsWith(live)),
    ),
  };
}

function graphOf(m: ResolvedManifest): Map<string, string[]> {
  return new Map(m.processes.map((p) => [p.name, Object.keys(p.depends_on).filter((d) => d !== p.name)]));
}

/** The plan in words, one line per process, for the log and `corral diff`. */
export function describePlan(plan: ReloadPlan): string {
  const lines: string[] = [];
  const restarted = new Set(plan.stop.filter((n) => plan.start.includes(n)));
  for (const name of plan.stop) {
    if (!restarted.has(name)) lines.push(`stop     ${name}  (${plan.reasons[name] ?? ''})`);
  }
  for (const name of plan.stop) {
    if (restarted.has(name)) lines.push(`restart  ${name}  (${plan.reasons[name] ?? ''})`);
  }
  for (const name of plan.start) {
    if (!restarted.has(name)) lines.push(`start    ${name}  (${plan.reasons[name] ?? ''})`);
  }
  for (const name of plan.update) lines.push(`update   ${name}  (${plan.reasons[name] ?? ''})`);
  for (const key of plan.needsServiceRestart) lines.push(`needs a service restart: ${key} changed`);
  if (lines.length === 0) lines.push('nothing to do: no process or setting changed');
  return `${lines.join('\n')}\n`;
}
