// The Linux side of the Windows suite: finds the Wine set-up of scripts/wine/setup.sh, stages what
// Windows Node runs (dist/, these scenarios, the fixture child) next to the win32 koffi, runs a
// scenario under Wine and reads what it reported. vitest itself cannot run inside Windows Node
// (../../../shared/WINDOWS-UNDER-WINE.md), so the assertions live on this side.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Where scripts/wine/setup.sh keeps Wine's prefix, Windows Node, the win32 koffi and its env file. */
function cacheDir(): string {
  return (
    process.env['CORRAL_WINE_CACHE'] ??
    path.join(process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'corral', 'wine')
  );
}

/**
 * Whether the Windows suite runs: with CORRAL_WINE=1 (CI sets it: then a missing set-up fails every
 * test, saying what to run), or when scripts/wine/setup.sh has been run here; CORRAL_WINE=0 turns
 * it off. The README says which tests need it.
 */
export const wineRequested =
  process.env['CORRAL_WINE'] === '1' ||
  (process.env['CORRAL_WINE'] !== '0' && fs.existsSync(path.join(cacheDir(), 'env')));

export interface Wine {
  readonly bin: string;
  readonly node: string;
  readonly app: string;
  readonly env: NodeJS.ProcessEnv;
}

/** The set-up scripts/wine/setup.sh made; throws, saying what to run, when there is none. */
export function findWine(): Wine {
  const cache = cacheDir();
  const saved = readEnvFile(path.join(cache, 'env'));
  const get = (name: string) => process.env[name] ?? saved[name];
  const bin = get('CORRAL_WINE_BIN');
  const node = get('CORRAL_WINE_NODE');
  const app = get('CORRAL_WINE_APP');
  const prefix = get('WINEPREFIX');
  const missing = [bin, node, app, prefix].some((p) => p === undefined || !fs.existsSync(p));
  if (bin === undefined || node === undefined || app === undefined || prefix === undefined || missing) {
    throw new Error(
      `the Windows suite needs Wine, Windows Node and the win32 koffi, and ${cache}/env names none that exist: ` +
        `run scripts/wine/setup.sh (as root on a fresh machine: it installs wine64), then run the suite again`,
    );
  }
  return {
    bin,
    node,
    app,
    env: { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' },
  };
}

function readEnvFile(file: string): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) vars[match[1]] = match[2].replace(/^"|"$/g, '');
  }
  return vars;
}

/** Staged copies not used for this long are removed when another is staged. */
const STAGED_KEEP_MS = 24 * 60 * 60 * 1000;

/**
 * Copies the built dist/, the scenarios and the fixture child where Windows Node runs them (needs
 * npm run build), and returns the set-up with `app` pointing there. The copy goes to a folder named
 * by a hash of its contents, made under a temporary name and renamed into place, and is never
 * changed afterwards: the Wine test files run in parallel, and restaging one shared folder (as this
 * did) deleted modules that a scenario of another file was about to load, such as the Ctrl+C
 * helper. The same contents are staged once; another checkout gets a folder of its own.
 */
export function stageApp(wine: Wine): Wine {
  const dist = path.join(repo, 'dist');
  if (!fs.existsSync(path.join(dist, 'platform', 'windows', 'launcher.js'))) {
    throw new Error(`${dist}/platform/windows/launcher.js is missing: run npm run build first`);
  }
  const files = [
    ...filesUnder(dist).map((f) => path.join('dist', f)),
    ...fs
      .readdirSync(path.join(repo, 'test', 'windows'))
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => path.join('test', 'windows', f)),
    path.join('test', 'fixtures', 'child.mjs'),
    // "type": "module" for dist/: without it Node parses each file twice and warns.
    'package.json',
  ].sort();
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(repo, file)))
      .update('\0');
  const root = path.join(wine.app, 'staged');
  const target = path.join(root, hash.digest('hex').slice(0, 16));
  fs.mkdirSync(root, { recursive: true });
  if (!fs.existsSync(target)) {
    const temp = fs.mkdtempSync(path.join(root, '.staging-'));
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(temp, file)), { recursive: true });
      fs.copyFileSync(path.join(repo, file), path.join(temp, file));
    }
    // The win32 koffi stays where the set-up installed it (module resolution walks up to it too).
    fs.symlinkSync(path.join(wine.app, 'node_modules'), path.join(temp, 'node_modules'));
    try {
      fs.renameSync(temp, target);
    } catch (error) {
      fs.rmSync(temp, { recursive: true, force: true });
      if (!fs.existsSync(target)) throw error; // else another test file staged the same first
    }
  }
  const now = new Date();
  fs.utimesSync(target, now, now);
  for (const entry of fs.readdirSync(root)) {
    const other = path.join(root, entry);
    if (other !== target && now.getTime() - fs.statSync(other).mtimeMs > STAGED_KEEP_MS) {
      fs.rmSync(other, { recursive: true, force: true });
    }
  }
  return { ...wine, app: target };
}

