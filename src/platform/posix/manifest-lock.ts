// One lock per manifest: two supervisors never run the same manifest at once, and what a crashed
// supervisor left running is found and killed before anything starts. Processes are named by pid
// plus start time, never a bare pid (docs/design/linux-containment.md, "PID reuse").
//
// Where: <runtime folder>/<service>-<first 12 hex of sha256(real manifest path)>.lock, so two
// manifests with the same service name do not collide. The runtime folder is
//   $XDG_RUNTIME_DIR/corral     when XDG_RUNTIME_DIR is set (and absolute);
//   /run/corral                 as root (/var/run/corral off Linux);
//   <os.tmpdir()>/corral-<uid>  otherwise.
// It is created with mode 0700 and refused unless it is a real folder, ours, and not writable by
// group or others: whoever can write there can forge or delete our locks.
//
// The file (JSON): { version: 1, manifest, bootId, supervisor: {pid, startTime}, acquiredAt,
// children: [{pid, startTime}] }. It is never written in place: it appears by link(2) of a
// complete temp file (fails if the lock exists) and is rewritten by rename(2), so a reader never
// sees half a record. bootId (/proc/sys/kernel/random/boot_id) marks a lock from before a reboot,
// whose pids and start times may name unrelated processes now.
//
// Taking over a stale lock needs a compare-and-swap the file system does not have, so the right to
// replace a lock held by S is itself a file created with link(2): `<lock>.takeover.<S>`. Only its
// creator may replace the lock, and only after re-reading it and finding S still there; every later
// change of the lock comes from S's successor, so S never comes back and the check cannot go stale.
// If that creator is dead too, the right passes to `<lock>.takeover.<S>.<creator>`, and so on. A
// live creator means someone else is winning right now: we fail with E_LOCKED.
//
// Lifecycle, for the supervisor: acquireLock → killLeftovers(leftovers) → spawn, calling
// recordChildren after every spawn and exit → releaseLock on the way out.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { descendantsOf, isAlive, listProcesses, type ProcessIdentity, type ProcStat } from './proc.js';

/** E_LOCKED: a live supervisor holds the manifest; E_LOCK_FILE: a lock file is unreadable, foreign
 * or was lost; E_RUNTIME_DIR: the runtime folder cannot be created or is unsafe. */
export type LockErrorCode = 'E_LOCKED' | 'E_LOCK_FILE' | 'E_RUNTIME_DIR';

