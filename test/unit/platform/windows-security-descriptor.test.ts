// The Windows manifest check's decisions, on crafted security descriptors (Wine does not model
// NTFS permissions): the binary reader, then who may change a file or folder, then the walk.
import { describe, expect, it } from 'vitest';
import type { PermissionProblem } from '../../../src/platform/posix/manifest-permissions.js';
import {
  ADMINISTRATORS,
  checkWindowsManifestAcl,
  formatWindowsProblems,
  judgeDescriptor,
  SYSTEM,
  TRUSTED_INSTALLER,
  windowsAncestry,
  type ReadSecurity,
} from '../../../src/platform/windows/manifest-acl.js';
import {
  buildSecurityDescriptor,
  INHERIT_ONLY_ACE,
  parseSecurityDescriptor,
  SecurityDescriptorError,
  type SecurityDescriptor,
} from '../../../src/platform/windows/security-descriptor.js';

const USERS = 'S-1-5-32-545';
const AUTHENTICATED = 'S-1-5-11';
const EVERYONE = 'S-1-1-0';
const ALICE = 'S-1-5-21-1004336348-1177238915-682003330-1001';
const SERVICE_ACCOUNT = 'S-1-5-80-1234-5678';
// Masks as icacls names them.
const FULL = 0x1f01ff;
const MODIFY = 0x1301bf;
const READ_EXECUTE = 0x1200a9;
const APPEND_DATA = 0x4;
const DELETE_CHILD = 0x40;

const sd = (owner: string | null, dacl: SecurityDescriptor['dacl']): SecurityDescriptor => ({ owner, dacl });
const allow = (sid: string, mask: number, flags = 0) => ({ type: 'allow' as const, sid, mask, flags });
const deny = (sid: string, mask: number) => ({ type: 'deny' as const, sid, mask, flags: 0 });
const adminOnly = [allow(SYSTEM, FULL), allow(ADMINISTRATORS, FULL)];

describe('parseSecurityDescriptor', () => {
  it('reads a descriptor assembled by hand: O:BA D:(A;;FA;;;SY)', () => {
    const bytes = Buffer.from(
      [
        '01 00 04 80 14 00 00 00 00 00 00 00 00 00 00 00 24 00 00 00', // header: self-relative, DACL present
        '01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00', // owner S-1-5-32-544
        '02 00 1c 00 01 00 00 00', // ACL: 28 bytes, 1 ACE
        '00 00 14 00 ff 01 1f 00 01 01 00 00 00 00 00 05 12 00 00 00', // allow FILE_ALL_ACCESS to S-1-5-18
      ]
        .join(' ')
        .split(' ')
        .map((h) => parseInt(h, 16)),
    );
    expect(parseSecurityDescriptor(bytes)).toEqual({
      owner: ADMINISTRATORS,
      dacl: [{ type: 'allow', flags: 0, mask: FULL, sid: SYSTEM }],
    });
  });

  it('round-trips what buildSecurityDescriptor writes, long SIDs and deny ACEs included', () => {
    const dacl = [deny(USERS, 0x2), allow(TRUSTED_INSTALLER, FULL), allow(ALICE, MODIFY, INHERIT_ONLY_ACE)];
    expect(parseSecurityDescriptor(buildSecurityDescriptor({ owner: ALICE, dacl }))).toEqual({
      owner: ALICE,
      dacl,
    });
  });

  it('tells a missing DACL (everyone may do anything) from an empty one (nobody may)', () => {
    expect(parseSecurityDescriptor(buildSecurityDescriptor({ owner: SYSTEM, dacl: null })).dacl).toBeNull();
    expect(parseSecurityDescriptor(buildSecurityDescriptor({ owner: SYSTEM, dacl: [] })).dacl).toEqual([]);
  });

  it('refuses what it cannot read instead of guessing', () => {
    const good = buildSecurityDescriptor({ owner: ADMINISTRATORS, dacl: adminOnly });
    expect(() => parseSecurityDescriptor(good.subarray(0, 10))).toThrow(SecurityDescriptorError);
    expect(() => parseSecurityDescriptor(good.subarray(0, good.length - 4))).toThrow(/runs past the end/);
    const absolute = Buffer.from(good);
    absolute.writeUInt16LE(0x0004, 2);
    expect(() => parseSecurityDescriptor(absolute)).toThrow(/self-relative/);
  });
});

