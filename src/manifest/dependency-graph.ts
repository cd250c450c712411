// Pure functions over the depends_on graph: cycles, start waves, the longest stop path.
// Edges point from a process to what it depends on.

export type Graph = ReadonlyMap<string, readonly string[]>;

/**
 * Every dependency cycle, each as a closed path (`[api, worker, api]`), one per strongly connected
 * component, starting from the component's first process in graph order. Self-loops are not cycles here.
 */
export function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  for (const component of stronglyConnected(graph)) {
    if (component.length < 2) continue;
    const members = new Set(component);
    const start = [...graph.keys()].find((n) => members.has(n)) as string;
    cycles.push(cycleFrom(start, graph, members));
  }
  return cycles;
}

function cycleFrom(start: string, graph: Graph, members: ReadonlySet<string>): string[] {
  // Breadth-first from start back to start inside the component gives a shortest cycle.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next) || next === node) continue; // a self-loop is not the component's cycle
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0] as string) as string);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's algorithm, iterative (a manifest may list hundreds of processes in one chain). */
function stronglyConnected(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: number };
      const edges = (graph.get(frame.node) ?? []).filter((n) => graph.has(n));
      if (frame.next < edges.length) {
        const next = edges[frame.next++] as string;
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ node: next, next: 0 });
        } else if (onStack.has(next)) {
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(next) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        out.push(component);
      }
    }
  }
  return out;
}

/**
 * Processes in dependency order (each after everything it depends on), by Kahn's algorithm, ties
 * in graph order. Iterative, so a chain of thousands cannot overflow the stack. Requires an acyclic
 * graph; dependencies outside the graph are ignored.
 */
export function dependencyOrder(graph: Graph): string[] {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of graph.keys()) dependents.set(node, []);
  for (const [node, deps] of graph) {
    const inside = [...new Set(deps)].filter((d) => graph.has(d) && d !== node);
    waiting.set(node, inside.length);
    for (const dep of inside) dependents.get(dep)?.push(node);
  }
  const ready = [...graph.keys()].filter((n) => waiting.get(n) === 0);
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const node = ready[i] as string;
    order.push(node);
    for (const d of dependents.get(node) ?? []) {
      const left = (waiting.get(d) ?? 0) - 1;
      waiting.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (order.length !== graph.size) {
    const stuck = [...graph.keys()].find((n) => !order.includes(n)) ?? '';
    throw new Error(`dependency cycle through ${stuck}`);
  }
  return order;
}

/**
 * Start waves: each wave's processes depend only on earlier waves, so a wave can start in
 * parallel. Requires an acyclic graph; dependencies outside the graph are ignored.
 */
export function startWaves(graph: Graph): string[][] {
  const level = new Map<string, number>();
  for (const node of dependencyOrder(graph)) {
    let l = 0;
    for (const dep of graph.get(node) ?? []) {
      const depLevel = dep === node ? undefined : level.get(dep);
      if (depLevel !== undefined) l = Math.max(l, depLevel + 1);
    }
    level.set(node, l);
  }
  const waves: string[][] = [];
  for (const node of graph.keys()) (waves[level.get(node) ?? 0] ??= []).push(node);
  return waves;
}

/**
 * The slowest chain of an ordered stop: a process stops only after its dependents, so the
 * worst case is the heaviest path from a process through the processes that depend on it.
 * Returns the path in stop order (dependents first) and its total. Requires an acyclic graph.
 */
export function longestStopPath(
  graph: Graph,
  cost: (node: string) => number,
): { path: string[]; total: number } {
  const dependents = new Map<string, string[]>();
  for (const node of graph.keys()) dependents.set(node, []);
  for (const [node, deps] of graph) for (const dep of deps) if (dep !== node) dependents.get(dep)?.push(node);
  // Dependents stop first, so solve in reverse dependency order; equal totals go to the path whose
  // last process comes first in graph order, so the answer does not depend on the solving order.
  const rank = new Map([...graph.keys()].map((n, i) => [n, i]));
  type Path = { total: number; path: string[] };
  const better = (a: Path, b: Path) =>
    a.total > b.total ||
    (a.total === b.total &&
      a.path.length > 0 &&
      (rank.get(a.path.at(-1) ?? '') ?? 0) < (rank.get(b.path.at(-1) ?? '') ?? Infinity));
  const best = new Map<string, Path>();
  let worst: Path = { total: 0, path: [] };
  for (const node of dependencyOrder(graph).reverse()) {
    let tail: Path = { total: 0, path: [] };
    for (const d of dependents.get(node) ?? []) {
      const candidate = best.get(d);
      if (candidate !== undefined && candidate.total > 0 && better(candidate, tail)) tail = candidate;
    }
    const result = { total: tail.total + cost(node), path: [...tail.path, node] };
    best.set(node, result);
    if (result.total > 0 && better(result, worst)) worst = result;
  }
  return worst;
}
