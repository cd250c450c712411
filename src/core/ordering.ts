// Start and stop ordering as pure decisions over the current states: may this process start
// (are its dependencies' conditions met?), may it stop (has everything that waits on it stopped?).
// The supervisor asks these questions after every state change; they never block or wait.
import type { DependencyCondition, ProcessSpec } from '../manifest/spec.js';
import type { ProcessState } from './process-machine.js';

export interface Unmet {
  readonly name: string;
  readonly condition: DependencyCondition;
  /** The dependency's state now, for the log line that says what a process waits for. */
  readonly state: ProcessState['kind'] | 'unknown';
}

/**
 * Whether `condition` holds for a dependency in `state`:
 * - started: it has been spawned (a pid exists), or it ran and completed;
 * - ready: it is running (its ready probe passed, or it has none);
 * - completed: it exited with a success code.
 */
export function conditionMet(condition: DependencyCondition, state: ProcessState): boolean {
  switch (condition) {
    case 'started':
      return (
        (state.kind === 'starting' && state.pid !== null) ||
        state.kind === 'running' ||
        state.kind === 'exited'
      );
    case 'ready':
      return state.kind === 'running';
    case 'completed':
      return state.kind === 'exited';
  }
}

/** The dependencies of `spec` whose condition does not hold yet (empty: it may start). */
export function unmetDependencies(spec: ProcessSpec, states: ReadonlyMap<string, ProcessState>): Unmet[] {
  const unmet: Unmet[] = [];
  for (const [name, condition] of Object.entries(spec.depends_on)) {
    const state = states.get(name);
    if (state === undefined || !conditionMet(condition, state)) {
      unmet.push({ name, condition, state: state?.kind ?? 'unknown' });
    }
  }
  return unmet;
}

/** "waits for db to be ready (now starting), cache to be started (now backoff)" */
export function describeUnmet(unmet: readonly Unmet[]): string {
  const verb = { started: 'started', ready: 'ready', completed: 'completed' } as const;
  return `waits for ${unmet.map((u) => `${u.name} to be ${verb[u.condition]} (now ${u.state})`).join(', ')}`;
}

/**
 * Who waits on whom at stop time: for each process, the processes that must have stopped before
 * it may stop. A `completed` dependency is left out: it exited before its dependents started.
 */
export function stopDependents(processes: readonly ProcessSpec[]): Map<string, string[]> {
  const dependents = new Map<string, string[]>(processes.map((p) => [p.name, []]));
  for (const p of processes) {
    for (const [dep, condition] of Object.entries(p.depends_on)) {
      if (condition !== 'completed' && dep !== p.name) dependents.get(dep)?.push(p.name);
    }
  }
  return dependents;
}

/** A process is settled when nothing of it runs and nothing will start it by itself. */
export function isSettled(state: ProcessState): boolean {
  return (
    state.kind === 'idle' || state.kind === 'exited' || state.kind === 'failed' || state.kind === 'waiting'
  );
}

/**
 * The processes of an ordered stop that may be told to stop now: not settled and not already
 * stopping, with every dependent settled. Independent ones come out together (they stop in parallel).
 */
export function readyToStop(
  dependents: ReadonlyMap<string, readonly string[]>,
  states: ReadonlyMap<string, ProcessState>,
): string[] {
  const settled = (name: string) => {
    const s = states.get(name);
    return s === undefined || isSettled(s);
  };
  return [...dependents.keys()].filter((name) => {
    const s = states.get(name);
    if (s === undefined || isSettled(s) || s.kind === 'stopping') return false;
    return (dependents.get(name) ?? []).every(settled);
  });
}

/**
 * Everything that depends on `names`, directly or not (by `dependents`, as stopDependents makes
 * it), without `names` themselves; in breadth-first order.
 */
export function transitiveDependents(
  names: Iterable<string>,
  dependents: ReadonlyMap<string, readonly string[]>,
): string[] {
  const start = new Set(names);
  const seen = new Set(start);
  const found: string[] = [];
  const queue = [...start];
  for (let i = 0; i < queue.length; i++) {
    for (const d of dependents.get(queue[i] as string) ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      found.push(d);
      queue.push(d);
    }
  }
  return found;
}

/**
 * Whether a waiting process can get nowhere soon: some dependency it waits for is not going to
 * change without an operator or a reload (stopped, failed, gone, exited when readiness was wanted,
 * or itself stuck waiting), or is backing off after a failed start (it may come back, but only
 * after a delay, and a crash loop may never end). Start-up is over when every waiting process is
 * stuck: a reload that fixes a crashing command must not wait for a start-up that cannot end.
 */
export function isStuck(
  spec: ProcessSpec,
  states: ReadonlyMap<string, ProcessState>,
  specs: ReadonlyMap<string, ProcessSpec>,
  visiting: Set<string> = new Set(),
): boolean {
  if (visiting.has(spec.name)) return true;
  visiting.add(spec.name);
  try {
    for (const unmet of unmetDependencies(spec, states)) {
      const state = states.get(unmet.name);
      if (state === undefined) return true;
      if (
        state.kind === 'idle' ||
        state.kind === 'failed' ||
        state.kind === 'exited' ||
        state.kind === 'backoff'
      )
        return true;
      const dep = specs.get(unmet.name);
      if (state.kind === 'waiting' && (dep === undefined || isStuck(dep, states, specs, visiting)))
        return true;
    }
    return false;
  } finally {
    visiting.delete(spec.name);
  }
}
