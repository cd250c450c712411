// Who else could change the manifest, on Windows? The service runs as LocalSystem by default and
// executes what the manifest says, so install and service start refuse a manifest, an env_file or
// a folder above them that anyone but the administrators can change — the Windows twin of
// platform/posix/manifest-permissions.ts. The decision is pure (judgeDescriptor), made on the
// owner and DACL that security-descriptor.ts reads; checkWindowsManifestAcl walks the paths with
// an injected reader (GetNamedSecurityInfoW in production; crafted descriptors in the tests, since
// Wine does not model NTFS permissions).
//
// Rules, for the file and every folder above it (whoever can write a folder can swap the file):
//   - the owner must be trusted (the owner may always rewrite the DACL);
//   - no ACE that applies to the object (not INHERIT_ONLY) may allow an untrusted SID a right
//     that changes or replaces it: for a file, writing or appending data, deleting (or renaming)
//     it, changing its DACL or owner (or GENERIC_WRITE / GENERIC_ALL); for a folder, deleting
//     (renaming) it or its children, changing its DACL or owner, GENERIC_ALL — unless an earlier
//     deny ACE for the same SID takes those rights away (Windows reads ACEs in order, denies first
//     in canonical order). A folder under C:\ made by an administrator inherits "Authenticated
//     Users: Modify" from C:\, which includes DELETE: such a folder is refused, as it should be;
//   - no DACL at all means everyone has full access.
// Trusted: SYSTEM, Administrators, TrustedInstaller, the account the service runs as, and the
// administrator who installed it (install records that SID in the service's command line).
import path from 'node:path';
import type { ProcessSpec, ResolvedManifest } from '../../manifest/spec.js';
import type { PermissionProblem } from '../posix/manifest-permissions.js';
import { INHERIT_ONLY_ACE, type SecurityDescriptor } from './security-descriptor.js';

export const SYSTEM = 'S-1-5-18';
export const ADMINISTRATORS = 'S-1-5-32-544';
export const TRUSTED_INSTALLER = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464';

const WELL_KNOWN: Readonly<Record<string, string>> = {
  'S-1-1-0': 'Everyone',
  'S-1-2-0': 'LOCAL',
  'S-1-3-0': 'CREATOR OWNER',
  'S-1-5-4': 'INTERACTIVE',
  'S-1-5-11': 'Authenticated Users',
  'S-1-5-18': 'SYSTEM',
  'S-1-5-19': 'LOCAL SERVICE',
  'S-1-5-20': 'NETWORK SERVICE',
  'S-1-5-32-544': 'Administrators',
  'S-1-5-32-545': 'Users',
  'S-1-5-32-546': 'Guests',
  [TRUSTED_INSTALLER]: 'TrustedInstaller',
};

// Access mask bits (winnt.h).
const FILE_WRITE_DATA = 0x0002; // folders: FILE_ADD_FILE
const FILE_APPEND_DATA = 0x0004; // folders: FILE_ADD_SUBDIRECTORY
const FILE_DELETE_CHILD = 0x0040;
const DELETE = 0x0001_0000;
const WRITE_DAC = 0x0004_0000;
const WRITE_OWNER = 0x0008_0000;
const GENERIC_ALL = 0x1000_0000;
const GENERIC_WRITE = 0x4000_0000;

/**
 * The rights that let someone change or replace a file; for a folder, replace what is in it.
 * Adding entries to a folder (FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY) does not count: it cannot
 * replace an existing file (that needs DELETE on the file or FILE_DELETE_CHILD on the folder), and
 * Windows grants Authenticated Users exactly that on C:\ itself.
 */
export function modifyingRights(kind: 'file' | 'dir'): number {
  const ownership = DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_ALL;
  return kind === 'dir'
    ? ownership | FILE_DELETE_CHILD
    : ownership | FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE;
}

export function sidName(sid: string): string {
  return WELL_KNOWN[sid] ?? sid;
}

/**
 * The problem with one path's descriptor, or null when only trusted SIDs can change it.
 * `alsoTrusted`: SIDs trusted besides SYSTEM, Administrators and TrustedInstaller — the account
 * the service runs as, and the administrator who installed it.
 */
