// The generic diff of resolved manifests and the reload plan built on it, on manifests written
// in the test (no files, no processes).
import { describe, expect, it } from 'vitest';
import { diffManifests, diffValues } from '../../../src/reload/diff.js';
import { describePlan, planReload } from '../../../src/reload/plan.js';
import { load } from '../../helpers/manifest.js';

const HEAD = 'version: 1\nservice: { name: shop }\n';
const stack = (overrides: Record<string, string> = {}, extra = '') =>
  load(`${HEAD}${extra}processes:
  db: ${overrides['db'] ?? '{ command: [db, --port, "5432"], ready: { tcp: 5432 } }'}
  cache: ${overrides['cache'] ?? '{ command: [cache] }'}
  api: ${overrides['api'] ?? '{ command: [api], depends_on: { db: ready, cache: started } }'}
  web: ${overrides['web'] ?? '{ command: [web], depends_on: { api: started } }'}
  report: ${overrides['report'] ?? '{ command: [report], depends_on: { db: completed } }'}
`);

describe('diffValues', () => {
  it('names each differing key path, lists by index, a resized list whole', () => {
    expect(diffValues({ a: 1, b: { c: [1, 2], d: 'x' } }, { a: 1, b: { c: [1, 3], d: 'y' } })).toEqual([
      'b.c[1]',
      'b.d',
    ]);
    expect(diffValues({ list: [1] }, { list: [1, 2] })).toEqual(['list']);
    expect(diffValues({ a: 1 }, { b: 1 })).toEqual(['a', 'b']);
    expect(diffValues(null, null)).toEqual([]);
  });
});

describe('diffManifests', () => {
  it('finds nothing between identical manifests', () => {
    const d = diffManifests(stack(), stack());
    expect(d).toEqual({
      added: [],
      removed: [],
      changed: [],
      unchanged: ['db', 'cache', 'api', 'web', 'report'],
      settings: [],
    });
  });

  it('sees added, removed and changed processes with the keys that changed', () => {
    const before = stack();
    const after = load(`${HEAD}processes:
  db: { command: [db, --port, "5433"], ready: { tcp: 5432 }, env: { MODE: prod } }
  cache: { command: [cache] }
  api: { command: [api], depends_on: { db: ready, cache: started }, restart: { delay: 5s } }
  web: { command: [web], depends_on: { api: started } }
  search: { command: [search] }
`);
    const d = diffManifests(before, after);
    expect(d.added).toEqual(['search']);
    expect(d.removed).toEqual(['report']);
    expect(d.changed).toEqual([
      { name: 'db', keys: ['command[2]', 'env.MODE'] },
      { name: 'api', keys: ['restart.delay'] },
    ]);
    expect(d.unchanged).toEqual(['cache', 'web']);
  });

  it('treats a renamed process as one removed and one added', () => {
    const d = diffManifests(stack(), load(`${HEAD}processes:\n  database: { command: [db] }\n`));
    expect(d.added).toEqual(['database']);
    expect(d.removed).toEqual(['db', 'cache', 'api', 'web', 'report']);
  });

  it('ignores an edit that only touches x- keys', () => {
    const after = load(`${HEAD}x-note: "changed"
processes:
  db: { command: [db, --port, "5432"], ready: { tcp: 5432 }, x-owner: ops }
  cache: { command: [cache] }
  api: { command: [api], depends_on: { db: ready, cache: started } }
  web: { command: [web], depends_on: { api: started } }
  report: { command: [report], depends_on: { db: completed } }
`);
    const plan = planReload(stack(), after);
    expect(plan.stop).toEqual([]);
    expect(plan.start).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(describePlan(plan)).toBe('nothing to do: no process or setting changed\n');
  });
});

