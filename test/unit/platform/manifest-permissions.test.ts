// Who else could change the manifest: the rules on crafted metadata (no real chmod), the chain
// walk over a fake file system, and the refusal message word for word.
import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  ancestry,
  checkManifestPermissions,
  formatPermissionProblems,
  judgeChain,
  judgePath,
  parsePasswd,
  shellQuote,
  type ManifestFiles,
  type NameOf,
  type PathEntry,
  type PermissionProblem,
  type StatLike,
} from '../../../src/platform/posix/manifest-permissions.js';

const FILE = '/etc/corral/corral.yaml';
const names: NameOf = (uid) => ({ 0: 'root', 1000: 'alice' })[uid];

const file = (mode: number, uid = 0, p = FILE): PathEntry => ({ path: p, kind: 'file', uid, gid: uid, mode });
const dir = (p: string, mode: number, uid = 0): PathEntry => ({ path: p, kind: 'dir', uid, gid: uid, mode });
const link = (p: string, uid = 0): PathEntry => ({ path: p, kind: 'symlink', uid, gid: uid, mode: 0o777 });

describe('judgePath', () => {
  it.each<[string, PathEntry, PermissionProblem | null]>([
    ['a 0644 file owned by root', file(0o644), null],
    ['a 0600 file owned by root', file(0o600), null],
    [
      'a group-writable file (0664)',
      file(0o664),
      { path: FILE, what: ['is writable by group (mode 0664)'], fix: [`chmod g-w ${FILE}`] },
    ],
    [
      'a world-writable file (0646)',
      file(0o646),
      { path: FILE, what: ['is writable by others (mode 0646)'], fix: [`chmod o-w ${FILE}`] },
    ],
    [
      'a group- and world-writable file (0666)',
      file(0o666),
      { path: FILE, what: ['is writable by group and others (mode 0666)'], fix: [`chmod go-w ${FILE}`] },
    ],
    [
      'a setuid world-writable file (04666): all special bits shown',
      file(0o4666),
      { path: FILE, what: ['is writable by group and others (mode 4666)'], fix: [`chmod go-w ${FILE}`] },
    ],
    [
      'a 0644 file owned by uid 1000',
      file(0o644, 1000),
      { path: FILE, what: ['is owned by uid 1000 (alice), not root'], fix: [`chown root ${FILE}`] },
    ],
    [
      'a 0644 file owned by a uid without a name',
      file(0o644, 4242),
      { path: FILE, what: ['is owned by uid 4242, not root'], fix: [`chown root ${FILE}`] },
    ],
    [
      'a 0666 file owned by uid 1000: both, owner first',
      file(0o666, 1000),
      {
        path: FILE,
        what: ['is owned by uid 1000 (alice), not root', 'is writable by group and others (mode 0666)'],
        fix: [`chown root ${FILE}`, `chmod go-w ${FILE}`],
      },
    ],
    ['a 0755 folder owned by root', dir('/etc', 0o755), null],
    [
      'a 0777 folder, not sticky',
      dir('/srv/app', 0o777),
      {
        path: '/srv/app',
        what: ['is writable by group and others (mode 0777), so they can replace what is in it'],
        fix: ['chmod go-w /srv/app'],
      },
    ],
    [
      'a 0775 folder',
      dir('/srv/app', 0o775),
      {
        path: '/srv/app',
        what: ['is writable by group (mode 0775), so they can replace what is in it'],
        fix: ['chmod g-w /srv/app'],
      },
    ],
    ['a sticky 1777 folder owned by root (like /tmp)', dir('/tmp', 0o1777), null],
    ['a sticky 1770 folder owned by root', dir('/srv/drop', 0o1770), null],
    [
      'a folder marked sticky by the flag rather than the mode',
      { ...dir('/tmp', 0o777), sticky: true },
      null,
    ],
    [
      'a sticky 1777 folder owned by uid 1000: its owner can replace anything in it',
      dir('/tmp', 0o1777, 1000),
      { path: '/tmp', what: ['is owned by uid 1000 (alice), not root'], fix: ['chown root /tmp'] },
    ],
    [
      'the sticky bit on a file protects nothing',
      file(0o1666),
      { path: FILE, what: ['is writable by group and others (mode 1666)'], fix: [`chmod go-w ${FILE}`] },
    ],
    ['a symlink owned by root (its 0777 mode means nothing)', link('/etc/corral'), null],
    [
      'a symlink owned by uid 1000',
      link('/etc/corral', 1000),
      {
        path: '/etc/corral',
        what: ['is a symlink owned by uid 1000 (alice), not root'],
        fix: ['chown -h root /etc/corral'],
      },
    ],
    [
      'a path that needs quoting in the fix',
      file(0o666, 0, "/srv/my app/it's.yaml"),
      {
        path: "/srv/my app/it's.yaml",
        what: ['is writable by group and others (mode 0666)'],
        fix: [`chmod go-w '/srv/my app/it'\\''s.yaml'`],
      },
    ],
  ])('%s', (_label, entry, expected) => {
    expect(judgePath(entry, 0, names)).toEqual(expected);
  });

  it('accepts what the running user owns, and names that user when refusing another', () => {
    expect(judgePath(file(0o644, 1000), 1000, names)).toBeNull();
    expect(judgePath(file(0o644, 2000), 1000, names)).toEqual({
      path: FILE,
      what: ['is owned by uid 2000, not root or uid 1000 (alice)'],
      fix: [`chown root ${FILE}`],
    });
  });

  it('shows bare uids when no names are given', () => {
    expect(judgePath(file(0o644, 1000), 0)?.what).toEqual(['is owned by uid 1000, not root']);
  });
});