export function judgeDescriptor(
  target: string,
  kind: 'file' | 'dir',
  sd: SecurityDescriptor,
  alsoTrusted: readonly string[] = [],
): PermissionProblem | null {
  const trusted = new Set([SYSTEM, ADMINISTRATORS, TRUSTED_INSTALLER, ...alsoTrusted]);
  const what: string[] = [];
  const fix: string[] = [];
  const quoted = `"${target}"`;
  if (sd.owner !== null && !trusted.has(sd.owner)) {
    what.push(`is owned by ${sidName(sd.owner)}, who can change who may write it`);
    fix.push(`icacls ${quoted} /setowner *${ADMINISTRATORS}`);
  }
  let aclProblem = false;
  if (sd.dacl === null) {
    what.push('has no access control list at all (everyone may change it)');
    aclProblem = true;
  } else {
    const rights = modifyingRights(kind);
    const denied = new Map<string, number>();
    const writers = new Map<string, number>();
    for (const ace of sd.dacl) {
      if ((ace.flags & INHERIT_ONLY_ACE) !== 0 || trusted.has(ace.sid)) continue;
      if (ace.type === 'other') {
        what.push('has an access control entry corral cannot judge (an object or callback ACE)');
        aclProblem = true;
      } else if (ace.type === 'deny') {
        denied.set(ace.sid, (denied.get(ace.sid) ?? 0) | ace.mask);
      } else {
        const granted = ace.mask & rights & ~(denied.get(ace.sid) ?? 0);
        if (granted !== 0) writers.set(ace.sid, (writers.get(ace.sid) ?? 0) | granted);
      }
    }
    if (writers.size > 0) {
      what.push(`can be changed by ${[...writers.keys()].map(sidName).join(', ')}`);
      aclProblem = true;
    }
  }
  if (aclProblem) {
    // Only the administrators and SYSTEM keep access, and nothing is inherited from above.
    const grant = kind === 'dir' ? '(OI)(CI)F' : 'F';
    fix.push(`icacls ${quoted} /inheritance:r /grant:r *${ADMINISTRATORS}:${grant} *${SYSTEM}:${grant}`);
  }
  return what.length === 0 ? null : { path: target, what, fix };
}

/** What the check needs of the file system: a path's owner and DACL, or 'missing'. */
export type ReadSecurity = (target: string) => { kind: 'file' | 'dir'; sd: SecurityDescriptor } | 'missing';

export type ManifestFiles = Pick<ResolvedManifest, 'file'> & {
  readonly processes: readonly Pick<ProcessSpec, 'env_file'>[];
};

/**
 * The problems with the manifest, every env_file and each folder above them (each judged once).
 * A path that cannot be read is a problem of its own (corral cannot vouch for it).
 */
export function checkWindowsManifestAcl(
  manifest: ManifestFiles,
  read: ReadSecurity,
  alsoTrusted: readonly string[] = [],
): PermissionProblem[] {
  const seen = new Set<string>();
  const problems: PermissionProblem[] = [];
  const visit = (file: string) => {
    for (const p of windowsAncestry(file)) {
      const key = p.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      let found;
      try {
        found = read(p);
      } catch (error) {
        problems.push({ path: p, what: [`cannot be checked (${(error as Error).message})`], fix: [] });
        continue;
      }
      if (found === 'missing') continue;
      const problem = judgeDescriptor(p, found.kind, found.sd, alsoTrusted);
      if (problem !== null) problems.push(problem);
    }
  };
  visit(manifest.file);
  for (const spec of manifest.processes) for (const envFile of spec.env_file) visit(envFile);
  return problems;
}

/** C:\srv\shop\corral.yaml → the file, then C:\srv\shop, C:\srv, C:\ (Windows paths). */
export function windowsAncestry(file: string): string[] {
  const chain: string[] = [];
  let current = path.win32.resolve(file);
  for (;;) {
    chain.push(current);
    const parent = path.win32.dirname(current);
    if (parent === current) return chain;
    current = parent;
  }
}

/**
 * What install and service start print when they refuse: each path, what is wrong, the icacls
 * that fixes it, and the override. Empty for no problems.
 */
export function formatWindowsProblems(problems: readonly PermissionProblem[]): string {
  if (problems.length === 0) return '';
  const lines = [
    'corral runs as a Windows service (as LocalSystem unless the manifest says otherwise), so it refuses a ' +
      'manifest, env_file or folder above them that others than the administrators can change (its ' +
      "commands would run with the service's rights):",
  ];
  for (const problem of problems) {
    lines.push(`  ${problem.path} ${problem.what.join(', and ')}`);
    for (const fix of problem.fix) lines.push(`    fix: ${fix}`);
  }
  lines.push(
    'Fix these, or pass --insecure-manifest to corral install to run anyway (corral then logs a ' +
      'warning naming each of these paths at every start).',
  );
  return `${lines.join('\n')}\n`;
}
