import { describe, expect, it } from 'vitest';
import {
  findCycles,
  longestStopPath,
  startWaves,
  type Graph,
} from '../../../src/manifest/dependency-graph.js';

/** A graph from `name: deps` pairs, keeping the order they are written in. */
function graph(entries: Record<string, string[]>): Graph {
  return new Map(Object.entries(entries));
}

function costs(table: Record<string, number>): (node: string) => number {
  return (node) => table[node] ?? 0;
}

describe('findCycles', () => {
  it('finds none in an empty or acyclic graph', () => {
    expect(findCycles(graph({}))).toEqual([]);
    expect(findCycles(graph({ web: ['api', 'db'], api: ['db'], db: [] }))).toEqual([]);
  });

  it('reports a two-process cycle as a closed path', () => {
    expect(findCycles(graph({ api: ['worker'], worker: ['api'] }))).toEqual([['api', 'worker', 'api']]);
  });

  it('reports a longer cycle in dependency order', () => {
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('does not report a self-loop', () => {
    expect(findCycles(graph({ a: ['a'], b: [] }))).toEqual([]);
  });

  it('reports the real cycle when its first process also depends on itself', () => {
    expect(findCycles(graph({ a: ['a', 'b'], b: ['a'] }))).toEqual([['a', 'b', 'a']]);
    expect(findCycles(graph({ a: ['b'], b: ['b', 'a'] }))).toEqual([['a', 'b', 'a']]);
  });

  it('reports each separate cycle once', () => {
    const g = graph({ a: ['b'], b: ['a'], c: [], d: ['e'], e: ['f'], f: ['d'] });
    expect(findCycles(g)).toEqual([
      ['a', 'b', 'a'],
      ['d', 'e', 'f', 'd'],
    ]);
  });

  it('reports one cycle per strongly connected component, even with several loops inside', () => {
    // a↔b and a→c→a share a: one component, one report.
    expect(findCycles(graph({ a: ['b', 'c'], b: ['a'], c: ['a'] }))).toEqual([['a', 'b', 'a']]);
  });

  it('lists a cycle that others depend on before the cycle that depends on it', () => {
    const g = graph({ x: ['a'], a: ['b', 'c'], b: ['a'], c: ['d'], d: ['c'] });
    expect(findCycles(g)).toEqual([
      ['c', 'd', 'c'],
      ['a', 'b', 'a'],
    ]);
  });

  it("starts each cycle at the component's first process in graph order", () => {
    // The search reaches a before b, but b is listed first.
    expect(findCycles(graph({ x: ['a'], b: ['a'], a: ['b'] }))).toEqual([['b', 'a', 'b']]);
  });

  it('reports the shortest cycle through the first process', () => {
    expect(findCycles(graph({ a: ['b', 'd'], b: ['c'], c: ['d'], d: ['a'] }))).toEqual([['a', 'd', 'a']]);
    expect(findCycles(graph({ a: ['b', 'c'], b: ['c'], c: ['a'] }))).toEqual([['a', 'c', 'a']]);
  });

  it('looks for the shortest cycle through the first process, not the shortest anywhere', () => {
    // b↔c is shorter, but the cycle is reported from a.
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: ['a', 'b'] }))).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('ignores dependencies outside the graph and repeated edges', () => {
    expect(findCycles(graph({ a: ['ghost', 'b', 'b'], b: ['ghost', 'a'] }))).toEqual([['a', 'b', 'a']]);
    expect(findCycles(graph({ a: ['ghost'], b: ['a'] }))).toEqual([]);
  });

  it('handles a chain of thousands of processes without running out of stack', () => {
    const n = 20_000;
    const chain = new Map<string, string[]>();
    for (let i = 0; i < n; i++) chain.set(`p${i}`, i + 1 < n ? [`p${i + 1}`] : []);
    expect(findCycles(chain)).toEqual([]);
    chain.set(`p${n - 1}`, ['p0']);
    const cycles = findCycles(chain);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n + 1);
    expect(cycles[0]?.slice(0, 3)).toEqual(['p0', 'p1', 'p2']);
    expect(cycles[0]?.slice(-2)).toEqual([`p${n - 1}`, 'p0']);
  });
});

