// Who else could change the manifest? It is code that runs with the supervisor's rights, so when
// corral runs as root it refuses a manifest or env_file that a user other than root could rewrite
// or replace, unless --insecure-manifest overrides it (the CLI logs that loudly).
//
// The rules follow sshd's StrictModes (OpenSSH misc.c safe_path), checked on the file and on every
// folder above it up to /, because whoever can write a folder can swap the file in it:
//   - every entry must be owned by root (or by the running uid, which under these rules is root);
//   - a file must not be writable by group or others;
//   - a folder must not be writable by group or others, unless it is sticky (like /tmp, mode
//     1777): there others can add entries but cannot rename or delete ours, since the owner rule
//     above already requires the folder and the entry below it in the chain to be root's. sshd
//     refuses sticky folders too; we accept them because that owner rule closes the same hole;
//   - a symlink's own mode means nothing, but its owner can replace it inside a sticky folder, so
//     it must be root's too; and what it points to (its real path and every folder above that)
//     is judged by the same rules, each problem saying which link led there.
// judgePath and judgeChain decide; checkManifestPermissions reads the metadata (lstat, realpath).
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessSpec, ResolvedManifest } from '../../manifest/spec.js';

export interface PathEntry {
  readonly path: string;
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly uid: number;
  readonly gid: number;
  /** Permission bits, special bits included (0o1777 for /tmp); the file-type bits are ignored. */
  readonly mode: number;
  /** Defaults to the sticky bit (0o1000) of mode. */
  readonly sticky?: boolean;
}

export interface PermissionProblem {
  readonly path: string;
  /** What is wrong, each a phrase that follows the path: "is writable by group (mode 0664)". */
  readonly what: readonly string[];
  /** Shell commands that fix it, in order; empty when no command can (the path cannot be read). */
  readonly fix: readonly string[];
  /** When the path was reached through a symlink: that link. */
  readonly via?: string;
}

/** The user name of a uid, for messages; undefined when unknown. */
export type NameOf = (uid: number) => string | undefined;

const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;
const STICKY = 0o1000;
const noNames: NameOf = () => undefined;

/** The problem with one path on its own, or null when only root (or runningUid) can change it. */
export function judgePath(
  entry: PathEntry,
  runningUid: number,
  nameOf: NameOf = noNames,
): PermissionProblem | null {
  const what: string[] = [];
  const fix: string[] = [];
  const target = shellQuote(entry.path);
  if (entry.uid !== 0 && entry.uid !== runningUid) {
    const trusted = runningUid === 0 ? 'root' : `root or ${describeUid(runningUid, nameOf)}`;
    const noun = entry.kind === 'symlink' ? 'is a symlink owned by' : 'is owned by';
    what.push(`${noun} ${describeUid(entry.uid, nameOf)}, not ${trusted}`);
    // -h: change the link itself; a plain chown would follow it and leave the link as it is.
    fix.push(entry.kind === 'symlink' ? `chown -h root ${target}` : `chown root ${target}`);
  }
  const writers = writableBy(entry);
  if (writers !== null) {
    const consequence = entry.kind === 'dir' ? ', so they can replace what is in it' : '';
    what.push(`is writable by ${writers.who} (mode ${octal(entry.mode)})${consequence}`);
    fix.push(`chmod ${writers.flags}-w ${target}`);
  }
  return what.length === 0 ? null : { path: entry.path, what, fix };
}

function writableBy(entry: PathEntry): { who: string; flags: string } | null {
  if (entry.kind === 'symlink') return null; // a link's mode is always 0777 and never consulted
  if (entry.kind === 'dir' && (entry.sticky ?? (entry.mode & STICKY) !== 0)) return null;
  const group = (entry.mode & GROUP_WRITE) !== 0;
  const others = (entry.mode & OTHER_WRITE) !== 0;
  if (group && others) return { who: 'group and others', flags: 'go' };
  if (group) return { who: 'group', flags: 'g' };
  if (others) return { who: 'others', flags: 'o' };
  return null;
}

/**
 * The problems along one chain: a file and each folder above it up to / (see `ancestry`), in that
 * order. Judging the whole chain is what makes a sticky folder safe: judgePath lets a sticky
 * folder pass, and the owner rule on the entry below it is what keeps others from replacing it.
 */
export function judgeChain(
  chain: readonly PathEntry[],
  runningUid: number,
  nameOf: NameOf = noNames,
): PermissionProblem[] {
  return chain.flatMap((entry) => judgePath(entry, runningUid, nameOf) ?? []);
}

/** An absolute path and every folder above it: /etc/corral/corral.yaml, /etc/corral, /etc, /. */
export function ancestry(file: string): string[] {
  const out = [path.resolve(file)];
  for (let up = path.dirname(out[0] ?? '/'); up !== out[out.length - 1]; up = path.dirname(up)) out.push(up);
  return out;
}

/** What checkManifestPermissions needs from lstat: fs.Stats has it. */
export interface StatLike {
  readonly uid: number;
  readonly gid: number;
  /** st_mode: file type and permission bits. */
  readonly mode: number;
}

