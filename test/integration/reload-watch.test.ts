// The manifest watcher on real files with real chokidar, saved the ways editors and tools save.
// Nothing sleeps to wait: each test awaits the next event with a deadline, and proves that no
// event came where none should by making a later change and checking that its event is the next
// one (a stray event would arrive first). The short pauses inside writes shape the writes only.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManifestWatcher, type ManifestWatcherOptions, type WatchEvent } from '../../src/reload/watch.js';

const DEADLINE_MS = 5000;

interface Received {
  readonly event: WatchEvent;
  /** performance.now() when it arrived. */
  readonly at: number;
  /** The manifest's text when it arrived, as a caller reloading it would read it. */
  readonly manifest: string | undefined;
}

/** Events as they arrive; next() takes the oldest not yet taken, or waits for one (deadline). */
class Events {
  readonly all: Received[] = [];
  #taken = 0;
  #wake: (() => void) | undefined;

  constructor(readonly manifestPath: string) {}

  readonly push = (event: WatchEvent): void => {
    let manifest: string | undefined;
    try {
      manifest = readFileSync(this.manifestPath, 'utf8');
    } catch {
      manifest = undefined;
    }
    this.all.push({ event, at: performance.now(), manifest });
    this.#wake?.();
  };

  async next(deadlineMs = DEADLINE_MS): Promise<Received> {
    const taken = this.all[this.#taken];
    if (taken !== undefined) {
      this.#taken++;
      return taken;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#wake = resolve;
        timer = setTimeout(() => {
          reject(new Error(`no watch event within ${deadlineMs} ms`));
        }, deadlineMs);
      });
    } finally {
      clearTimeout(timer);
      this.#wake = undefined;
    }
    return this.next(deadlineMs);
  }

  async nextEvent(): Promise<WatchEvent> {
    return (await this.next()).event;
  }
}

/** Resolves once `condition` holds, checked at each turn of the event loop; rejects at the deadline. */
async function until(condition: () => boolean, deadlineMs = DEADLINE_MS): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

let root: string;
let manifest: string;
let env: string;
let watcher: ManifestWatcher | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'corral-watch-'));
  manifest = join(root, 'corral.yaml');
  env = join(root, 'app.env');
  await writeFile(manifest, 'version: 1\n');
  await writeFile(env, 'PORT=1\n');
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  await rm(root, { recursive: true, force: true });
});

async function start(options: Partial<ManifestWatcherOptions> = {}): Promise<Events> {
  const events = new Events(options.files?.[0] ?? manifest);
  watcher = new ManifestWatcher({ files: [manifest, env], ...options }, events.push);
  await watcher.ready();
  return events;
}

let sentinel = 0;
/** Changes the env_file and expects its change to be the very next event: nothing stray came before. */
async function expectNothingElse(events: Events, file = env): Promise<void> {
  await writeFile(file, `SENTINEL=${++sentinel}\n`);
  expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [file] });
}