/** Shaped like CorralError (code, message, hint) until these codes join src/errors.ts. */
export class LockError extends Error {
  constructor(
    readonly code: LockErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

export interface LockRecord {
  readonly version: 1;
  /** The real path of the manifest. */
  readonly manifest: string;
  readonly bootId: string;
  readonly supervisor: ProcessIdentity;
  /** ISO time the supervisor took the lock: "since when" in E_LOCKED. */
  readonly acquiredAt: string;
  readonly children: readonly ProcessIdentity[];
}

/** A held lock. Immutable: each recordChildren writes the whole list again. */
export interface ManifestLock {
  readonly path: string;
  readonly record: LockRecord;
}

export interface AcquiredLock {
  readonly lock: ManifestLock;
  /** What the crashed previous holder recorded; pass them to killLeftovers before starting anything. */
  readonly leftovers: readonly ProcessIdentity[];
  /** The stale lock that was taken over, for the log; null when there was none. */
  readonly previous: LockRecord | null;
}

export interface LockOptions {
  /** The folder holding lock files (checked like the default one); tests pass a temp folder. */
  readonly runtimeDir?: string;
  /** The wall clock behind acquiredAt. */
  readonly now?: () => Date;
}

export interface RuntimeContext {
  readonly xdgRuntimeDir: string | undefined;
  readonly uid: number;
  readonly tmpdir: string;
  readonly platform: NodeJS.Platform;
}

/** The folder for lock files; see the top of this file. */
export function runtimeDirFor(context: RuntimeContext): string {
  const xdg = context.xdgRuntimeDir;
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'corral');
  if (context.uid === 0) return context.platform === 'linux' ? '/run/corral' : '/var/run/corral';
  return path.join(context.tmpdir, `corral-${context.uid}`);
}

export interface DirFacts {
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
  readonly uid: number;
  readonly mode: number;
}

/** Why `dir` must not hold our locks, or null when it is safe to. */
export function runtimeDirProblem(dir: string, facts: DirFacts, uid: number): LockError | null {
  const hint = `remove ${dir}, or set XDG_RUNTIME_DIR to a folder of your own`;
  if (facts.isSymbolicLink || !facts.isDirectory) {
    const what = facts.isSymbolicLink ? 'a symbolic link' : 'not a folder';
    return new LockError('E_RUNTIME_DIR', `runtime folder ${dir} is ${what}`, hint);
  }
  if (facts.uid !== uid) {
    const message = `runtime folder ${dir} belongs to uid ${facts.uid}, not to you (uid ${uid})`;
    return new LockError('E_RUNTIME_DIR', message, hint);
  }
  if ((facts.mode & 0o022) !== 0) {
    const mode = (facts.mode & 0o777).toString(8).padStart(4, '0');
    const message = `runtime folder ${dir} is writable by group or others (mode ${mode})`;
    return new LockError('E_RUNTIME_DIR', message, `chmod 700 ${dir}`);
  }
  return null;
}

export function lockFileName(manifest: string, serviceName: string): string {
  const safe = serviceName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const hash = crypto.createHash('sha256').update(manifest).digest('hex').slice(0, 12);
  return `${safe}-${hash}.lock`;
}

function identityOf(who: ProcessIdentity): ProcessIdentity {
  return { pid: who.pid, startTime: who.startTime };
}

export function formatRecord(record: LockRecord): string {
  const { manifest, bootId, acquiredAt } = record;
  const supervisor = identityOf(record.supervisor);
  const children = record.children.map(identityOf);
  return `${JSON.stringify({ version: 1, manifest, bootId, supervisor, acquiredAt, children }, null, 2)}\n`;
}

function asIdentity(value: unknown): ProcessIdentity | null {
  if (typeof value !== 'object' || value === null) return null;
  const { pid, startTime } = value as Record<string, unknown>;
  const ok = Number.isSafeInteger(pid) && (pid as number) > 0 && Number.isSafeInteger(startTime);
  return ok && (startTime as number) >= 0 ? { pid: pid as number, startTime: startTime as number } : null;
}

export type ParsedRecord =
  { readonly ok: true; readonly record: LockRecord } | { readonly ok: false; readonly problem: string };

export function parseRecord(text: string): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not a JSON object' };
  }
  const { version, manifest, bootId, supervisor, acquiredAt, children } = value as Record<string, unknown>;
  if (version !== 1) {
    const found = version === undefined ? 'missing' : JSON.stringify(version);
    return { ok: false, problem: `version ${found}, expected 1` };
  }
  const who = asIdentity(supervisor);
  const kids = Array.isArray(children) ? children.map(asIdentity) : [null];
  const strings = [manifest, bootId, acquiredAt].every((field) => typeof field === 'string');
  if (who === null || !strings || kids.some((kid) => kid === null)) {
    return { ok: false, problem: 'a field is missing or has the wrong type' };
  }
  const record = {
    version: 1,
    manifest: manifest as string,
    bootId: bootId as string,
    supervisor: who,
    acquiredAt: acquiredAt as string,
    children: kids as ProcessIdentity[],
  } as const;
  return { ok: true, record };
}

/** Whether two records are the same holding of the lock (not merely the same holder). */
export function sameLock(a: LockRecord, b: LockRecord): boolean {
  return (
    a.bootId === b.bootId &&
    a.supervisor.pid === b.supervisor.pid &&
    a.supervisor.startTime === b.supervisor.startTime &&
    a.acquiredAt === b.acquiredAt
  );
}

export type Verdict =
  { readonly kind: 'held' } | { readonly kind: 'stale'; readonly leftovers: readonly ProcessIdentity[] };

