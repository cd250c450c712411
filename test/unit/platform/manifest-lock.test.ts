// The manifest lock's pure decisions: where locks live, when a folder is unsafe, the file format,
// when a lock is stale, the messages users read, and which leftovers to kill from a /proc snapshot.
import { describe, expect, it } from 'vitest';
import {
  formatRecord,
  judgeLock,
  leftoverTargets,
  lockedError,
  lockFileName,
  parseRecord,
  runtimeDirFor,
  runtimeDirProblem,
  sameLock,
  takeoverInProgressError,
  type LockRecord,
} from '../../../src/platform/posix/manifest-lock.js';
import type { ProcessIdentity, ProcStat } from '../../../src/platform/posix/proc.js';

const record: LockRecord = {
  version: 1,
  manifest: '/srv/shop/corral.yaml',
  bootId: 'boot-a',
  supervisor: { pid: 4000, startTime: 900 },
  acquiredAt: '2026-01-02T03:04:05.000Z',
  children: [
    { pid: 4001, startTime: 950 },
    { pid: 4002, startTime: 951 },
  ],
};

describe('runtimeDirFor', () => {
  const user = { xdgRuntimeDir: undefined, uid: 1000, tmpdir: '/tmp', platform: 'linux' } as const;

  it('uses $XDG_RUNTIME_DIR/corral when XDG_RUNTIME_DIR is set', () => {
    expect(runtimeDirFor({ ...user, xdgRuntimeDir: '/run/user/1000' })).toBe('/run/user/1000/corral');
    expect(runtimeDirFor({ ...user, uid: 0, xdgRuntimeDir: '/run/user/0' })).toBe('/run/user/0/corral');
  });

  it('ignores an empty or relative XDG_RUNTIME_DIR, as the XDG spec says', () => {
    expect(runtimeDirFor({ ...user, xdgRuntimeDir: '' })).toBe('/tmp/corral-1000');
    expect(runtimeDirFor({ ...user, xdgRuntimeDir: 'run/user/1000' })).toBe('/tmp/corral-1000');
  });

  it('uses /run/corral as root (/var/run/corral off Linux)', () => {
    expect(runtimeDirFor({ ...user, uid: 0 })).toBe('/run/corral');
    expect(runtimeDirFor({ ...user, uid: 0, platform: 'darwin' })).toBe('/var/run/corral');
  });

  it('falls back to a per-user folder in the temp folder', () => {
    expect(runtimeDirFor(user)).toBe('/tmp/corral-1000');
    expect(runtimeDirFor({ ...user, tmpdir: '/var/tmp' })).toBe('/var/tmp/corral-1000');
  });
});

describe('runtimeDirProblem', () => {
  const safe = { isDirectory: true, isSymbolicLink: false, uid: 1000, mode: 0o40700 };
  const problem = (facts: Partial<typeof safe>) => {
    const error = runtimeDirProblem('/tmp/corral-1000', { ...safe, ...facts }, 1000);
    return error === null ? null : { code: error.code, message: error.message, hint: error.hint };
  };
  const hint = 'remove /tmp/corral-1000, or set XDG_RUNTIME_DIR to a folder of your own';

  it('accepts a folder of ours that only we can write to', () => {
    expect(problem({})).toBeNull();
    expect(problem({ mode: 0o40755 })).toBeNull();
  });

  it('refuses a symbolic link or something that is not a folder', () => {
    expect(problem({ isSymbolicLink: true, isDirectory: false })).toEqual({
      code: 'E_RUNTIME_DIR',
      message: 'runtime folder /tmp/corral-1000 is a symbolic link',
      hint,
    });
    expect(problem({ isDirectory: false })?.message).toBe('runtime folder /tmp/corral-1000 is not a folder');
  });

  it('refuses a folder someone else owns', () => {
    expect(problem({ uid: 0 })).toEqual({
      code: 'E_RUNTIME_DIR',
      message: 'runtime folder /tmp/corral-1000 belongs to uid 0, not to you (uid 1000)',
      hint,
    });
  });

  it('refuses a folder that group or others may write to, and says how to fix it', () => {
    expect(problem({ mode: 0o40775 })).toEqual({
      code: 'E_RUNTIME_DIR',
      message: 'runtime folder /tmp/corral-1000 is writable by group or others (mode 0775)',
      hint: 'chmod 700 /tmp/corral-1000',
    });
    expect(problem({ mode: 0o41777 })?.message).toContain('(mode 0777)');
  });
});