describe('judgeChain', () => {
  const etc = dir('/etc', 0o755);
  const root = dir('/', 0o755);

  it('accepts a 0644 root file in 0755 root folders', () => {
    expect(judgeChain([file(0o644), dir('/etc/corral', 0o755), etc, root], 0, names)).toEqual([]);
  });

  it('accepts a root-owned file in a sticky /tmp-like folder', () => {
    const chain = [file(0o644, 0, '/tmp/corral.yaml'), dir('/tmp', 0o1777), root];
    expect(judgeChain(chain, 0, names)).toEqual([]);
  });

  it('refuses a file owned by another user in a sticky folder: they could swap it', () => {
    const chain = [file(0o644, 1000, '/tmp/corral.yaml'), dir('/tmp', 0o1777), root];
    expect(judgeChain(chain, 0, names)).toEqual([
      {
        path: '/tmp/corral.yaml',
        what: ['is owned by uid 1000 (alice), not root'],
        fix: ['chown root /tmp/corral.yaml'],
      },
    ]);
  });

  it('reports every entry at fault, file first and then up the chain', () => {
    const chain = [file(0o664), dir('/etc/corral', 0o755, 1000), dir('/etc', 0o777), root];
    expect(judgeChain(chain, 0, names).map((p) => [p.path, p.fix])).toEqual([
      [FILE, [`chmod g-w ${FILE}`]],
      ['/etc/corral', ['chown root /etc/corral']],
      ['/etc', ['chmod go-w /etc']],
    ]);
  });
});

describe('ancestry', () => {
  it.each([
    [FILE, [FILE, '/etc/corral', '/etc', '/']],
    ['/corral.yaml', ['/corral.yaml', '/']],
    ['/', ['/']],
    ['/etc/corral/', ['/etc/corral', '/etc', '/']],
  ])('%s', (p, expected) => {
    expect(ancestry(p)).toEqual(expected);
  });
});

describe('parsePasswd', () => {
  it('maps each uid to its first name, skipping comments and malformed lines', () => {
    const text =
      'root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\n# comment\n\nbad\nalice:x:1000:1000::/home/alice:/bin/bash\nodd:x:abc:1::/:/bin/sh\n';
    expect([...parsePasswd(text)]).toEqual([
      [0, 'root'],
      [1000, 'alice'],
    ]);
  });
});

describe('shellQuote', () => {
  it.each([
    ['/etc/corral/corral.yaml', '/etc/corral/corral.yaml'],
    ['/srv/a-b_c.d/x+y=z@1:2,3%', '/srv/a-b_c.d/x+y=z@1:2,3%'],
    ['/srv/my app', "'/srv/my app'"],
    ['/srv/$HOME', "'/srv/$HOME'"],
    ["/srv/it's", "'/srv/it'\\''s'"],
  ])('%s → %s', (p, expected) => {
    expect(shellQuote(p)).toBe(expected);
  });
});