/** A lock is held while its supervisor lives; a stale one hands over the children it recorded. */
export function judgeLock(
  record: LockRecord,
  bootId: string,
  alive: (who: ProcessIdentity) => boolean,
): Verdict {
  // Everything recorded before a reboot died with it, and its pids may name strangers now.
  if (record.bootId !== bootId) return { kind: 'stale', leftovers: [] };
  return alive(record.supervisor) ? { kind: 'held' } : { kind: 'stale', leftovers: record.children };
}

export function lockedError(holder: LockRecord, lockPath: string): LockError {
  const { pid } = holder.supervisor;
  return new LockError(
    'E_LOCKED',
    `${holder.manifest} is already supervised by corral pid ${pid} (since ${holder.acquiredAt})`,
    `stop that supervisor first (kill ${pid} stops it in order); its lock is ${lockPath}`,
  );
}

export function takeoverInProgressError(stale: LockRecord, taker: LockRecord, lockPath: string): LockError {
  const { pid } = taker.supervisor;
  return new LockError(
    'E_LOCKED',
    `${stale.manifest} is being taken over by corral pid ${pid} right now ` +
      `(its previous supervisor, pid ${stale.supervisor.pid}, died)`,
    `stop that supervisor first (kill ${pid} stops it in order); its lock is ${lockPath}`,
  );
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function fileError(action: string, file: string, error: unknown): LockError {
  const reason = error instanceof Error ? error.message : String(error);
  const hint = `check that you may write to ${path.dirname(file)}`;
  return new LockError('E_LOCK_FILE', `cannot ${action} the lock file ${file}: ${reason}`, hint);
}

function currentUid(): number {
  if (process.getuid === undefined) throw new Error('manifest locks are POSIX-only');
  return process.getuid();
}

function currentBootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return ''; // no way to tell boots apart: pid and start time alone decide
  }
}

function ensureRuntimeDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') {
      const reason = error instanceof Error ? error.message : String(error);
      const message = `cannot create the runtime folder ${dir} for corral's lock files: ${reason}`;
      throw new LockError('E_RUNTIME_DIR', message, 'set XDG_RUNTIME_DIR to a folder of your own');
    }
  }
  const stat = fs.lstatSync(dir);
  const facts = {
    isDirectory: stat.isDirectory(),
    isSymbolicLink: stat.isSymbolicLink(),
    uid: stat.uid,
    mode: stat.mode,
  };
  const problem = runtimeDirProblem(dir, facts, currentUid());
  if (problem !== null) throw problem;
}

/** The record in `file`, or null when there is none. */
function readRecordAt(file: string): LockRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw fileError('read', file, error);
  }
  const parsed = parseRecord(text);
  if (parsed.ok) return parsed.record;
  const hint = `if no corral is running for this manifest, delete ${file}`;
  throw new LockError('E_LOCK_FILE', `${file} is not a lock this corral can read: ${parsed.problem}`, hint);
}

