// What the Windows-side scenarios share. Each scenario is run by Windows Node under Wine, from the
// staged copy (test/windows/wine.ts): <app>/test/windows/<scenario>.mjs, with dist/ at <app>/dist.
// Windows Node must not write to a Unix pipe (it crashes), so a scenario reports through a file:
// argv[2] is the result file, one JSON object a line, appended synchronously so that a scenario
// killed from outside has reported everything up to that moment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultFile = process.argv[2];
export const args = process.argv.slice(3);
export const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-scenario-'));
export const fixture = fileURLToPath(new URL('../fixtures/child.mjs', import.meta.url));
export const { WindowsLauncher } = await import('../../dist/platform/windows/launcher.js');
export const win32 = await import('../../dist/platform/windows/win32.js');

export function report(event, fields = {}) {
  fs.appendFileSync(
    resultFile,
    `${JSON.stringify({ event, at: Math.round(performance.now()), ...fields })}\n`,
  );
}

/** The request the core would build for one fixture child (shell off, stdin NUL). */
export function fixtureRequest(name, flags, extra = {}) {
  return {
    name,
    command: [process.execPath, fixture, '--name', name, ...flags],
    shell: false,
    cwd: process.cwd(),
    env: { ...process.env },
    stdin: false,
    maxLine: 1024 * 1024,
    ...extra,
  };
}

/**
 * Spawns through `launcher` and records the child's lines and exit: `lines` (stream-prefixed),
 * `exited` (a promise of {code, signal}), `waitFor(prefix)` resolving with the first line starting so.
 */
export async function spawnRecorded(launcher, request) {
  const lines = [];
  const waiters = [];
  let settle;
  const exited = new Promise((resolve) => (settle = resolve));
  const take = (stream, line) => {
    const text = `${stream === 'stderr' ? 'ERR ' : ''}${line}`;
    lines.push(text);
    for (const w of [...waiters]) {
      if (text.startsWith(w.prefix)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(text);
      }
    }
  };
  const handlers = {
    // As the supervisor reads lines as text: the CR of a CRLF ending dropped (the files keep it).
    onLine(stream, line) {
      take(stream, line.bytes.toString('utf8').replace(/\r$/, ''));
      return true;
    },
    onLines(stream, bytes) {
      for (const text of bytes.toString('utf8').split('\n').slice(0, -1))
        take(stream, text.replace(/\r$/, ''));
      return true;
    },
    onExit(code, signal) {
      settle({ code, signal });
    },
  };
  const child = await spawnTried(launcher, request, handlers);
  const waitFor = (prefix, ms = 20_000) => {
    const seen = lines.find((l) => l.startsWith(prefix));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line "${prefix}..." within ${ms} ms: ${lines.join(' | ')}`)),
        ms,
      );
      waiters.push({ prefix, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  };
  return { child, lines, exited, waitFor };
}

/**
 * Wine's CreateProcessW now and then fails with an error Node cannot name ("spawn UNKNOWN"): once in
 * a CI run, and in about one of 2,600 spawns in a loop here (the fixture child retries its own). A scenario's spawns set up what it tests,
 * so such a spawn is tried again (at most SPAWN_TRIES times) and each retry reported: the Linux side
 * prints it (wine.ts). Any other spawn error, and the last try's, is the scenario's.
 */
const SPAWN_TRIES = 3;

async function spawnTried(launcher, request, handlers) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launcher.spawn(request, handlers);
    } catch (error) {
      if (attempt === SPAWN_TRIES || !/spawn UNKNOWN$/.test(String(error?.message))) throw error;
      report('spawn-retried', { name: request.name, attempt, message: error.message });
    }
  }
}

/**
 * A batch file that runs the fixture child with `flags`: a tree with cmd.exe in the middle. cmd.exe
 * uses no job of its own, unlike Node (libuv), whose kill-on-close job would take a Node grandchild
 * down with its parent anyway; so only this shape shows what corral's own jobs add.
 */
export function batchRunning(dir, name, flags) {
  const bat = path.join(dir, `${name}.bat`);
  const line = [process.execPath, fixture, '--name', name, ...flags].map((w) => `"${w}"`).join(' ');
  fs.writeFileSync(bat, `@echo off\r\n${line}\r\n`);
  return bat;
}

export function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);
}

/** Runs the scenario body; reports `done` or `failed` with the error, then exits. */
export async function scenario(body) {
  try {
    await body();
    report('done');
    process.exit(0);
  } catch (error) {
    report('failed', { message: error instanceof Error ? error.stack : String(error) });
    process.exit(1);
  }
}