describe('planReload', () => {
  it('restarts a process whose command changed, and its dependents, in order; leaves the rest', () => {
    const plan = planReload(
      stack(),
      stack({ db: '{ command: [db, --port, "6000"], ready: { tcp: 5432 } }' }),
    );
    expect(plan.stop).toEqual(['web', 'api', 'db']);
    expect(plan.start).toEqual(['db', 'api', 'web']);
    expect(plan.untouched).toEqual(['cache', 'report']);
    expect(plan.reasons).toEqual({
      db: 'changed: command[2]',
      api: 'depends on db, which restarts',
      web: 'depends on api, which restarts',
    });
  });

  it('restarts for an env change, but applies supervision settings without a restart', () => {
    const plan = planReload(
      stack(),
      stack({
        cache: '{ command: [cache], env: { SIZE: "2g" } }',
        web: '{ command: [web], depends_on: { api: started }, restart: { policy: always }, stop: [ { graceful: 3s }, kill ] }',
      }),
    );
    expect(plan.stop).toEqual(['web', 'api', 'cache']);
    expect(plan.start).toEqual(['cache', 'api', 'web']);
    expect(plan.update).toEqual([]);
    expect(plan.reasons['web']).toBe('depends on api, which restarts');
    const live = planReload(
      stack(),
      stack({ web: '{ command: [web], depends_on: { api: started }, restart: { policy: always } }' }),
    );
    expect(live.stop).toEqual([]);
    expect(live.update).toEqual(['web']);
    expect(live.reasons['web']).toBe('changed: restart.policy (applied without a restart)');
  });

  it('stops removed processes in reverse order and starts added ones in order', () => {
    const after = load(`${HEAD}processes:
  db: { command: [db, --port, "5432"], ready: { tcp: 5432 } }
  cache: { command: [cache] }
  queue: { command: [queue], depends_on: { db: ready } }
  worker: { command: [worker], depends_on: { queue: started } }
`);
    const plan = planReload(stack(), after);
    expect(plan.stop).toEqual(['web', 'api', 'report']);
    expect(plan.start).toEqual(['queue', 'worker']);
    expect(plan.untouched).toEqual(['db', 'cache']);
  });

  it('treats disabling as a stop and enabling as a start', () => {
    const plan = planReload(
      stack(),
      stack({ web: '{ command: [web], depends_on: { api: started }, disabled: true }' }),
    );
    expect(plan.stop).toEqual(['web']);
    expect(plan.start).toEqual([]);
    expect(plan.reasons['web']).toBe('disabled');
    const back = planReload(
      stack({ web: '{ command: [web], depends_on: { api: started }, disabled: true }' }),
      stack(),
    );
    expect(back.start).toEqual(['web']);
    expect(back.reasons['web']).toBe('enabled');
  });

  it('does not restart a dependent that waits for completed', () => {
    const plan = planReload(stack(), stack({ db: '{ command: [db2], ready: { tcp: 5432 } }' }));
    expect(plan.stop).not.toContain('report');
    expect(plan.untouched).toContain('report');
  });

  it('reports service settings that need a service restart, and applies stop_timeout and log live', () => {
    const before = load(`${HEAD}processes:\n  a: { command: [a] }\n`);
    const after = load(
      `version: 1\nservice: { name: shop2, stop_timeout: 2m, account: LocalService }\nlog: { level: debug }\nprocesses:\n  a: { command: [a] }\n`,
    );
    const plan = planReload(before, after);
    expect(plan.needsServiceRestart).toEqual([
      'service.name',
      'service.display_name',
      'service.account.kind',
    ]);
    expect(describePlan(plan)).toBe(
      'needs a service restart: service.name changed\n' +
        'needs a service restart: service.display_name changed\n' +
        'needs a service restart: service.account.kind changed\n',
    );
  });

  it('describes a plan in words', () => {
    const plan = planReload(
      stack(),
      stack({
        db: '{ command: [db, --port, "6000"], ready: { tcp: 5432 } }',
        report: '{ command: [report], depends_on: { db: completed }, disabled: true }',
      }),
    );
    expect(describePlan(plan)).toBe(
      'stop     report  (disabled)\n' +
        'restart  web  (depends on api, which restarts)\n' +
        'restart  api  (depends on db, which restarts)\n' +
        'restart  db  (changed: command[2])\n',
    );
  });
});