function writeTemp(lockPath: string, record: LockRecord): string {
  const temp = `${lockPath}.${record.supervisor.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(temp, formatRecord(record), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    throw fileError('write', temp, error);
  }
  return temp;
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone, or cleanup that must not hide the error being thrown
  }
}

/** Publishes `record` at `target` unless something is there already. */
function createExclusive(target: string, lockPath: string, record: LockRecord): boolean {
  const temp = writeTemp(lockPath, record);
  try {
    fs.linkSync(temp, target);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw fileError('create', target, error);
  } finally {
    removeQuietly(temp);
  }
}

function replaceWith(lockPath: string, record: LockRecord): void {
  const temp = writeTemp(lockPath, record);
  try {
    fs.renameSync(temp, lockPath);
  } catch (error) {
    removeQuietly(temp);
    throw fileError('rewrite', lockPath, error);
  }
}

/** Takeover rights are only worth anything while the lock still names their holder; once we hold it, none do. */
function removeTakeoverFiles(lockPath: string): void {
  const prefix = `${path.basename(lockPath)}.takeover.`;
  const dir = path.dirname(lockPath);
  for (const name of fs.readdirSync(dir)) if (name.startsWith(prefix)) removeQuietly(path.join(dir, name));
}

const key = (who: ProcessIdentity): string => `${who.pid}-${who.startTime}`;
const MAX_STEPS = 16;

type Takeover =
  | { readonly kind: 'won'; readonly record: LockRecord }
  | { readonly kind: 'contended'; readonly taker: LockRecord }
  | { readonly kind: 'changed' };

/** Replaces `stale` by `mine`, carrying `leftovers` over, if we get the right to (see the top of this file). */
function takeOver(
  lockPath: string,
  stale: LockRecord,
  mine: LockRecord,
  leftovers: readonly ProcessIdentity[],
  bootId: string,
): Takeover {
  let right = `${lockPath}.takeover.${key(stale.supervisor)}`;
  for (let step = 0; ; step++) {
    if (step === MAX_STEPS || path.basename(right).length > 240) {
      const message = `cannot take over the stale lock ${lockPath}: too many takeovers of it crashed`;
      const hint = `if no corral is running for this manifest, delete ${lockPath} and ${lockPath}.takeover.*`;
      throw new LockError('E_LOCK_FILE', message, hint);
    }
    if (createExclusive(right, lockPath, mine)) break;
    const taker = readRecordAt(right);
    if (taker === null) continue; // its creator just gave up: try the same right again
    if (judgeLock(taker, bootId, isAlive).kind === 'held') return { kind: 'contended', taker };
    right = `${right}.${key(taker.supervisor)}`;
  }
  try {
    const now = readRecordAt(lockPath);
    if (now === null || !sameLock(now, stale)) return { kind: 'changed' };
    const record = { ...mine, children: leftovers };
    // The leftovers stay recorded until the caller records its own children, so a crash between
    // here and killLeftovers hands them on instead of losing them.
    replaceWith(lockPath, record);
    removeTakeoverFiles(lockPath);
    return { kind: 'won', record };
  } finally {
    removeQuietly(right);
  }
}

/**
 * Takes the lock for `manifestFile` as `me`, taking over a stale one (and returning what its
 * holder recorded as leftovers). Throws E_LOCKED while a live supervisor holds it.
 */
export function acquireLock(
  manifestFile: string,
  serviceName: string,
  me: ProcessIdentity,
  options: LockOptions = {},
): AcquiredLock {
  const manifest = realPath(manifestFile);
  const dir =
    options.runtimeDir ??
    runtimeDirFor({
      xdgRuntimeDir: process.env['XDG_RUNTIME_DIR'],
      uid: currentUid(),
      tmpdir: os.tmpdir(),
      platform: process.platform,
    });
  ensureRuntimeDir(dir);
  const lockPath = path.join(dir, lockFileName(manifest, serviceName));
  const bootId = currentBootId();
  const acquiredAt = (options.now ?? (() => new Date()))().toISOString();
  const mine: LockRecord = {
    version: 1,
    manifest,
    bootId,
    supervisor: identityOf(me),
    acquiredAt,
    children: [],
  };
  for (let step = 0; step < MAX_STEPS; step++) {
    if (createExclusive(lockPath, lockPath, mine)) {
      removeTakeoverFiles(lockPath); // left by takeovers that crashed
      return { lock: { path: lockPath, record: mine }, leftovers: [], previous: null };
    }
    const found = readRecordAt(lockPath);
    if (found === null) continue; // released between our two looks
    const verdict = judgeLock(found, bootId, isAlive);
    if (verdict.kind === 'held') throw lockedError(found, lockPath);
    const outcome = takeOver(lockPath, found, mine, verdict.leftovers, bootId);
    if (outcome.kind === 'contended') throw takeoverInProgressError(found, outcome.taker, lockPath);
    if (outcome.kind === 'won') {
      const lock = { path: lockPath, record: outcome.record };
      return { lock, leftovers: outcome.record.children, previous: found };
    }
  }
  const hint = `if no corral is running for this manifest, delete ${lockPath}`;
  throw new LockError(
    'E_LOCK_FILE',
    `the lock ${lockPath} kept changing while corral tried to take it`,
    hint,
  );
}

function realPath(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    return absolute; // the manifest loader reports a missing manifest better than we can
  }
}

function lostError(lock: ManifestLock, now: LockRecord | null): LockError {
  const who = now === null ? 'the file was deleted' : `corral pid ${now.supervisor.pid} holds it now`;
  return new LockError(
    'E_LOCK_FILE',
    `the lock ${lock.path} no longer belongs to this supervisor (pid ${lock.record.supervisor.pid}): ${who}`,
    `two supervisors may be running ${lock.record.manifest}; stop this one`,
  );
}

/** Replaces the recorded children (leftovers included) with `children`; throws if the lock was lost. */
export function recordChildren(lock: ManifestLock, children: readonly ProcessIdentity[]): void {
  const now = readRecordAt(lock.path);
  if (now === null || !sameLock(now, lock.record)) throw lostError(lock, now);
  replaceWith(lock.path, { ...lock.record, children });
}

/** Removes the lock if it is still ours; says whether it did. */
export function releaseLock(lock: ManifestLock): boolean {
  const now = readRecordAt(lock.path);
  if (now === null || !sameLock(now, lock.record)) return false;
  fs.unlinkSync(lock.path);
  return true;
}

/**
 * Which processes to kill for `recorded` leftovers, from one /proc snapshot: each recorded process
 * still running with the same start time, then its live descendants, parents first. Never `self`
 * or its ancestors, in case a leftover started this very supervisor. (Our own children are fair
 * game: leftovers are killed before we start any.)
 */
export function leftoverTargets(
  recorded: readonly ProcessIdentity[],
  snapshot: readonly ProcStat[],
  self: number,
): ProcessIdentity[] {
  const byPid = new Map(snapshot.map((p) => [p.pid, p]));
  const spared = new Set([self]);
  for (let p = byPid.get(self); p !== undefined && !spared.has(p.ppid); p = byPid.get(p.ppid)) {
    spared.add(p.ppid);
  }
  const out = new Map<string, ProcessIdentity>();
  for (const who of recorded) {
    const root = byPid.get(who.pid);
    if (root === undefined || root.startTime !== who.startTime || root.state === 'Z') continue;
    for (const p of [root, ...descendantsOf(root.pid, snapshot)]) {
      if (p.state !== 'Z' && !spared.has(p.pid)) out.set(key(p), identityOf(p));
    }
  }
  return [...out.values()];
}

export type Kill = (pid: number, signal: 'SIGSTOP' | 'SIGKILL') => unknown;

function signal(kill: Kill, who: ProcessIdentity, name: 'SIGSTOP' | 'SIGKILL'): boolean {
  if (!isAlive(who)) return false; // checked right before, so a reused pid is left alone
  try {
    kill(who.pid, name);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ESRCH' || errnoOf(error) === 'EPERM') return false;
    throw error;
  }
}

/** SIGSTOPs the leftovers and their descendants, round after round until a /proc scan finds nothing new. */
function freeze(recorded: readonly ProcessIdentity[], kill: Kill, stopped: ProcessIdentity[]): void {
  const seen = new Set<string>();
  for (let round = 0; round < 100; round++) {
    const targets = leftoverTargets([...recorded, ...stopped], listProcesses(), process.pid);
    const fresh = targets.filter((who) => !seen.has(key(who)));
    if (fresh.length === 0) return;
    for (const who of fresh) {
      seen.add(key(who));
      if (signal(kill, who, 'SIGSTOP')) stopped.push(who);
    }
  }
}

/**
 * SIGKILLs the leftovers still alive with their recorded start time, and their live descendants;
 * returns what it killed. All of them are stopped first, so that nothing forks, or is reparented
 * out of our sight by a parent's death, while we look.
 */
export function killLeftovers(
  recorded: readonly ProcessIdentity[],
  kill: Kill = (pid, name) => process.kill(pid, name),
): ProcessIdentity[] {
  const stopped: ProcessIdentity[] = [];
  try {
    freeze(recorded, kill, stopped);
  } catch (error) {
    for (const who of stopped) signal(kill, who, 'SIGKILL'); // nothing we stopped may stay stopped
    throw error;
  }
  return stopped.filter((who) => signal(kill, who, 'SIGKILL'));
}