describe('checkManifestPermissions', () => {
  const { S_IFDIR, S_IFREG, S_IFLNK } = fs.constants;
  const reg = (mode: number, uid = 0): StatLike => ({ uid, gid: uid, mode: S_IFREG | mode });
  const folder = (mode: number, uid = 0): StatLike => ({ uid, gid: uid, mode: S_IFDIR | mode });
  const symlink = (uid = 0): StatLike => ({ uid, gid: uid, mode: S_IFLNK | 0o777 });

  const clean: Record<string, StatLike> = {
    '/': folder(0o755),
    '/etc': folder(0o755),
    '/etc/corral': folder(0o755),
    [FILE]: reg(0o644),
    '/etc/corral/web.env': reg(0o600),
    '/etc/corral/env': folder(0o755),
    '/etc/corral/env/db.env': reg(0o640),
  };
  const manifest: ManifestFiles = {
    file: FILE,
    processes: [
      { env_file: ['/etc/corral/web.env'] },
      { env_file: ['/etc/corral/env/db.env', '/etc/corral/web.env'] },
    ],
  };

  function fakeFs(
    files: Record<string, StatLike>,
    links: Record<string, string> = {},
    broken: Record<string, string> = {},
  ) {
    const fail = (p: string, code: string) =>
      Object.assign(new Error(`${code}: fake failure, lstat '${p}'`), { code });
    const lstat = vi.fn((p: string): StatLike => {
      const brokenCode = broken[p];
      if (brokenCode !== undefined) throw fail(p, brokenCode);
      const stat = files[p];
      if (stat === undefined) throw fail(p, 'ENOENT');
      return stat;
    });
    const realpath = vi.fn((p: string): string => {
      const target = links[p];
      if (target === undefined || files[target] === undefined) throw fail(p, 'ENOENT');
      return target;
    });
    return { lstat, realpath, nameOf: names };
  }

  it('checks nothing at all when not running as root', () => {
    const io = fakeFs({ ...clean, [FILE]: reg(0o666, 1000) });
    expect(checkManifestPermissions(manifest, { uid: 1000, ...io })).toEqual([]);
    expect(io.lstat).not.toHaveBeenCalled();
  });

  it('accepts a clean tree, reading each path once however many files share it', () => {
    const io = fakeFs(clean);
    expect(checkManifestPermissions(manifest, { uid: 0, ...io })).toEqual([]);
    expect(io.lstat.mock.calls.map(([p]) => p)).toEqual([
      FILE,
      '/etc/corral',
      '/etc',
      '/',
      '/etc/corral/web.env',
      '/etc/corral/env/db.env',
      '/etc/corral/env',
    ]);
  });

  it('reports the manifest, then each env_file and its folders', () => {
    const io = fakeFs({
      ...clean,
      [FILE]: reg(0o664),
      '/etc/corral/env': folder(0o777),
      '/etc/corral/env/db.env': reg(0o644, 1000),
    });
    expect(checkManifestPermissions(manifest, { uid: 0, ...io })).toEqual([
      { path: FILE, what: ['is writable by group (mode 0664)'], fix: [`chmod g-w ${FILE}`] },
      {
        path: '/etc/corral/env/db.env',
        what: ['is owned by uid 1000 (alice), not root'],
        fix: ['chown root /etc/corral/env/db.env'],
      },
      {
        path: '/etc/corral/env',
        what: ['is writable by group and others (mode 0777), so they can replace what is in it'],
        fix: ['chmod go-w /etc/corral/env'],
      },
    ]);
  });

  it('accepts a root-owned file in a sticky /tmp, and refuses a stranger-owned one there', () => {
    const tmp = { '/': folder(0o755), '/tmp': folder(0o1777) };
    const at = (p: string): ManifestFiles => ({ file: p, processes: [] });
    const io = fakeFs({ ...tmp, '/tmp/ok.yaml': reg(0o644), '/tmp/planted.yaml': reg(0o644, 1000) });
    expect(checkManifestPermissions(at('/tmp/ok.yaml'), { uid: 0, ...io })).toEqual([]);
    expect(checkManifestPermissions(at('/tmp/planted.yaml'), { uid: 0, ...io })).toEqual([
      {
        path: '/tmp/planted.yaml',
        what: ['is owned by uid 1000 (alice), not root'],
        fix: ['chown root /tmp/planted.yaml'],
      },
    ]);
  });

  it('skips a missing env_file but still judges its folder', () => {
    const io = fakeFs({ ...clean, '/etc/corral/env': folder(0o775) });
    const missing: ManifestFiles = { file: FILE, processes: [{ env_file: ['/etc/corral/env/gone.env'] }] };
    expect(checkManifestPermissions(missing, { uid: 0, ...io })).toEqual([
      {
        path: '/etc/corral/env',
        what: ['is writable by group (mode 0775), so they can replace what is in it'],
        fix: ['chmod g-w /etc/corral/env'],
      },
    ]);
  });

  it('reports a path it cannot read, with no fix command to offer', () => {
    const io = fakeFs(clean, {}, { '/etc/corral': 'EACCES' });
    expect(checkManifestPermissions(manifest, { uid: 0, ...io })).toEqual([
      {
        path: '/etc/corral',
        what: ["cannot be checked (EACCES: fake failure, lstat '/etc/corral')"],
        fix: [],
      },
    ]);
  });

  it('judges a symlinked folder and, through it, the real folders it points to', () => {
    const io = fakeFs(
      {
        ...clean,
        '/etc/corral': symlink(),
        '/srv': folder(0o777),
        '/srv/conf': folder(0o755, 1000),
      },
      { '/etc/corral': '/srv/conf' },
    );
    const only: ManifestFiles = { file: FILE, processes: [] };
    expect(checkManifestPermissions(only, { uid: 0, ...io })).toEqual([
      {
        path: '/srv/conf',
        what: ['is owned by uid 1000 (alice), not root'],
        fix: ['chown root /srv/conf'],
        via: '/etc/corral',
      },
      {
        path: '/srv',
        what: ['is writable by group and others (mode 0777), so they can replace what is in it'],
        fix: ['chmod go-w /srv'],
        via: '/etc/corral',
      },
    ]);
  });

  it('refuses a manifest that is a stranger-owned symlink, and judges its target too', () => {
    const io = fakeFs(
      { ...clean, [FILE]: symlink(1000), '/srv': folder(0o755), '/srv/corral.yaml': reg(0o646) },
      { [FILE]: '/srv/corral.yaml' },
    );
    expect(checkManifestPermissions({ file: FILE, processes: [] }, { uid: 0, ...io })).toEqual([
      {
        path: FILE,
        what: ['is a symlink owned by uid 1000 (alice), not root'],
        fix: [`chown -h root ${FILE}`],
      },
      {
        path: '/srv/corral.yaml',
        what: ['is writable by others (mode 0646)'],
        fix: ['chmod o-w /srv/corral.yaml'],
        via: FILE,
      },
    ]);
  });

  it('judges the link alone when its target is missing (the loader reports that)', () => {
    const io = fakeFs({ ...clean, [FILE]: symlink() }, { [FILE]: '/srv/gone.yaml' });
    expect(checkManifestPermissions({ file: FILE, processes: [] }, { uid: 0, ...io })).toEqual([]);
  });
});