describe('startWaves', () => {
  it('has no waves for an empty graph', () => {
    expect(startWaves(graph({}))).toEqual([]);
  });

  it('starts independent processes together, in graph order', () => {
    expect(startWaves(graph({ c: [], a: [], b: [] }))).toEqual([['c', 'a', 'b']]);
  });

  it('starts a chain one process at a time, dependencies first', () => {
    expect(startWaves(graph({ web: ['api'], api: ['db'], db: [] }))).toEqual([['db'], ['api'], ['web']]);
  });

  it('starts both sides of a diamond in the same wave', () => {
    const g = graph({ web: ['api', 'auth'], api: ['db'], auth: ['db'], db: [], cron: [] });
    expect(startWaves(g)).toEqual([['db', 'cron'], ['api', 'auth'], ['web']]);
  });

  it('places a process after its deepest dependency', () => {
    expect(startWaves(graph({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([['c'], ['b'], ['a']]);
  });

  it('ignores dependencies outside the graph', () => {
    expect(startWaves(graph({ a: ['ghost'], b: ['a', 'ghost'] }))).toEqual([['a'], ['b']]);
  });

  it('throws on a cycle, naming a process in it', () => {
    expect(() => startWaves(graph({ a: ['b'], b: ['a'] }))).toThrow(new Error('dependency cycle through a'));
    expect(() => startWaves(graph({ x: [], b: ['c'], c: ['b'] }))).toThrow(
      new Error('dependency cycle through b'),
    );
  });

  it('ignores a self-dependency (the validator reports it on its own)', () => {
    expect(startWaves(graph({ x: [], b: ['b', 'x'] }))).toEqual([['x'], ['b']]);
  });

  it('orders a 20,000-long chain without overflowing the stack', () => {
    const n = 20_000;
    const chain = new Map<string, string[]>();
    for (let i = 0; i < n; i++) chain.set(`p${i}`, i > 0 ? [`p${i - 1}`] : []);
    expect(startWaves(chain)).toHaveLength(n);
    const worst = longestStopPath(chain, () => 1);
    expect(worst.total).toBe(n);
    expect(worst.path[0]).toBe(`p${n - 1}`);
  });

  it('handles a chain of a thousand processes listed dependents first', () => {
    const n = 1000;
    const chain = new Map<string, string[]>();
    for (let i = n - 1; i >= 0; i--) chain.set(`p${i}`, i > 0 ? [`p${i - 1}`] : []);
    const waves = startWaves(chain);
    expect(waves).toHaveLength(n);
    expect(waves[0]).toEqual(['p0']);
    expect(waves[n - 1]).toEqual([`p${n - 1}`]);
  });
});

describe('longestStopPath', () => {
  it('is empty for an empty graph', () => {
    expect(longestStopPath(graph({}), () => 1000)).toEqual({ path: [], total: 0 });
  });

  it('is the process itself when nothing depends on it', () => {
    expect(longestStopPath(graph({ a: [] }), () => 5000)).toEqual({ path: ['a'], total: 5000 });
  });

  it('lists the path in stop order: dependents before what they depend on', () => {
    const g = graph({ web: ['api'], api: ['db'], db: [] });
    expect(longestStopPath(g, costs({ web: 1000, api: 2000, db: 3000 }))).toEqual({
      path: ['web', 'api', 'db'],
      total: 6000,
    });
  });

  it('follows the heavier branch of a diamond', () => {
    const g = graph({ web: ['api', 'auth'], api: ['db'], auth: ['db'], db: [] });
    expect(longestStopPath(g, costs({ web: 1, api: 10, auth: 20, db: 5 }))).toEqual({
      path: ['web', 'auth', 'db'],
      total: 26,
    });
    expect(longestStopPath(g, costs({ web: 1, api: 30, auth: 20, db: 5 }))).toEqual({
      path: ['web', 'api', 'db'],
      total: 36,
    });
  });

  it('weighs by cost, not by the number of processes', () => {
    const g = graph({ a: ['b'], b: ['c'], c: [], slow: [] });
    expect(longestStopPath(g, costs({ a: 1, b: 1, c: 1, slow: 100 }))).toEqual({
      path: ['slow'],
      total: 100,
    });
  });

  it('sums a long chain in full', () => {
    const g = graph({ e: ['d'], d: ['c'], c: ['b'], b: ['a'], a: [] });
    expect(longestStopPath(g, costs({ a: 1, b: 2, c: 3, d: 4, e: 5 }))).toEqual({
      path: ['e', 'd', 'c', 'b', 'a'],
      total: 15,
    });
  });

  it('keeps the first of equally slow paths in graph order', () => {
    expect(longestStopPath(graph({ a: [], b: [] }), () => 5)).toEqual({ path: ['a'], total: 5 });
    const g = graph({ db: [], api: ['db'], worker: ['db'] });
    expect(longestStopPath(g, costs({ db: 1, api: 10, worker: 10 }))).toEqual({
      path: ['api', 'db'],
      total: 11,
    });
  });

  it('ignores dependencies outside the graph', () => {
    expect(longestStopPath(graph({ a: ['ghost'] }), costs({ a: 3, ghost: 100 }))).toEqual({
      path: ['a'],
      total: 3,
    });
  });

  it('leaves out dependents that cost nothing', () => {
    expect(longestStopPath(graph({ a: [], b: ['a'] }), costs({ a: 5, b: 0 }))).toEqual({
      path: ['a'],
      total: 5,
    });
    expect(longestStopPath(graph({ a: [], b: ['a'] }), () => 0)).toEqual({ path: [], total: 0 });
  });

  it('asks for each process cost once', () => {
    const asked: string[] = [];
    const g = graph({ web: ['api', 'auth'], api: ['db'], auth: ['db'], db: [] });
    longestStopPath(g, (node) => {
      asked.push(node);
      return 1;
    });
    expect(asked.sort()).toEqual(['api', 'auth', 'db', 'web']);
  });

  it('handles a chain of a thousand processes', () => {
    const n = 1000;
    const chain = new Map<string, string[]>();
    for (let i = 0; i < n; i++) chain.set(`p${i}`, i > 0 ? [`p${i - 1}`] : []);
    const worst = longestStopPath(chain, () => 2);
    expect(worst.total).toBe(2 * n);
    expect(worst.path).toHaveLength(n);
    expect(worst.path[0]).toBe(`p${n - 1}`);
    expect(worst.path[n - 1]).toBe('p0');
  });
});