export interface CheckOptions {
  /** The uid corral runs as (process.getuid()); the rules apply only to root (0). */
  readonly uid: number;
  /** Default: fs.lstatSync. */
  readonly lstat?: (path: string) => StatLike;
  /** Resolves a symlink to its final real path; default: fs.realpathSync. */
  readonly realpath?: (path: string) => string;
  /** Owner names for messages; default: read from /etc/passwd. */
  readonly nameOf?: NameOf;
}

/** The part of a manifest whose files are checked; a ResolvedManifest is one. */
export type ManifestFiles = Pick<ResolvedManifest, 'file'> & {
  readonly processes: readonly Pick<ProcessSpec, 'env_file'>[];
};

/**
 * The problems with the manifest file and every env_file (disabled processes included), each
 * folder judged once. Empty unless running as root. A path that does not exist is skipped (the
 * loader reports missing files; whoever could create one later must write its folder, judged).
 */
export function checkManifestPermissions(
  manifest: ManifestFiles,
  options: CheckOptions,
): PermissionProblem[] {
  if (options.uid !== 0) return [];
  const lstat = options.lstat ?? fs.lstatSync;
  const realpath = options.realpath ?? ((p: string) => fs.realpathSync(p));
  const nameOf = options.nameOf ?? passwdNames();
  const seen = new Set<string>();
  const problems: PermissionProblem[] = [];

  const visit = (file: string, via: string | undefined): void => {
    const chain: PathEntry[] = [];
    const links: string[] = [];
    for (const p of ancestry(file)) {
      if (seen.has(p)) continue;
      seen.add(p);
      const stat = attempt(() => lstat(p));
      if (stat === 'missing') continue;
      if (stat instanceof Error) {
        problems.push(unreadable(p, stat, via));
        continue;
      }
      const entry = toEntry(p, stat);
      chain.push(entry);
      if (entry.kind === 'symlink') links.push(p);
    }
    for (const problem of judgeChain(chain, options.uid, nameOf))
      problems.push(via === undefined ? problem : { ...problem, via });
    for (const link of links) {
      const target = attempt(() => realpath(link));
      if (target instanceof Error) problems.push(unreadable(link, target, via));
      else if (target !== 'missing') visit(target, link);
    }
  };

  visit(manifest.file, undefined);
  for (const spec of manifest.processes) for (const envFile of spec.env_file) visit(envFile, undefined);
  return problems;
}

function attempt<T>(read: () => T): T | Error | 'missing' {
  try {
    return read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    return error instanceof Error ? error : new Error(String(error));
  }
}

function unreadable(p: string, error: Error, via: string | undefined): PermissionProblem {
  const problem = { path: p, what: [`cannot be checked (${error.message})`], fix: [] };
  return via === undefined ? problem : { ...problem, via };
}

function toEntry(p: string, stat: StatLike): PathEntry {
  const type = stat.mode & fs.constants.S_IFMT;
  const kind = type === fs.constants.S_IFDIR ? 'dir' : type === fs.constants.S_IFLNK ? 'symlink' : 'file';
  const mode = stat.mode & 0o7777;
  return { path: p, kind, uid: stat.uid, gid: stat.gid, mode, sticky: (mode & STICKY) !== 0 };
}

/** uid → first user name in /etc/passwd-format text (the first wins, as getpwuid does). */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === undefined || name === '' || uid === undefined || !/^[0-9]+$/.test(uid)) continue;
    if (!names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}

/** Names from /etc/passwd, read once; none when it cannot be read (LDAP users stay numbers). */
function passwdNames(): NameOf {
  let names: Map<number, string> | undefined;
  return (uid) => {
    if (names === undefined) {
      try {
        names = parsePasswd(fs.readFileSync('/etc/passwd', 'utf8'));
      } catch {
        names = new Map();
      }
    }
    return names.get(uid);
  };
}

function describeUid(uid: number, nameOf: NameOf): string {
  const name = nameOf(uid);
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${name})`;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** A path as one shell word: bare when it is plainly safe, else in single quotes. */
export function shellQuote(p: string): string {
  return /^[A-Za-z0-9_/.,:@%+=-]+$/.test(p) ? p : `'${p.replaceAll("'", `'\\''`)}'`;
}

/**
 * What the CLI prints when it refuses to run: each path, what is wrong, the fix, and the override.
 * Empty for no problems.
 */
export function formatPermissionProblems(problems: readonly PermissionProblem[]): string {
  if (problems.length === 0) return '';
  const lines = [
    'corral runs as root, so it refuses a manifest or env_file that anyone but root could change ' +
      '(its commands would run as root):',
  ];
  for (const problem of problems) {
    const reached = problem.via === undefined ? '' : ` (the target of the symlink ${problem.via})`;
    lines.push(`  ${problem.path}${reached} ${joinPhrases(problem.what)}`);
    if (problem.fix.length > 0) lines.push(`    fix: ${problem.fix.join(' && ')}`);
  }
  lines.push(
    'Fix these, or pass --insecure-manifest to run anyway (corral then logs a warning naming each ' +
      'of these paths).',
  );
  return `${lines.join('\n')}\n`;
}

/** "A" or "A, and B": the comma keeps "not root, and is writable" from reading as one phrase. */
function joinPhrases(phrases: readonly string[]): string {
  return phrases.join(', and ');
}
