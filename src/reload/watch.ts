// Notices edits to the manifest and the env_files it names, and says "something changed" once per
// save. It never parses anything: on 'changed' the caller re-reads and validates, and a manifest
// that fails validation simply waits for the next change. What the watcher decides is when to look
// and whether the bytes really changed:
//
// - It watches each file's folder and filters by name, not the file itself. Editors and tools save
//   by writing a temp file and renaming it over the target (vim, VS Code, sed -i) or by deleting and
//   recreating it (git checkout); a watch bound to the old file's inode dies with it, the folder's
//   watch does not.
// - Every notification about a watched name restarts a quiet period (Debouncer): the check runs once
//   the files have been quiet for quietMs, or maxWaitMs after a burst began if writes never stop.
// - The check reads every watched file and compares sha256 fingerprints of the bytes with what it
//   last reported (decide), so `touch`, or an editor rewriting the same bytes, reports nothing.
// - A folder removed, or replaced by another of the same name, leaves a dead watch: the next check
//   stats each folder, reopens the watch on a new inode, and polls every rescanMs for a folder that
//   is gone (or failed with an error) until it can be watched again, then checks at once.
//
// Lifecycle: construct, await ready() (folders scanned, current contents taken as the baseline and
// reported as nothing), then load the manifest, so that no edit can slip between the load and the
// baseline (one made after the baseline only causes a reload that changes nothing). After a reload,
// setFiles() with the new list. Events arrive through onEvent until close().
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { watch } from 'chokidar';
import { systemClock, type Clock, type Timer } from '../core/clock.js';

export interface ManifestWatcherOptions {
  /** The manifest first, then the env_files it names; relative paths start at the current folder. */
  readonly files: readonly string[];
  /** Default: systemClock. Only the debounce and the folder rescans use it. */
  readonly clock?: Clock;
  /** How long the files must stay quiet before they are checked. Default 150 ms. */
  readonly quietMs?: number;
  /** The longest a stream of writes can hold back a check. Default 1500 ms. */
  readonly maxWaitMs?: number;
  /** How often a folder that is gone, or could not be watched, is tried again. Default 1000 ms. */
  readonly rescanMs?: number;
}

export type WatchEvent =
  /** The watched files whose bytes differ from the last report: absolute paths, in `files` order. */
  | { readonly kind: 'changed'; readonly files: readonly string[] }
  /** The manifest is gone. Sent once; a 'changed' naming it follows when it is back. */
  | { readonly kind: 'missing'; readonly file: string }
  /** A folder cannot be watched; the watcher retries every rescanMs. Sent once per folder and cause. */
  | { readonly kind: 'error'; readonly message: string };

export const watchDefaults = Object.freeze({ quietMs: 150, maxWaitMs: 1500, rescanMs: 1000 });

interface WatchSettings {
  readonly clock: Clock;
  readonly quietMs: number;
  readonly maxWaitMs: number;
  readonly rescanMs: number;
}

function resolveSettings(options: ManifestWatcherOptions): WatchSettings {
  const settings = {
    clock: options.clock ?? systemClock,
    quietMs: options.quietMs ?? watchDefaults.quietMs,
    maxWaitMs: options.maxWaitMs ?? watchDefaults.maxWaitMs,
    rescanMs: options.rescanMs ?? watchDefaults.rescanMs,
  };
  for (const key of ['quietMs', 'maxWaitMs', 'rescanMs'] as const) {
    const ms = settings[key];
    const least = key === 'rescanMs' ? 'above 0' : '0 or more';
    if (!Number.isFinite(ms) || ms < 0 || (key === 'rescanMs' && ms === 0)) {
      throw new RangeError(`ManifestWatcher: ${key} must be a number of milliseconds, ${least}, got ${ms}`);
    }
  }
  if (settings.maxWaitMs < settings.quietMs) {
    throw new RangeError(
      `ManifestWatcher: maxWaitMs (${settings.maxWaitMs}) must be at least quietMs (${settings.quietMs})`,
    );
  }
  return Object.freeze(settings);
}

/** Absolute paths without duplicates, the first kept where it was (so the manifest stays first). */
export function normalizeFiles(files: readonly string[]): readonly string[] {
  if (files.length === 0) throw new RangeError('ManifestWatcher: files must name the manifest first, got []');
  return Object.freeze([...new Set(files.map((file) => resolve(file)))]);
}