describe('formatPermissionProblems', () => {
  it('is empty when there is nothing to refuse', () => {
    expect(formatPermissionProblems([])).toBe('');
  });

  it('names each path, what is wrong and its fix, then the override', () => {
    const problems: PermissionProblem[] = [
      { path: FILE, what: ['is writable by group and others (mode 0666)'], fix: [`chmod go-w ${FILE}`] },
      {
        path: '/etc/corral/web.env',
        what: ['is owned by uid 1000 (alice), not root', 'is writable by group (mode 0664)'],
        fix: ['chown root /etc/corral/web.env', 'chmod g-w /etc/corral/web.env'],
      },
      {
        path: '/srv/conf',
        what: ['is writable by others (mode 0757), so they can replace what is in it'],
        fix: ['chmod o-w /srv/conf'],
        via: '/etc/corral/env',
      },
      {
        path: '/mnt/nfs',
        what: ["cannot be checked (EACCES: permission denied, lstat '/mnt/nfs')"],
        fix: [],
      },
    ];
    expect(formatPermissionProblems(problems)).toBe(
      [
        'corral runs as root, so it refuses a manifest or env_file that anyone but root could change (its commands would run as root):',
        '  /etc/corral/corral.yaml is writable by group and others (mode 0666)',
        '    fix: chmod go-w /etc/corral/corral.yaml',
        '  /etc/corral/web.env is owned by uid 1000 (alice), not root, and is writable by group (mode 0664)',
        '    fix: chown root /etc/corral/web.env && chmod g-w /etc/corral/web.env',
        '  /srv/conf (the target of the symlink /etc/corral/env) is writable by others (mode 0757), so they can replace what is in it',
        '    fix: chmod o-w /srv/conf',
        "  /mnt/nfs cannot be checked (EACCES: permission denied, lstat '/mnt/nfs')",
        'Fix these, or pass --insecure-manifest to run anyway (corral then logs a warning naming each of these paths).',
        '',
      ].join('\n'),
    );
  });
});
