// The difference between two resolved manifests, computed generically over their values: no
// hand-written field list, so a key added to the spec later is compared too. x- keys never reach
// the resolved spec, so an edit that only touches them changes nothing here.
import type { ProcessSpec, ResolvedManifest } from '../manifest/spec.js';

export interface ProcessChange {
  readonly name: string;
  /** Key paths that differ, as the user wrote them: `restart.delay`, `env.PORT`, `stop[1].timeout`. */
  readonly keys: readonly string[];
}

export interface ManifestDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly ProcessChange[];
  readonly unchanged: readonly string[];
  /** Key paths under service and log that differ (`service.stop_timeout`, `log.level`). */
  readonly settings: readonly string[];
}

export function diffManifests(before: ResolvedManifest, after: ResolvedManifest): ManifestDiff {
  const old = new Map(before.processes.map((p) => [p.name, p]));
  const next = new Map(after.processes.map((p) => [p.name, p]));
  const changed: ProcessChange[] = [];
  const unchanged: string[] = [];
  for (const [name, spec] of next) {
    const previous = old.get(name);
    if (previous === undefined) continue;
    const keys = diffValues(withoutName(previous), withoutName(spec));
    if (keys.length === 0) unchanged.push(name);
    else changed.push({ name, keys });
  }
  return {
    added: [...next.keys()].filter((n) => !old.has(n)),
    removed: [...old.keys()].filter((n) => !next.has(n)),
    changed,
    unchanged,
    settings: [
      ...diffValues(before.service, after.service, 'service'),
      ...diffValues(before.log, after.log, 'log'),
    ],
  };
}

function withoutName(spec: ProcessSpec): Omit<ProcessSpec, 'name'> {
  const { name: _name, ...rest } = spec;
  return rest;
}

/**
 * The key paths at which two values differ. Mappings are compared key by key, lists item by item
 * (a list whose length changed is reported whole), everything else with Object.is.
 */
export function diffValues(a: unknown, b: unknown, path = ''): string[] {
  if (Object.is(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path];
    return a.flatMap((item, i) => diffValues(item, b[i], `${path}[${i}]`));
  }
  if (isMapping(a) && isMapping(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((key) => diffValues(a[key], b[key], path === '' ? key : `${path}.${key}`));
  }
  return [path];
}

function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