/**
 * Coalesces a burst of pokes into one call of `fire`: quietMs after the last poke, or maxWaitMs
 * after the first if pokes never stop. States: idle --poke--> waiting {since, timer}; waiting
 * --poke--> waiting (same since, timer re-armed); waiting --timer--> idle, then fire();
 * cancel() --> idle.
 */
export class Debouncer {
  readonly #clock: Clock;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #fire: () => void;
  #burst: { readonly since: number; readonly timer: Timer } | undefined;

  constructor(clock: Clock, timing: { quietMs: number; maxWaitMs: number }, fire: () => void) {
    this.#clock = clock;
    this.#quietMs = timing.quietMs;
    this.#maxWaitMs = timing.maxWaitMs;
    this.#fire = fire;
  }

  poke(): void {
    const now = this.#clock.now();
    const since = this.#burst?.since ?? now;
    this.#burst?.timer.cancel();
    const due = Math.min(now + this.#quietMs, since + this.#maxWaitMs);
    const timer = this.#clock.after(due - now, () => {
      this.#burst = undefined;
      this.#fire();
    });
    this.#burst = { since, timer };
  }

  cancel(): void {
    this.#burst?.timer.cancel();
    this.#burst = undefined;
  }

  /** Whether a burst is waiting to fire. */
  get pending(): boolean {
    return this.#burst !== undefined;
  }
}

/** What a check knows of a file: `sha256:<hex>` of its bytes, MISSING, or `unreadable:<code>`. */
export type Fingerprint = string;
export const MISSING: Fingerprint = 'missing';

export async function fingerprint(file: string): Promise<Fingerprint> {
  try {
    return `sha256:${createHash('sha256')
      .update(await readFile(file))
      .digest('hex')}`;
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? MISSING : `unreadable:${code ?? 'unknown'}`;
  }
}

export interface Decision {
  readonly event: WatchEvent | undefined;
  /** The fingerprints the next check compares with. */
  readonly reported: ReadonlyMap<string, Fingerprint>;
}

/**
 * What a check reports, given the fingerprints last reported and those read now; files[0] is the
 * manifest. A missing manifest is reported once, and nothing else until it is back: then every file
 * that differs from the last report is named, the manifest included. A missing env_file is only a
 * change (validation says what is wrong with it).
 */
export function decide(
  files: readonly string[],
  reported: ReadonlyMap<string, Fingerprint>,
  current: ReadonlyMap<string, Fingerprint>,
): Decision {
  const manifest = files[0];
  if (manifest === undefined) return { event: undefined, reported };
  const now = (file: string) => current.get(file) ?? MISSING;
  if (now(manifest) === MISSING) {
    if (reported.get(manifest) === MISSING) return { event: undefined, reported };
    return { event: { kind: 'missing', file: manifest }, reported: new Map(reported).set(manifest, MISSING) };
  }
  const changed = files.filter((file) => now(file) !== reported.get(file));
  if (changed.length === 0) return { event: undefined, reported };
  const next = new Map(reported);
  for (const file of changed) next.set(file, now(file));
  return { event: { kind: 'changed', files: changed }, reported: next };
}

