// The manifest watcher's decisions without a file system: the debounce on a fake clock, what a
// check reports given fingerprints, the error messages, and the options it refuses.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Debouncer,
  decide,
  ManifestWatcher,
  MISSING,
  normalizeFiles,
  watchErrorMessage,
  type Fingerprint,
} from '../../../src/reload/watch.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function debouncer(timing = { quietMs: 100, maxWaitMs: 1000 }) {
  const clock = new FakeClock();
  const fired: number[] = [];
  const d = new Debouncer(clock, timing, () => fired.push(clock.now()));
  return { clock, fired, d };
}

describe('Debouncer', () => {
  it('fires once, quietMs after a single poke and not before', () => {
    const { clock, fired, d } = debouncer();
    d.poke();
    expect(d.pending).toBe(true);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([100]);
    expect(d.pending).toBe(false);
    clock.advance(10_000);
    expect(fired).toEqual([100]);
  });

  it('waits for quietMs after the last of pokes that come closer together', () => {
    const { clock, fired, d } = debouncer();
    for (let i = 0; i < 5; i++) {
      d.poke();
      clock.advance(60);
    }
    // Last poke at 240: fires at 340.
    clock.advance(1000);
    expect(fired).toEqual([340]);
    expect(clock.pending).toBe(0);
  });

  it('fires maxWaitMs after the first poke when pokes never stop, then starts a new burst', () => {
    const { clock, fired, d } = debouncer({ quietMs: 100, maxWaitMs: 300 });
    for (let t = 0; t < 1000; t += 20) {
      d.poke();
      clock.advance(20);
    }
    // Each fire ends a burst and the poke right after it starts the next; the last poke is at 980.
    expect(fired).toEqual([300, 600, 900]);
    clock.advance(1000);
    expect(fired).toEqual([300, 600, 900, 1080]);
  });

  it('starts counting maxWaitMs again at the first poke after a fire', () => {
    const { clock, fired, d } = debouncer({ quietMs: 100, maxWaitMs: 150 });
    d.poke();
    clock.advance(100);
    expect(fired).toEqual([100]);
    clock.advance(500);
    d.poke();
    clock.advance(90);
    d.poke();
    // The burst began at 600: max wait caps it at 750 although the last poke was at 690.
    clock.advance(59);
    expect(fired).toEqual([100]);
    clock.advance(1);
    expect(fired).toEqual([100, 750]);
  });

  it('never fires once cancelled, and leaves no timer behind', () => {
    const { clock, fired, d } = debouncer();
    d.poke();
    clock.advance(50);
    d.cancel();
    expect(d.pending).toBe(false);
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(fired).toEqual([]);
  });

  it('keeps a single timer however many pokes arrive', () => {
    const { clock, d } = debouncer();
    for (let i = 0; i < 200; i++) d.poke();
    expect(clock.pending).toBe(1);
  });
});