describe('ManifestWatcher on real files', () => {
  it('reports an in-place write once', async () => {
    const events = await start();
    await writeFile(manifest, 'version: 1\n# edited\n');
    const received = await events.next();
    expect(received.event).toEqual({ kind: 'changed', files: [manifest] });
    expect(received.manifest).toBe('version: 1\n# edited\n');
    await expectNothingElse(events);
  });

  it('reports a write to a temp file renamed over the manifest once, and still sees the next edit', async () => {
    const events = await start();
    await writeFile(`${manifest}.tmp`, 'version: 1\n# renamed over\n');
    await rename(`${manifest}.tmp`, manifest);
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [manifest] });
    await writeFile(manifest, 'version: 1\n# edited after the rename\n');
    const received = await events.next();
    expect(received.event).toEqual({ kind: 'changed', files: [manifest] });
    expect(received.manifest).toBe('version: 1\n# edited after the rename\n');
    await expectNothingElse(events);
  });

  it('reports a deleted manifest as missing once, and a change when it is back', async () => {
    const events = await start();
    await unlink(manifest);
    expect(await events.nextEvent()).toEqual({ kind: 'missing', file: manifest });
    await writeFile(manifest, 'version: 1\n# recreated\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [manifest] });
    await expectNothingElse(events);
  });

  it('reports a delete and recreate in one go (git checkout) as one change, not as missing', async () => {
    const events = await start();
    await unlink(manifest);
    await writeFile(manifest, 'version: 1\n# checked out\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [manifest] });
    await expectNothingElse(events);
  });

  it('waits for a write that comes in chunks to finish, and reports it once', async () => {
    const events = await start({ quietMs: 250 });
    const text = 'version: 1\nprocesses:\n  web: { command: [web] }\n';
    const handle = await open(manifest, 'w');
    try {
      await handle.write(text.slice(0, 20));
      await pause(30); // a slow writer, well within the quiet period
      await handle.write(text.slice(20));
    } finally {
      await handle.close();
    }
    const received = await events.next();
    expect(received.event).toEqual({ kind: 'changed', files: [manifest] });
    expect(received.manifest).toBe(text);
    await expectNothingElse(events);
  });

  it('reports nothing for identical bytes rewritten or a touch', async () => {
    const events = await start();
    await writeFile(manifest, 'version: 1\n');
    const now = new Date();
    await utimes(manifest, now, now);
    await writeFile(`${manifest}.tmp`, 'version: 1\n');
    await rename(`${manifest}.tmp`, manifest);
    // Had any of these been reported, that event (or the manifest in this one) would show here.
    await expectNothingElse(events);
  });

  it('reports a stream of 200 writes a bounded number of times, the last after the last write', async () => {
    const events = await start({ maxWaitMs: 300 });
    let text = '';
    let lastWrite = 0;
    for (let i = 0; i < 200; i++) {
      text = `version: 1\n# write ${i}\n`;
      // When the last write began: a report can come while its writeFile or the pause runs.
      lastWrite = performance.now();
      await writeFile(manifest, text);
      await pause(5);
    }
    await writeFile(env, 'PORT=2\n');
    const received: Received[] = [];
    for (;;) {
      const r = await events.next();
      received.push(r);
      if (r.event.kind === 'changed' && r.event.files.includes(env)) break;
    }
    const reports = received.filter((r) => r.event.kind === 'changed' && r.event.files.includes(manifest));
    expect(received.every((r) => r.event.kind === 'changed')).toBe(true);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(received.length).toBeLessThanOrEqual(20);
    // maxWaitMs: the stream lasts over a second, so some report came while it went on...
    expect(received[0]?.at).toBeLessThan(lastWrite);
    // ...and the last one came after the last write began and saw the final text.
    expect(reports.at(-1)?.at).toBeGreaterThan(lastWrite);
    expect(reports.at(-1)?.manifest).toBe(text);
    await expectNothingElse(events);
  });

  it('reports a change to an env_file', async () => {
    const events = await start();
    await writeFile(env, 'PORT=2\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [env] });
    await writeFile(manifest, 'version: 1\n# after\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [manifest] });
  });

  it('reports an env_file that is missing at first once it is created', async () => {
    const later = join(root, 'later.env');
    const events = await start({ files: [manifest, later, env] });
    await writeFile(later, 'A=1\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [later] });
    await unlink(later);
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [later] });
    await expectNothingElse(events);
  });

  it('follows setFiles: sees a new env_file in another folder, ignores one dropped', async () => {
    const other = join(root, 'shared');
    await mkdir(other);
    const added = join(other, 'db.env');
    const sibling = join(root, 'new.env');
    await writeFile(added, 'DB=1\n');
    const events = await start();
    watcher?.setFiles([manifest, added, sibling]);
    await watcher?.ready();
    await writeFile(env, 'PORT=dropped\n'); // no longer watched: must not be reported
    await writeFile(added, 'DB=2\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [added] });
    await writeFile(sibling, 'NEW=1\n'); // a name added in a folder already watched
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [sibling] });
    await expectNothingElse(events, added);
  });

  it('recovers when the folder is removed and created again', async () => {
    const conf = join(root, 'conf');
    await mkdir(conf);
    const inside = join(conf, 'corral.yaml');
    await writeFile(inside, 'version: 1\n');
    const events = await start({ files: [inside], rescanMs: 100 });
    await rm(conf, { recursive: true });
    expect(await events.nextEvent()).toEqual({ kind: 'missing', file: inside });
    await mkdir(conf);
    await writeFile(inside, 'version: 1\n# back\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [inside] });
    await writeFile(inside, 'version: 1\n# watched again\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [inside] });
  });

  it('recovers when the folder is replaced by another of the same name', async () => {
    const conf = join(root, 'conf');
    const next = join(root, 'conf.next');
    await mkdir(conf);
    await mkdir(next);
    const inside = join(conf, 'corral.yaml');
    await writeFile(inside, 'version: 1\n');
    await writeFile(join(next, 'corral.yaml'), 'version: 1\n# next\n');
    const events = await start({ files: [inside] });
    await rename(conf, join(root, 'conf.old'));
    await rename(next, conf);
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [inside] });
    await writeFile(inside, 'version: 1\n# edited in the new folder\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [inside] });
  });

  it('releases every watch on close', async () => {
    const watches = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const before = watches();
    const events = await start();
    expect(watches()).toBeGreaterThan(before);
    await writeFile(manifest, 'version: 1\n# before close\n');
    expect(await events.nextEvent()).toEqual({ kind: 'changed', files: [manifest] });
    await watcher?.close();
    // Node closes fs.watch handles in the event loop's close phase, after close() returns.
    await until(() => watches() === before);
  });
});