/** Every file below `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** A Unix path as Windows programs under Wine see it: drive Z: is the Unix root. */
export function windowsPath(unixPath: string): string {
  return `Z:${unixPath.replaceAll('/', '\\')}`;
}

export interface Report {
  readonly event: string;
  readonly at: number;
  readonly [field: string]: unknown;
}

export interface Running {
  readonly process: ChildProcess;
  /** What the scenario reported so far. */
  reports(): Report[];
  /** Resolves with the first report of this event; rejects on `failed`, on exit, or after ms. */
  waitFor(event: string, ms: number): Promise<Report>;
  /** Resolves with the exit code of the Wine process. */
  readonly exited: Promise<number | null>;
  /** What Windows Node wrote to stdout and stderr. */
  output(): string;
}

/** Starts test/windows/<name>.mjs under Wine; its output goes to a file, never a Unix pipe. */
export function startScenario(wine: Wine, name: string, args: readonly string[] = []): Running {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `corral-wine-${name}-`));
  const results = path.join(dir, 'results.jsonl');
  const log = path.join(dir, 'output.txt');
  const out = fs.openSync(log, 'w');
  const script = windowsPath(path.join(wine.app, 'test', 'windows', `${name}.mjs`));
  const child = spawn(wine.bin, [wine.node, script, windowsPath(results), ...args], {
    cwd: dir,
    env: wine.env,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const reports = (): Report[] =>
    fs.existsSync(results)
      ? fs
          .readFileSync(results, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Report)
      : [];
  const output = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
  const waitFor = async (event: string, ms: number): Promise<Report> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const all = reports();
      const found = all.find((r) => r.event === event);
      if (found !== undefined) {
        sayRetries(name, all);
        return found;
      }
      const failed = all.find((r) => r.event === 'failed');
      if (failed !== undefined) throw new Error(`scenario ${name} failed: ${String(failed['message'])}`);
      if (done || Date.now() > deadline) {
        throw new Error(
          `scenario ${name}: no "${event}" report ${done ? 'before it exited' : `within ${ms} ms`}; ` +
            `reports: ${JSON.stringify(all)}; output: ${output()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { process: child, reports, waitFor, exited, output };
}

/** Prints the spawns a scenario had to try again (driver.mjs, spawnTried), so that a CI log shows them. */
const retriesSaid = new Set<string>();
function sayRetries(name: string, reports: readonly Report[]): void {
  for (const r of reports.filter((report) => report.event === 'spawn-retried')) {
    const key = `${name} ${JSON.stringify(r)}`;
    if (retriesSaid.has(key)) continue;
    retriesSaid.add(key);
    console.warn(`scenario ${name}: spawn of ${String(r['name'])} tried again: ${String(r['message'])}`);
  }
}

/** Runs a scenario to its end and returns its reports by event; throws if it did not report `done`. */
export async function runScenario(wine: Wine, name: string, ms: number): Promise<Map<string, Report>> {
  const running = startScenario(wine, name);
  try {
    await running.waitFor('done', ms);
  } finally {
    running.process.kill('SIGKILL');
  }
  return new Map(running.reports().map((r) => [r.event, r]));
}

/** Kills a Windows process as `taskkill /F` does (TerminateProcess), from outside the supervisor. */
export function taskkill(wine: Wine, windowsPid: number): void {
  const result = spawnSync(wine.bin, ['taskkill.exe', '/F', '/PID', String(windowsPid)], {
    env: wine.env,
    stdio: 'ignore',
    timeout: 20_000,
  });
  if (result.status !== 0) throw new Error(`taskkill /F /PID ${windowsPid} exited with ${result.status}`);
}

/** The Wine processes whose command line contains `marker` (seen from Linux, independent of Wine's view). */
export function processesMarked(marker: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((line) => line.includes(marker) && !line.includes('ps -eo'));
}