describe('decide', () => {
  const files = ['/etc/shop/corral.yaml', '/etc/shop/app.env'];
  const [manifest, env] = files as [string, string];
  const prints = (m: Fingerprint, e: Fingerprint) =>
    new Map([
      [manifest, m],
      [env, e],
    ]);

  it('reports nothing when every fingerprint is what was last reported', () => {
    const reported = prints('sha256:a', 'sha256:b');
    const decision = decide(files, reported, prints('sha256:a', 'sha256:b'));
    expect(decision.event).toBeUndefined();
    expect(decision.reported).toBe(reported);
  });

  it('names each changed file, in files order, and remembers the new fingerprints', () => {
    const d1 = decide(files, prints('sha256:a', 'sha256:b'), prints('sha256:a', 'sha256:c'));
    expect(d1.event).toEqual({ kind: 'changed', files: [env] });
    const d2 = decide(files, d1.reported, prints('sha256:x', 'sha256:y'));
    expect(d2.event).toEqual({ kind: 'changed', files: [manifest, env] });
    expect(decide(files, d2.reported, prints('sha256:x', 'sha256:y')).event).toBeUndefined();
  });

  it('treats a missing or unreadable env_file as a change', () => {
    const d1 = decide(files, prints('sha256:a', 'sha256:b'), prints('sha256:a', MISSING));
    expect(d1.event).toEqual({ kind: 'changed', files: [env] });
    const d2 = decide(files, d1.reported, prints('sha256:a', 'unreadable:EACCES'));
    expect(d2.event).toEqual({ kind: 'changed', files: [env] });
  });

  it('reports a missing manifest once, then a change naming it when it is back', () => {
    const d1 = decide(files, prints('sha256:a', 'sha256:b'), prints(MISSING, 'sha256:b'));
    expect(d1.event).toEqual({ kind: 'missing', file: manifest });
    const d2 = decide(files, d1.reported, prints(MISSING, 'sha256:b'));
    expect(d2.event).toBeUndefined();
    // Back with the very same bytes: still a change, so the caller knows the file is there again.
    const d3 = decide(files, d2.reported, prints('sha256:a', 'sha256:b'));
    expect(d3.event).toEqual({ kind: 'changed', files: [manifest] });
  });

  it('holds env_file changes made while the manifest is missing until it is back', () => {
    const d1 = decide(files, prints('sha256:a', 'sha256:b'), prints(MISSING, 'sha256:b'));
    const d2 = decide(files, d1.reported, prints(MISSING, 'sha256:c'));
    expect(d2.event).toBeUndefined();
    const d3 = decide(files, d2.reported, prints('sha256:a', 'sha256:c'));
    expect(d3.event).toEqual({ kind: 'changed', files: [manifest, env] });
  });

  it('counts a file absent from the fingerprints read as missing', () => {
    const decision = decide(files, prints('sha256:a', 'sha256:b'), new Map([[manifest, 'sha256:a']]));
    expect(decision.event).toEqual({ kind: 'changed', files: [env] });
  });
});

describe('watchErrorMessage', () => {
  const fail = (code: string, message = `${code}: failed`) => Object.assign(new Error(message), { code });

  it('says what failed, which folder, and the fix', () => {
    expect(watchErrorMessage('/etc/shop', fail('ENOSPC'))).toBe(
      'cannot watch the folder /etc/shop for manifest changes: the system limit on inotify watches is reached (ENOSPC); raise it, e.g. sysctl fs.inotify.max_user_watches=524288',
    );
    expect(watchErrorMessage('/etc/shop', fail('EMFILE'))).toBe(
      'cannot watch the folder /etc/shop for manifest changes: too many open files (EMFILE); raise the limit (ulimit -n, or LimitNOFILE= in the systemd unit)',
    );
    expect(watchErrorMessage('/etc/shop', fail('EACCES'))).toBe(
      "cannot watch the folder /etc/shop for manifest changes: permission denied (EACCES); give corral's user read and search access to it",
    );
  });

  it('passes other errors on with their own message', () => {
    expect(watchErrorMessage('/etc/shop', fail('EIO', 'EIO: i/o error, watch'))).toBe(
      'cannot watch the folder /etc/shop for manifest changes: EIO: i/o error, watch',
    );
    expect(watchErrorMessage('/etc/shop', 'odd')).toBe(
      'cannot watch the folder /etc/shop for manifest changes: odd',
    );
  });
});

describe('options', () => {
  it('resolves files and drops duplicates, keeping the manifest first', () => {
    expect(normalizeFiles(['corral.yaml', '/x/a.env', 'corral.yaml', '/x/a.env'])).toEqual([
      resolve('corral.yaml'),
      '/x/a.env',
    ]);
  });

  it('refuses an empty file list and impossible timings before watching anything', () => {
    const none = () => undefined;
    expect(() => new ManifestWatcher({ files: [] }, none)).toThrow(
      'ManifestWatcher: files must name the manifest first, got []',
    );
    expect(() => new ManifestWatcher({ files: ['m.yaml'], quietMs: -1 }, none)).toThrow(
      'ManifestWatcher: quietMs must be a number of milliseconds, 0 or more, got -1',
    );
    expect(() => new ManifestWatcher({ files: ['m.yaml'], rescanMs: 0 }, none)).toThrow(
      'ManifestWatcher: rescanMs must be a number of milliseconds, above 0, got 0',
    );
    expect(() => new ManifestWatcher({ files: ['m.yaml'], quietMs: 500, maxWaitMs: 200 }, none)).toThrow(
      'ManifestWatcher: maxWaitMs (200) must be at least quietMs (500)',
    );
  });
});