describe('lockFileName', () => {
  it('is the service name plus a short hash of the manifest path', () => {
    expect(lockFileName('/srv/shop/corral.yaml', 'shop')).toMatch(/^shop-[0-9a-f]{12}\.lock$/);
    expect(lockFileName('/srv/shop/corral.yaml', 'shop')).toBe(lockFileName('/srv/shop/corral.yaml', 'shop'));
  });

  it('tells apart two manifests with the same service name', () => {
    expect(lockFileName('/srv/a/corral.yaml', 'shop')).not.toBe(lockFileName('/srv/b/corral.yaml', 'shop'));
  });

  it('keeps the name one safe path segment', () => {
    expect(lockFileName('/m.yaml', 'my shop/../x')).toMatch(/^my_shop_.._x-[0-9a-f]{12}\.lock$/);
    expect(lockFileName('/m.yaml', 'x'.repeat(300))).toHaveLength(64 + 1 + 12 + 5);
  });
});

describe('formatRecord and parseRecord', () => {
  it('round-trip a record', () => {
    expect(parseRecord(formatRecord(record))).toEqual({ ok: true, record });
  });

  it('write the documented fields and nothing else, whatever the identities carry', () => {
    const stat: ProcStat = {
      pid: 4001,
      comm: 'node',
      state: 'S',
      ppid: 1,
      pgrp: 1,
      session: 1,
      startTime: 950,
    };
    const text = formatRecord({ ...record, children: [stat] });
    expect(JSON.parse(text)).toEqual({
      version: 1,
      manifest: '/srv/shop/corral.yaml',
      bootId: 'boot-a',
      supervisor: { pid: 4000, startTime: 900 },
      acquiredAt: '2026-01-02T03:04:05.000Z',
      children: [{ pid: 4001, startTime: 950 }],
    });
  });

  it('say what is wrong with a file that is not a lock', () => {
    const json = JSON.parse(formatRecord(record)) as Record<string, unknown>;
    const broken = (patch: Record<string, unknown>) => parseRecord(JSON.stringify({ ...json, ...patch }));
    const wrongType = { ok: false, problem: 'a field is missing or has the wrong type' };
    expect(parseRecord('{"version": 1,')).toEqual({ ok: false, problem: 'not JSON' });
    expect(parseRecord('[1]')).toEqual({ ok: false, problem: 'not a JSON object' });
    expect(parseRecord('null')).toEqual({ ok: false, problem: 'not a JSON object' });
    expect(broken({ version: 2 })).toEqual({ ok: false, problem: 'version 2, expected 1' });
    expect(broken({ version: '1' })).toEqual({ ok: false, problem: 'version "1", expected 1' });
    expect(broken({ version: undefined })).toEqual({ ok: false, problem: 'version missing, expected 1' });
    expect(broken({ manifest: 7 })).toEqual(wrongType);
    expect(broken({ supervisor: { pid: 0, startTime: 1 } })).toEqual(wrongType);
    expect(broken({ supervisor: { pid: '4000', startTime: 1 } })).toEqual(wrongType);
    expect(broken({ children: [{ pid: 5, startTime: -1 }] })).toEqual(wrongType);
    expect(broken({ children: {} })).toEqual(wrongType);
  });
});

describe('judgeLock', () => {
  const alive = (who: ProcessIdentity) => who.pid === 4000 && who.startTime === 900;

  it('is held while its supervisor lives', () => {
    expect(judgeLock(record, 'boot-a', alive)).toEqual({ kind: 'held' });
  });

  it('is stale once its supervisor is gone, and hands over the children it recorded', () => {
    expect(judgeLock(record, 'boot-a', () => false)).toEqual({ kind: 'stale', leftovers: record.children });
  });

  it('is stale after a reboot, with no leftovers, even if its pid and start time match a live process', () => {
    expect(judgeLock(record, 'boot-b', alive)).toEqual({ kind: 'stale', leftovers: [] });
  });
});