/** The 'error' message for a folder that cannot be watched: what failed, which folder, the fix. */
export function watchErrorMessage(folder: string, error: unknown): string {
  const code = errorCode(error);
  const what = `cannot watch the folder ${folder} for manifest changes`;
  switch (code) {
    case 'ENOSPC':
      return `${what}: the system limit on inotify watches is reached (ENOSPC); raise it, e.g. sysctl fs.inotify.max_user_watches=524288`;
    case 'EMFILE':
    case 'ENFILE':
      return `${what}: too many open files (${code}); raise the limit (ulimit -n, or LimitNOFILE= in the systemd unit)`;
    case 'EACCES':
    case 'EPERM':
      return `${what}: permission denied (${code}); give corral's user read and search access to it`;
    default:
      return `${what}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

type FolderStat =
  | { readonly kind: 'folder'; readonly ino: number }
  | { readonly kind: 'absent' }
  | { readonly kind: 'error'; readonly error: unknown };

async function statFolder(dir: string): Promise<FolderStat> {
  try {
    const stats = await stat(dir);
    return stats.isDirectory() ? { kind: 'folder', ino: stats.ino } : { kind: 'absent' };
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'absent' } : { kind: 'error', error };
  }
}

interface FolderWatch {
  /** Settles when chokidar has scanned the folder, or when the watch is closed first. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * One chokidar watcher on one folder, calling poke() for any notification about a watched file in
 * it or about the folder itself (moved or removed). Options, and why:
 * - depth 0 and `ignored` everything but the folder and the watched files: no recursion, no watch
 *   on unrelated files. `ignored` reads isWatched live, so setFiles needs no new watcher for a
 *   folder already watched: the folder's watch reports the new name too.
 * - 'raw' events are the main signal: one per write, unthrottled, so a chunked write keeps the quiet
 *   period going until its last chunk; 'all' events are a second opinion (and cover polling mode).
 * - ignoreInitial: the watcher reads its own baseline.
 * - atomic and awaitWriteFinish off: the debounce on our Clock and the content check do their work,
 *   testably (awaitWriteFinish polls size on real timers and would add its 2 s by default).
 * - ignorePermissionErrors off, so EACCES and EPERM reach the 'error' event.
 */
function watchFolder(
  dir: string,
  isWatched: (file: string) => boolean,
  on: { readonly poke: () => void; readonly error: (error: unknown) => void },
): FolderWatch {
  const self = basename(dir);
  const fsw = watch(dir, {
    depth: 0,
    ignored: (path) => {
      const full = resolve(path);
      return full !== dir && !isWatched(full);
    },
    ignoreInitial: true,
    atomic: false,
    awaitWriteFinish: false,
    ignorePermissionErrors: false,
    persistent: true,
  });
  fsw.on('raw', (_event, path: string | null, details) => {
    // The folder's watch names the entry that changed; a file's own watch names the file in details.
    const watched =
      typeof details === 'object' && details !== null && 'watchedPath' in details
        ? details.watchedPath
        : undefined;
    const from = typeof watched === 'string' ? resolve(watched) : undefined;
    if (from !== undefined && isWatched(from)) on.poke();
    else if (path === null || path === '') {
      if (from === dir) on.poke(); // no name given: it may be ours
    } else if (isWatched(resolve(from ?? dir, path)) || (from === dir && path === self)) on.poke();
  });
  fsw.on('all', (event, path) => {
    const full = resolve(path);
    if (isWatched(full) || (event === 'unlinkDir' && full === dir)) on.poke();
  });
  fsw.on('error', on.error);
  let settle = () => {};
  const ready = new Promise<void>((resolveReady) => (settle = resolveReady));
  fsw.once('ready', settle);
  return {
    ready,
    close: () => {
      settle();
      return fsw.close();
    },
  };
}

/** A watched folder: watched on the inode it had when opened, or waiting for a retry. */
type Folder =
  | { readonly state: 'watching'; readonly ino: number; readonly watch: FolderWatch }
  | { readonly state: 'waiting'; readonly timer: Timer };

/**
 * Watches the manifest (files[0]) and its env_files; see the top of this file for how. All work
 * that reads the disk or changes the watches runs one task at a time, in order.
 */
export class ManifestWatcher {
  readonly #settings: WatchSettings;
  readonly #onEvent: (event: WatchEvent) => void;
  readonly #debouncer: Debouncer;
  #files: readonly string[] = [];
  #watched: ReadonlySet<string> = new Set();
  readonly #folders = new Map<string, Folder>();
  #reported: ReadonlyMap<string, Fingerprint> = new Map();
  /** The last error reported per folder, so a retry that fails the same way says nothing new. */
  readonly #errors = new Map<string, string>();
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  /** `onEvent` is called synchronously; if it throws, the error surfaces as an uncaught exception. */
  constructor(options: ManifestWatcherOptions, onEvent: (event: WatchEvent) => void) {
    this.#settings = resolveSettings(options);
    this.#onEvent = onEvent;
    this.#debouncer = new Debouncer(this.#settings.clock, this.#settings, () => {
      this.#enqueue(() => this.#check());
    });
    const files = normalizeFiles(options.files);
    this.#enqueue(() => this.#use(files));
  }

  /** Resolves when the work asked for so far is done: folders scanned, the baseline read. */
  ready(): Promise<void> {
    return this.#queue;
  }

  /** Watches these files instead (manifest first), e.g. after a reload changed the env_files. */
  setFiles(files: readonly string[]): void {
    const next = normalizeFiles(files);
    this.#enqueue(() => this.#use(next));
  }

  /** Stops every watch and timer; no event is sent once this is called. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#debouncer.cancel();
      const folders = [...this.#folders.values()];
      this.#folders.clear();
      await Promise.all(folders.map((folder) => release(folder)));
      await this.#queue;
    })();
    return this.#closing;
  }

  get #closed(): boolean {
    return this.#closing !== undefined;
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task).catch((error: unknown) => {
      // Only onEvent throwing (or a bug) gets here: surface it, as a throwing listener would.
      queueMicrotask(() => {
        throw error;
      });
    });
  }

  #emit(event: WatchEvent): void {
    if (!this.#closed) this.#onEvent(event);
  }

  /** Opens and closes folder watches to match `files`, and reads a baseline for the new files. */
  async #use(files: readonly string[]): Promise<void> {
    const added = files.filter((file) => !this.#watched.has(file));
    this.#files = files;
    this.#watched = new Set(files);
    const dirs = new Set(files.map((file) => dirname(file)));
    for (const [dir, folder] of [...this.#folders]) {
      if (dirs.has(dir)) continue;
      this.#folders.delete(dir);
      this.#errors.delete(dir);
      await release(folder);
    }
    for (const dir of dirs) if (!this.#folders.has(dir)) await this.#open(dir);
    const baseline = await Promise.all(added.map(async (file) => [file, await fingerprint(file)] as const));
    if (this.#closed) return;
    this.#reported = new Map([
      ...[...this.#reported].filter(([file]) => this.#watched.has(file)),
      ...baseline,
    ]);
  }

  /** Watches `dir` if it is a folder now; otherwise waits rescanMs and tries again. */
  async #open(dir: string): Promise<void> {
    const found = await statFolder(dir);
    if (this.#closed || this.#folders.has(dir)) return;
    if (found.kind !== 'folder') {
      if (found.kind === 'error') this.#reportError(dir, found.error);
      this.#wait(dir);
      return;
    }
    const folder: Folder = {
      state: 'watching',
      ino: found.ino,
      watch: watchFolder(dir, (file) => this.#watched.has(file), {
        poke: () => {
          if (!this.#closed) this.#debouncer.poke();
        },
        error: (error) => {
          this.#failed(dir, folder, error);
        },
      }),
    };
    this.#folders.set(dir, folder);
    await folder.watch.ready;
    // An error while scanning replaced the entry (#failed); still here means watched cleanly.
    if (this.#folders.get(dir) === folder) this.#errors.delete(dir);
  }

  /** Chokidar reported an error: say so, drop the watch, and retry after rescanMs. */
  #failed(dir: string, folder: Folder, error: unknown): void {
    if (this.#closed || this.#folders.get(dir) !== folder) return;
    this.#reportError(dir, error);
    this.#folders.delete(dir);
    void release(folder);
    this.#wait(dir);
  }

  #reportError(dir: string, error: unknown): void {
    const message = watchErrorMessage(dir, error);
    if (this.#errors.get(dir) === message) return;
    this.#errors.set(dir, message);
    this.#emit({ kind: 'error', message });
  }

  #wait(dir: string): void {
    if (this.#closed) return;
    const folder: Folder = {
      state: 'waiting',
      timer: this.#settings.clock.after(this.#settings.rescanMs, () => {
        this.#enqueue(async () => {
          if (this.#folders.get(dir) !== folder) return; // released or replaced meanwhile
          this.#folders.delete(dir);
          await this.#open(dir);
          if (this.#folders.get(dir)?.state === 'watching') await this.#check();
        });
      }),
    };
    this.#folders.set(dir, folder);
  }

  /** Reopens the watch of a folder whose inode changed (replaced) or that is gone (waits for it). */
  async #verifyFolders(): Promise<void> {
    for (const [dir, folder] of [...this.#folders]) {
      if (folder.state !== 'watching') continue;
      const found = await statFolder(dir);
      if (this.#closed) return;
      if (this.#folders.get(dir) !== folder || (found.kind === 'folder' && found.ino === folder.ino))
        continue;
      this.#folders.delete(dir);
      await release(folder);
      await this.#open(dir);
    }
  }

  async #check(): Promise<void> {
    await this.#verifyFolders();
    const files = this.#files;
    const current = new Map(
      await Promise.all(files.map(async (file) => [file, await fingerprint(file)] as const)),
    );
    if (this.#closed) return;
    const { event, reported } = decide(files, this.#reported, current);
    this.#reported = reported;
    if (event !== undefined) this.#emit(event);
  }
}

async function release(folder: Folder): Promise<void> {
  if (folder.state === 'watching') await folder.watch.close();
  else folder.timer.cancel();
}
