import { describe, expect, it } from 'vitest';
import type { ProcessState } from '../../../src/core/process-machine.js';
import {
  conditionMet,
  describeUnmet,
  readyToStop,
  stopDependents,
  unmetDependencies,
} from '../../../src/core/ordering.js';
import { HEAD, load } from '../../helpers/manifest.js';

const S = {
  idle: { kind: 'idle' },
  waiting: { kind: 'waiting' },
  spawning: { kind: 'starting', pid: null, since: 0 },
  starting: { kind: 'starting', pid: 7, since: 0 },
  running: { kind: 'running', pid: 7, since: 0 },
  backoff: { kind: 'backoff', until: 1, reason: 'r', coolDown: false },
  stopping: { kind: 'stopping', pid: 7, step: 0, then: 'idle', cause: null, since: 0 },
  exited: { kind: 'exited', code: 0, signal: null },
  failed: { kind: 'failed', reason: 'r' },
} satisfies Record<string, ProcessState>;

const stack = load(
  `${HEAD}processes:
  migrate: { command: x }
  db: { command: x, depends_on: { migrate: completed }, ready: { tcp: 1 } }
  cache: { command: x }
  api: { command: x, depends_on: { db: ready, cache: started } }
  web: { command: x, depends_on: { api: started } }
`,
).processes;
const byName = new Map(stack.map((p) => [p.name, p]));
const spec = (name: string) => {
  const p = byName.get(name);
  if (p === undefined) throw new Error(`no process ${name}`);
  return p;
};

describe('conditionMet', () => {
  const table: [keyof typeof S, boolean, boolean, boolean][] = [
    // state      started ready  completed
    ['idle', false, false, false],
    ['waiting', false, false, false],
    ['spawning', false, false, false],
    ['starting', true, false, false],
    ['running', true, true, false],
    ['backoff', false, false, false],
    ['stopping', false, false, false],
    ['exited', true, false, true],
    ['failed', false, false, false],
  ];
  it.each(table)('%s: started %s, ready %s, completed %s', (state, started, ready, completed) => {
    expect([
      conditionMet('started', S[state]),
      conditionMet('ready', S[state]),
      conditionMet('completed', S[state]),
    ]).toEqual([started, ready, completed]);
  });
});

describe('unmetDependencies', () => {
  it('lists what a process still waits for, with each dependency state', () => {
    const states = new Map<string, ProcessState>([
      ['db', S.starting],
      ['cache', S.backoff],
    ]);
    const unmet = unmetDependencies(spec('api'), states);
    expect(unmet).toEqual([
      { name: 'db', condition: 'ready', state: 'starting' },
      { name: 'cache', condition: 'started', state: 'backoff' },
    ]);
    expect(describeUnmet(unmet)).toBe(
      'waits for db to be ready (now starting), cache to be started (now backoff)',
    );
  });

  it('is empty once every condition holds, and for a process without dependencies', () => {
    const states = new Map<string, ProcessState>([
      ['db', S.running],
      ['cache', S.starting],
    ]);
    expect(unmetDependencies(spec('api'), states)).toEqual([]);
    expect(unmetDependencies(spec('cache'), new Map())).toEqual([]);
  });

  it('treats a dependency with no state as unmet', () => {
    expect(unmetDependencies(spec('web'), new Map())).toEqual([
      { name: 'api', condition: 'started', state: 'unknown' },
    ]);
  });
});

describe('ordered stop', () => {
  const dependents = stopDependents(stack);

  it('knows who must stop first, leaving out completed dependencies', () => {
    expect(Object.fromEntries(dependents)).toEqual({
      migrate: [],
      db: ['api'],
      cache: ['api'],
      api: ['web'],
      web: [],
    });
  });

  it('stops in reverse dependency order, independent processes together', () => {
    const states = new Map<string, ProcessState>(stack.map((p) => [p.name, S.running]));
    states.set('migrate', S.exited);
    const order: string[][] = [];
    for (let round = 0; round < 10; round++) {
      const now = readyToStop(dependents, states);
      if (now.length === 0) break;
      order.push(now);
      for (const name of now) states.set(name, S.idle);
    }
    expect(order).toEqual([['web'], ['api'], ['db', 'cache']]);
  });

  it('waits while a dependent is still stopping, and skips what is already stopping or settled', () => {
    const states = new Map<string, ProcessState>([
      ['migrate', S.exited],
      ['db', S.running],
      ['cache', S.failed],
      ['api', S.stopping],
      ['web', S.idle],
    ]);
    expect(readyToStop(dependents, states)).toEqual([]);
    states.set('api', S.idle);
    expect(readyToStop(dependents, states)).toEqual(['db']);
  });

  it('stops a process in backoff (its pending restart is cancelled by the stop)', () => {
    const states = new Map<string, ProcessState>([
      ['migrate', S.exited],
      ['db', S.backoff],
      ['cache', S.idle],
      ['api', S.waiting],
      ['web', S.idle],
    ]);
    expect(readyToStop(dependents, states)).toEqual(['db']);
  });
});