describe('sameLock', () => {
  it('is one holding: same boot, supervisor and time taken; the children may differ', () => {
    expect(sameLock(record, { ...record, children: [] })).toBe(true);
    expect(sameLock(record, { ...record, bootId: 'boot-b' })).toBe(false);
    expect(sameLock(record, { ...record, supervisor: { pid: 4000, startTime: 901 } })).toBe(false);
    expect(sameLock(record, { ...record, supervisor: { pid: 4003, startTime: 900 } })).toBe(false);
    expect(sameLock(record, { ...record, acquiredAt: '2026-01-02T03:04:06.000Z' })).toBe(false);
  });
});

describe('messages', () => {
  it('E_LOCKED says who holds the manifest, since when, and what to do', () => {
    const error = lockedError(record, '/run/corral/shop-0123456789ab.lock');
    expect([error.code, error.message, error.hint]).toEqual([
      'E_LOCKED',
      '/srv/shop/corral.yaml is already supervised by corral pid 4000 (since 2026-01-02T03:04:05.000Z)',
      'stop that supervisor first (kill 4000 stops it in order); ' +
        'its lock is /run/corral/shop-0123456789ab.lock',
    ]);
  });

  it('E_LOCKED during someone else’s takeover names the taker and the dead supervisor', () => {
    const taker = { ...record, supervisor: { pid: 5000, startTime: 990 }, children: [] };
    const error = takeoverInProgressError(record, taker, '/run/corral/shop-0123456789ab.lock');
    expect([error.code, error.message, error.hint]).toEqual([
      'E_LOCKED',
      '/srv/shop/corral.yaml is being taken over by corral pid 5000 right now ' +
        '(its previous supervisor, pid 4000, died)',
      'stop that supervisor first (kill 5000 stops it in order); ' +
        'its lock is /run/corral/shop-0123456789ab.lock',
    ]);
  });
});

describe('leftoverTargets', () => {
  const proc = (pid: number, ppid: number, startTime: number, state = 'S'): ProcStat => ({
    pid,
    comm: 'node',
    state,
    ppid,
    pgrp: pid,
    session: pid,
    startTime,
  });
  const SELF = 100;
  //   1 ─┬─ 100 (self) ── 101
  //      ├─ 200 (leftover) ─┬─ 201 ── 202
  //      │                  └─ 203 (zombie)
  //      ├─ 300 (pid reused: start time 31, recorded 30) ── 301
  //      ├─ 400 (zombie leftover)
  //      └─ 500 (leftover, also recorded: its child 501)
  const snapshot = [
    proc(1, 0, 1),
    proc(100, 1, 10),
    proc(101, 100, 11),
    proc(200, 1, 20),
    proc(201, 200, 21),
    proc(202, 201, 22),
    proc(203, 200, 23, 'Z'),
    proc(300, 1, 31),
    proc(301, 300, 32),
    proc(400, 1, 40, 'Z'),
    proc(500, 1, 50),
    proc(501, 500, 51),
  ];
  const pids = (recorded: ProcessIdentity[], self = SELF) =>
    leftoverTargets(recorded, snapshot, self).map((p) => p.pid);

  it('takes a recorded process still running with its start time, and its live descendants, parents first', () => {
    expect(leftoverTargets([{ pid: 200, startTime: 20 }], snapshot, SELF)).toEqual([
      { pid: 200, startTime: 20 },
      { pid: 201, startTime: 21 },
      { pid: 202, startTime: 22 },
    ]);
  });

  it('leaves alone a pid now used by another process, and that process’s children', () => {
    expect(pids([{ pid: 300, startTime: 30 }])).toEqual([]);
  });

  it('skips zombies and processes that are gone', () => {
    expect(pids([{ pid: 400, startTime: 40 }])).toEqual([]);
    expect(pids([{ pid: 999, startTime: 1 }])).toEqual([]);
  });

  it('names each process once, even when recorded twice or also a descendant', () => {
    const recorded = [
      { pid: 500, startTime: 50 },
      { pid: 501, startTime: 51 },
      { pid: 500, startTime: 50 },
    ];
    expect(pids(recorded)).toEqual([500, 501]);
  });

  it('never takes this supervisor or its ancestors', () => {
    expect(pids([{ pid: 1, startTime: 1 }])).toEqual([200, 300, 500, 101, 201, 301, 501, 202]);
    expect(pids([{ pid: 200, startTime: 20 }], 201)).toEqual([202]);
  });
});