describe('judgeDescriptor', () => {
  const file = 'C:\\srv\\shop\\corral.yaml';

  it('accepts what only SYSTEM, Administrators and TrustedInstaller can change, readers aside', () => {
    expect(
      judgeDescriptor(file, 'file', sd(ADMINISTRATORS, [...adminOnly, allow(USERS, READ_EXECUTE)])),
    ).toBeNull();
    expect(judgeDescriptor(file, 'file', sd(TRUSTED_INSTALLER, [allow(TRUSTED_INSTALLER, FULL)]))).toBeNull();
  });

  it('refuses a file others may modify, naming them and the icacls that fixes it', () => {
    expect(
      judgeDescriptor(file, 'file', sd(ADMINISTRATORS, [...adminOnly, allow(AUTHENTICATED, MODIFY)])),
    ).toEqual({
      path: file,
      what: ['can be changed by Authenticated Users'],
      fix: [`icacls "${file}" /inheritance:r /grant:r *${ADMINISTRATORS}:F *${SYSTEM}:F`],
    });
  });

  it('refuses an owner who is not trusted (an owner may always rewrite the DACL)', () => {
    expect(judgeDescriptor(file, 'file', sd(ALICE, adminOnly))).toEqual({
      path: file,
      what: [`is owned by ${ALICE}, who can change who may write it`],
      fix: [`icacls "${file}" /setowner *${ADMINISTRATORS}`],
    });
  });

  it('refuses a missing DACL', () => {
    expect(judgeDescriptor(file, 'file', sd(ADMINISTRATORS, null))?.what).toEqual([
      'has no access control list at all (everyone may change it)',
    ]);
  });

  it('honours a deny ACE that takes the write rights away first', () => {
    const denied = sd(ADMINISTRATORS, [deny(USERS, MODIFY), ...adminOnly, allow(USERS, MODIFY)]);
    expect(judgeDescriptor(file, 'file', denied)).toBeNull();
    const tooLate = sd(ADMINISTRATORS, [...adminOnly, allow(USERS, MODIFY), deny(USERS, MODIFY)]);
    expect(judgeDescriptor(file, 'file', tooLate)?.what).toEqual(['can be changed by Users']);
  });

  it('ignores ACEs that only children inherit', () => {
    expect(
      judgeDescriptor(
        file,
        'file',
        sd(ADMINISTRATORS, [...adminOnly, allow(EVERYONE, FULL, INHERIT_ONLY_ACE)]),
      ),
    ).toBeNull();
  });

  it('judges folders by what replaces their entries, not by adding new ones (C:\\ grants that)', () => {
    const root = sd(TRUSTED_INSTALLER, [
      ...adminOnly,
      allow(AUTHENTICATED, APPEND_DATA),
      allow(AUTHENTICATED, MODIFY, INHERIT_ONLY_ACE | 0x3),
    ]);
    expect(judgeDescriptor('C:\\', 'dir', root)).toBeNull();
    expect(
      judgeDescriptor('C:\\srv', 'dir', sd(ADMINISTRATORS, [...adminOnly, allow(USERS, DELETE_CHILD)]))?.what,
    ).toEqual(['can be changed by Users']);
    // FILE_DELETE_CHILD means nothing on a file.
    expect(
      judgeDescriptor(file, 'file', sd(ADMINISTRATORS, [...adminOnly, allow(USERS, DELETE_CHILD)])),
    ).toBeNull();
    // A folder made under C:\ inherits Modify for Authenticated Users: DELETE lets them rename it away.
    expect(
      judgeDescriptor('C:\\srv', 'dir', sd(ADMINISTRATORS, [...adminOnly, allow(AUTHENTICATED, MODIFY)]))
        ?.fix,
    ).toEqual([`icacls "C:\\srv" /inheritance:r /grant:r *${ADMINISTRATORS}:(OI)(CI)F *${SYSTEM}:(OI)(CI)F`]);
  });

  it('trusts the account the service runs as', () => {
    const own = sd(SERVICE_ACCOUNT, [...adminOnly, allow(SERVICE_ACCOUNT, FULL)]);
    expect(judgeDescriptor(file, 'file', own, [SERVICE_ACCOUNT])).toBeNull();
    expect(judgeDescriptor(file, 'file', own)).not.toBeNull();
  });
});

