// The permission check against real files: real modes and owners set with chmod/chown, read back
// through the real lstat and realpath, on a manifest the real loader resolved.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/load.js';
import type { ResolvedManifest } from '../../src/manifest/spec.js';
import {
  checkManifestPermissions,
  formatPermissionProblems,
  type PermissionProblem,
} from '../../src/platform/posix/manifest-permissions.js';

const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;
const NOBODY = 65534;

describe.skipIf(!linux || !root)('manifest permissions on real files (Linux, as root: needs chown)', () => {
  let tmp = '';
  let count = 0;

  beforeAll(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'corral-perms-')));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh folder (0755, root's) holding corral.yaml and the web.env it names (0644, root's). */
  function project(): { dir: string; file: string; env: string } {
    const dir = path.join(tmp, `project-${++count}`);
    fs.mkdirSync(dir, { mode: 0o755 });
    const file = path.join(dir, 'corral.yaml');
    const env = path.join(dir, 'web.env');
    fs.writeFileSync(
      file,
      'version: 1\nservice: { name: demo }\nprocesses:\n  web:\n    command: node web.js\n    env_file: ./web.env\n',
    );
    fs.writeFileSync(env, 'PORT=8080\n');
    fs.chmodSync(file, 0o644);
    fs.chmodSync(env, 0o644);
    return { dir, file, env };
  }

  async function load(file: string): Promise<ResolvedManifest> {
    const { manifest, diagnostics } = await loadManifest(file, { platform: 'linux', env: {} });
    if (manifest === null) throw new Error(`expected a valid manifest, got ${JSON.stringify(diagnostics)}`);
    return manifest;
  }

  /** The problems inside our temp folder (the host's /tmp and / are judged, but are not ours). */
  async function problemsOf(file: string, uid = 0): Promise<PermissionProblem[]> {
    return checkManifestPermissions(await load(file), { uid }).filter((p) => p.path.startsWith(tmp));
  }

  it('accepts a clean project, the host folders above it included (/tmp is sticky and root’s)', async () => {
    const { file } = project();
    expect(checkManifestPermissions(await load(file), { uid: 0 })).toEqual([]);
  });

  it('refuses a group- and world-writable manifest', async () => {
    const { file } = project();
    fs.chmodSync(file, 0o666);
    expect(await problemsOf(file)).toEqual([
      { path: file, what: ['is writable by group and others (mode 0666)'], fix: [`chmod go-w ${file}`] },
    ]);
  });

  it('refuses an env_file owned by another user', async () => {
    const { env } = project();
    fs.chownSync(env, NOBODY, NOBODY);
    const problems = await problemsOf(path.join(path.dirname(env), 'corral.yaml'));
    expect(problems).toEqual([{ path: env, what: [expect.any(String)], fix: [`chown root ${env}`] }]);
    expect(problems[0]?.what[0]).toMatch(/^is owned by uid 65534( \([^)]+\))?, not root$/);
  });

  it('refuses a folder others can write, and accepts it once sticky', async () => {
    const { dir, file } = project();
    fs.chmodSync(dir, 0o777);
    expect(await problemsOf(file)).toEqual([
      {
        path: dir,
        what: ['is writable by group and others (mode 0777), so they can replace what is in it'],
        fix: [`chmod go-w ${dir}`],
      },
    ]);
    fs.chmodSync(dir, 0o1777);
    expect(await problemsOf(file)).toEqual([]);
  });

  it('judges the real folder behind a symlinked one, and says which link led there', async () => {
    const { dir } = project();
    const link = path.join(tmp, `link-${count}`);
    fs.symlinkSync(dir, link);
    fs.chownSync(dir, NOBODY, NOBODY);
    const problems = await problemsOf(path.join(link, 'corral.yaml'));
    expect(problems).toEqual([
      { path: dir, what: [expect.any(String)], fix: [`chown root ${dir}`], via: link },
    ]);
    expect(formatPermissionProblems(problems)).toContain(
      `  ${dir} (the target of the symlink ${link}) is owned`,
    );
  });

  it('refuses a symlinked manifest owned by another user', async () => {
    const { dir, file } = project();
    const link = path.join(dir, 'linked.yaml');
    fs.symlinkSync(file, link);
    fs.lchownSync(link, NOBODY, NOBODY);
    const problems = await problemsOf(link);
    expect(problems.map((p) => [p.path, p.fix])).toEqual([[link, [`chown -h root ${link}`]]]);
  });

  it('checks nothing when not running as root', async () => {
    const { dir, file } = project();
    fs.chmodSync(file, 0o666);
    fs.chmodSync(dir, 0o777);
    expect(await problemsOf(file, NOBODY)).toEqual([]);
  });

  it('prints a message naming the path, its fix and the override', async () => {
    const { file } = project();
    fs.chmodSync(file, 0o664);
    const message = formatPermissionProblems(await problemsOf(file));
    expect(message).toContain(`  ${file} is writable by group (mode 0664)\n    fix: chmod g-w ${file}\n`);
    expect(message).toContain('--insecure-manifest');
  });
});