describe('checkWindowsManifestAcl', () => {
  it('walks the manifest, each env_file and every folder above them once, case-insensitively', () => {
    const safe = { kind: 'dir' as const, sd: sd(ADMINISTRATORS, adminOnly) };
    const table: Record<string, ReturnType<ReadSecurity>> = {
      'C:\\': { kind: 'dir', sd: sd(TRUSTED_INSTALLER, [...adminOnly, allow(AUTHENTICATED, APPEND_DATA)]) },
      'C:\\srv': { kind: 'dir', sd: sd(ADMINISTRATORS, [...adminOnly, allow(AUTHENTICATED, MODIFY)]) },
      'C:\\srv\\shop': safe,
      'C:\\srv\\shop\\corral.yaml': { kind: 'file', sd: sd(ADMINISTRATORS, adminOnly) },
      'C:\\srv\\shop\\env': safe,
      'C:\\srv\\shop\\env\\app.env': { kind: 'file', sd: sd(ALICE, adminOnly) },
    };
    const asked: string[] = [];
    const read: ReadSecurity = (p) => {
      asked.push(p);
      return table[p] ?? 'missing';
    };
    const problems = checkWindowsManifestAcl(
      {
        file: 'C:\\srv\\shop\\corral.yaml',
        processes: [
          { env_file: ['C:\\srv\\shop\\env\\app.env'] },
          { env_file: ['c:\\SRV\\shop\\env\\app.env'] },
        ],
      },
      read,
    );
    expect(problems.map((p) => [p.path, p.what])).toEqual([
      ['C:\\srv', ['can be changed by Authenticated Users']],
      ['C:\\srv\\shop\\env\\app.env', [`is owned by ${ALICE}, who can change who may write it`]],
    ]);
    expect(asked).toHaveLength(6);
  });

  it('says when a path cannot be checked', () => {
    const problems = checkWindowsManifestAcl({ file: 'C:\\x.yaml', processes: [] }, (p) => {
      if (p === 'C:\\x.yaml') throw new Error('Access is denied. (5)');
      return 'missing';
    });
    expect(problems).toEqual([
      { path: 'C:\\x.yaml', what: ['cannot be checked (Access is denied. (5))'], fix: [] },
    ]);
  });

  it('formats a refusal with each path, what is wrong, the icacls fix and the override', () => {
    const text = formatWindowsProblems([
      judgeDescriptor('C:\\srv', 'dir', sd(ALICE, [...adminOnly, allow(USERS, MODIFY)])) as PermissionProblem,
    ]);
    expect(text).toContain(
      `  C:\\srv is owned by ${ALICE}, who can change who may write it, and can be changed by Users\n`,
    );
    expect(text).toContain(`    fix: icacls "C:\\srv" /setowner *${ADMINISTRATORS}\n`);
    expect(text).toContain('--insecure-manifest');
    expect(formatWindowsProblems([])).toBe('');
  });

  it('ancestry of a Windows path', () => {
    expect(windowsAncestry('C:\\srv\\shop\\corral.yaml')).toEqual([
      'C:\\srv\\shop\\corral.yaml',
      'C:\\srv\\shop',
      'C:\\srv',
      'C:\\',
    ]);
  });
});
