// corral as a Windows service, black-box, as an administrator drives it: the real Windows build of
// Node and the win32 koffi under Wine, `corral install`, `sc start`, `sc query`, `sc stop`,
// `corral uninstall`, from here. Runs only when the Windows suite does (wineRequested, as
// windows-launcher.test.ts). What Wine cannot show (SHUTDOWN and PRESHUTDOWN, which it never
// delivers; recovery actions; real SCM timeouts; accounts) is covered by the unit tests of the
// service host (test/unit/platform/windows-service-*.test.ts).
//
// The service runs `"<node.exe>" "<corral.js>" service "<manifest>"`, so corral must be installed
// whole where Windows Node can run it: <cache>/service-app holds bin/, dist/, package.json and
// node_modules/ (links to this repo's pure-JS packages, and to the win32 koffi of the app folder).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findWine,
  processesMarked,
  stageApp,
  startScenario,
  wineRequested,
  windowsPath,
  type Wine,
} from '../windows/wine.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const TEST_MS = 90_000;

interface Query {
  readonly state: number;
  readonly win32ExitCode: number;
  readonly serviceExitCode: number;
  readonly checkPoint: number;
  readonly waitHint: number;
}

describe.runIf(wineRequested)('corral as a Windows service under Wine', { timeout: TEST_MS }, () => {
  let wine: Wine;
  let serviceApp: string;
  const installed = new Set<string>();
  const started = Date.now();

  beforeAll(() => {
    wine = stageApp(findWine());
    serviceApp = stageServiceApp(wine);
  });

  afterAll(() => {
    for (const name of installed) {
      sc('stop', name);
      sc('delete', name);
    }
    console.log(`windows-service: ${Date.now() - started} ms in all`);
  });

  /** Runs `corral <args>` with Windows Node; its output goes through a file. */
  function corral(args: readonly string[]): { code: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-wine-cli-'));
    const log = path.join(dir, 'output.txt');
    const out = fs.openSync(log, 'w');
    const bin = windowsPath(path.join(serviceApp, 'bin', 'corral.js'));
    const result = spawnSync(wine.bin, [wine.node, bin, ...args], {
      env: wine.env,
      stdio: ['ignore', out, out],
      timeout: 60_000,
    });
    fs.closeSync(out);
    return { code: result.status, output: fs.readFileSync(log, 'utf8') };
  }

  /** `reg query` of the service's event log source: its values, or null when the key is absent. */
  function eventSource(name: string): string | null {
    const result = spawnSync(
      wine.bin,
      ['reg.exe', 'query', `HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\${name}`],
      { env: wine.env, encoding: 'utf8', timeout: 20_000 },
    );
    return result.status === 0 ? result.stdout.replaceAll('\r', '') : null;
  }

  function sc(...args: string[]): string {
    const result = spawnSync(wine.bin, ['sc.exe', ...args], {
      env: wine.env,
      encoding: 'utf8',
      timeout: 20_000,
    });
    return result.stdout.replaceAll('\r', '');
  }

  function query(name: string): Query | null {
    const text = sc('query', name);
    const field = (key: string) => {
      const match = new RegExp(`${key}\\s*:\\s*(0x[0-9a-f]+|\\d+)`, 'i').exec(text);
      return match?.[1] === undefined ? NaN : Number(match[1]);
    };
    if (!/STATE/.test(text)) return null;
    return {
      state: field('STATE'),
      win32ExitCode: field('WIN32_EXIT_CODE'),
      serviceExitCode: field('SERVICE_EXIT_CODE'),
      checkPoint: field('CHECKPOINT'),
      waitHint: field('WAIT_HINT'),
    };
  }

  /** Polls `sc query` until `done` holds; returns every status seen on the way. */
  async function pollUntil(name: string, done: (q: Query) => boolean, ms: number): Promise<Query[]> {
    const seen: Query[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const q = query(name);
      if (q !== null) seen.push(q);
      if (q !== null && done(q)) return seen;
      if (Date.now() > deadline)
        throw new Error(`${name}: not there within ${ms} ms; saw ${JSON.stringify(seen)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function waitForFile(file: string, ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    while (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') === '') {
      if (Date.now() > deadline) throw new Error(`${file} did not appear within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Number(fs.readFileSync(file, 'utf8'));
  }

  /**
   * A folder with a manifest for service `name`; the children leave their markers in it. Not under
   * /tmp: Wine makes each file's ACL up from its Unix mode, and /tmp (1777) would let Everyone
   * change what is in it, which install and the service rightly refuse. (The home folder and the
   * folders above it must not be writable by others either.)
   */
  function manifestDir(
    name: string,
    processes: (dir: string) => string,
    mode = 0o755,
  ): { dir: string; manifest: string } {
    // Under the home folder: the Wine cache, and even the repository, may be under /tmp in CI.
    const base = path.join(os.homedir(), '.cache', 'corral-wine-manifests');
    fs.mkdirSync(base, { recursive: true, mode: 0o755 });
    const dir = fs.mkdtempSync(path.join(base, `${name}-`));
    fs.chmodSync(dir, mode);
    const manifest = path.join(dir, 'corral.yaml');
    fs.writeFileSync(
      manifest,
      `version: 1\nservice: { name: ${name}, stop_timeout: 30s, auto_reload: false }\nlog: { dir: ./logs }\nprocesses:\n${processes(dir)}`,
    );
    return { dir, manifest };
  }

  function child(dir: string, name: string, flags = ''): string {
    const script = windowsPath(path.join(wine.app, 'test', 'windows', 'service-child.mjs')).replaceAll(
      '\\',
      '/',
    );
    const node = windowsPath(wine.node).replaceAll('\\', '/');
    return `    command: ["${node}", "${script}", "--dir", "${windowsPath(dir).replaceAll('\\', '/')}", "--name", "${name}"${flags}]\n`;
  }

  it('installs, starts to RUNNING, runs the children, stops them in reverse order, uninstalls', async () => {
    const name = `corral-t${Date.now() % 1_000_000}`;
    const { dir, manifest } = manifestDir(
      name,
      (d) =>
        `  db:\n${child(d, 'db')}    stop: [{ ctrl_c: 10s }, kill]\n` +
        `  api:\n${child(d, 'api', ', "--stop-delay", "1500", "--say", "1"')}    depends_on: { db: started }\n    stop: [{ ctrl_c: 10s }, kill]\n`,
    );

    const install = corral(['install', windowsPath(manifest)]);
    expect(install.output).toContain(`installed service ${name}`);
    expect(install.code).toBe(0);
    installed.add(name);
    expect(query(name)?.state).toBe(1); // STOPPED
    // Its event log source, so Event Viewer shows the messages as written.
    expect(eventSource(name)).toMatch(
      /EventMessageFile\s+REG_EXPAND_SZ\s+%SystemRoot%\\Microsoft\.NET\\Framework64\\v4\.0\.30319\\EventLogMessages\.dll/,
    );
    expect(eventSource(name)).toMatch(/TypesSupported\s+REG_DWORD\s+0x7/);

    sc('start', name);
    const starting = await pollUntil(name, (q) => q.state === 4, 30_000);
    expect(starting.filter((q) => q.state !== 4).every((q) => q.state === 2)).toBe(true); // START_PENDING
    await waitForFile(path.join(dir, 'db.started'), 10_000);
    await waitForFile(path.join(dir, 'api.started'), 10_000);

    sc('stop', name);
    const stopping = await pollUntil(name, (q) => q.state === 1, 40_000);
    const pending = stopping.filter((q) => q.state === 3); // STOP_PENDING
    expect(pending.length).toBeGreaterThan(0);
    expect(Math.max(...pending.map((q) => q.checkPoint))).toBeGreaterThanOrEqual(2); // it advanced
    expect(pending.every((q) => q.waitHint >= 2_000)).toBe(true);
    expect(stopping.at(-1)).toMatchObject({ state: 1, win32ExitCode: 0, serviceExitCode: 0 });
    // Reverse dependency order: api got Ctrl+C first and db only after api had exited.
    const apiStopped = await waitForFile(path.join(dir, 'api.stopped'), 1_000);
    const dbStopped = await waitForFile(path.join(dir, 'db.stopped'), 1_000);
    expect(dbStopped - apiStopped).toBeGreaterThanOrEqual(1_400);
    const log = fs.readFileSync(path.join(dir, 'logs', `_corral.${name}.log`), 'utf8');
    expect(log).toContain('the service manager asked to stop');
    expect(log).not.toMatch(/killing/);
    // api's output, both streams in one file; its last line, written 1.5 s after Ctrl+C without a
    // newline right before it exited, is there (with one) by the time the service reports STOPPED.
    const apiLog = fs.readFileSync(path.join(dir, 'logs', 'api.log'), 'utf8');
    expect(
      apiLog
        .split(/\r?\n/)
        .filter((l) => l !== '')
        .sort(),
    ).toEqual(['BYE api', 'HELLO api', 'WARN api']);
    expect(apiLog.endsWith('BYE api\n')).toBe(true);
    // corral logs reads those files with the service stopped.
    const tail = corral(['logs', '-c', windowsPath(manifest), '-n', '1', 'api']);
    expect(tail).toMatchObject({ code: 0, output: 'BYE api\n' });

    const uninstall = corral(['uninstall', windowsPath(manifest)]);
    expect(uninstall.output).toContain(`uninstalled service ${name}`);
    installed.delete(name);
    expect(query(name)).toBeNull();
    expect(eventSource(name)).toBeNull();
  });

  it('applies an edited manifest on PARAMCHANGE: the new process starts', async () => {
    const name = `corral-p${Date.now() % 1_000_000}`;
    const { dir, manifest } = manifestDir(name, (d) => `  one:\n${child(d, 'one')}`);
    expect(corral(['install', windowsPath(manifest)]).code).toBe(0);
    installed.add(name);
    sc('start', name);
    await pollUntil(name, (q) => q.state === 4, 30_000);
    await waitForFile(path.join(dir, 'one.started'), 10_000);

    fs.appendFileSync(manifest, `  two:\n${child(dir, 'two')}`);
    const sent = await sendControl(name, 6); // SERVICE_CONTROL_PARAMCHANGE
    expect(sent).toBe(true);
    await waitForFile(path.join(dir, 'two.started'), 15_000);

    sc('stop', name);
    await pollUntil(name, (q) => q.state === 1, 30_000);
    expect(corral(['uninstall', '--name', name]).code).toBe(0);
    installed.delete(name);
  });

  it('reports STOPPED with ERROR_SERVICE_SPECIFIC_ERROR and code 1 when a critical process gives up', async () => {
    const name = `corral-c${Date.now() % 1_000_000}`;
    const { manifest } = manifestDir(
      name,
      (d) =>
        `  fragile:\n${child(d, 'fragile', ', "--crash", "300"')}    critical: true\n    restart: { policy: never }\n`,
    );
    expect(corral(['install', windowsPath(manifest)]).code).toBe(0);
    installed.add(name);
    sc('start', name);
    const seen = await pollUntil(name, (q) => q.state === 1 && q.win32ExitCode !== 0, 30_000);
    expect(seen.at(-1)).toMatchObject({ state: 1, win32ExitCode: 1066, serviceExitCode: 1 });
    expect(corral(['uninstall', '--name', name]).code).toBe(0);
    installed.delete(name);
  });

  it('reports RUNNING only once the ready probe passed', async () => {
    const name = `corral-r${Date.now() % 1_000_000}`;
    const { dir, manifest } = manifestDir(
      name,
      (d) =>
        `  slow:\n${child(d, 'slow', ', "--ready-after", "1500"')}    ready: { log: "^READY slow", timeout: 30s }\n`,
    );
    expect(corral(['install', windowsPath(manifest)]).code).toBe(0);
    installed.add(name);
    sc('start', name);
    const seen = await pollUntil(name, (q) => q.state === 4, 30_000);
    const runningAt = Date.now();
    const readyAt = await waitForFile(path.join(dir, 'slow.ready'), 1_000);
    expect(seen.filter((q) => q.state === 2).length).toBeGreaterThan(1); // START_PENDING meanwhile
    expect(runningAt).toBeGreaterThanOrEqual(readyAt);
    sc('stop', name);
    await pollUntil(name, (q) => q.state === 1, 30_000);
    expect(corral(['uninstall', '--name', name]).code).toBe(0);
    installed.delete(name);
  });

  it('kills a child that ignores Ctrl+C when its step times out, and leaves none behind', async () => {
    const name = `corral-i${Date.now() % 1_000_000}`;
    // WM_CLOSE first: a console child has no window, which the log must say (and then go on).
    const { dir, manifest } = manifestDir(
      name,
      (d) =>
        `  deaf:\n${child(d, 'deaf', ', "--ignore-ctrl-c", "1"')}    stop: [{ wm_close: 200ms }, { ctrl_c: 1500ms }, kill]\n`,
    );
    expect(corral(['install', windowsPath(manifest)]).code).toBe(0);
    installed.add(name);
    sc('start', name);
    await pollUntil(name, (q) => q.state === 4, 30_000);
    await waitForFile(path.join(dir, 'deaf.started'), 10_000);
    const stopAsked = Date.now();
    sc('stop', name);
    const seen = await pollUntil(name, (q) => q.state === 1, 30_000);
    expect(seen.at(-1)).toMatchObject({ win32ExitCode: 0, serviceExitCode: 0 });
    const ignoredAt = await waitForFile(path.join(dir, 'deaf.ignored'), 1_000);
    expect(ignoredAt).toBeGreaterThanOrEqual(stopAsked - 1_000);
    // Not killed before its step ran out: the service was STOP_PENDING for at least 1.5 s.
    expect(Date.now() - stopAsked).toBeGreaterThanOrEqual(1_400);
    expect(fs.existsSync(path.join(dir, 'deaf.stopped'))).toBe(false);
    expect(processesMarked(dir)).toEqual([]);
    const log = fs.readFileSync(path.join(dir, 'logs', `_corral.${name}.log`), 'utf8');
    expect(log).toMatch(/ deaf +\| warn: pid \d+: WM_CLOSE: the process tree has no top-level window/);
    expect(corral(['uninstall', '--name', name]).code).toBe(0);
    installed.delete(name);
  });

  it('leaves no child or grandchild behind when the service process is killed from outside', async () => {
    const name = `corral-x${Date.now() % 1_000_000}`;
    const { dir, manifest } = manifestDir(
      name,
      (d) => `  tree:\n${child(d, 'tree', ', "--grandchild", "1"')}  other:\n${child(d, 'other')}`,
    );
    expect(corral(['install', windowsPath(manifest)]).code).toBe(0);
    installed.add(name);
    sc('start', name);
    await pollUntil(name, (q) => q.state === 4, 30_000);
    for (const marker of ['tree', 'tree-gc', 'other'])
      await waitForFile(path.join(dir, `${marker}.started`), 10_000);
    // The children's command lines name the folder; so does the service's (its manifest).
    const [service, ...others] = processesMarked(path.basename(dir)).filter((l) =>
      /corral\.js"? service/.test(l),
    );
    expect(others).toEqual([]);
    expect(processesMarked(dir).length).toBe(3);
    // Killed from outside, as a crash or taskkill /F would: SIGKILL of its Wine process.
    process.kill(Number(service?.trim().split(/\s+/)[0]), 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while (processesMarked(dir).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(processesMarked(dir)).toEqual([]);
    sc('delete', name);
    installed.delete(name);
  });

  it('refuses to start (code 3) when the manifest became changeable by others after install', async () => {
    const name = `corral-late${Date.now() % 1_000_000}`;
    const { manifest } = manifestDir(name, (d) => `  a:\n${child(d, 'a')}`);
    expect(corral(['install', windowsPath(manifest)]).code).toBe(0);
    installed.add(name);
    fs.chmodSync(manifest, 0o666);
    sc('start', name);
    const seen = await pollUntil(name, (q) => q.state === 1 && q.win32ExitCode !== 0, 30_000);
    expect(seen.at(-1)).toMatchObject({ state: 1, win32ExitCode: 1066, serviceExitCode: 3 });
    expect(corral(['uninstall', '--name', name]).code).toBe(0);
    installed.delete(name);
  });

  it('refuses to install a manifest in a folder everyone may change, unless --insecure-manifest', () => {
    const name = `corral-open${Date.now() % 1_000_000}`;
    const { dir, manifest } = manifestDir(name, (d) => `  a:\n${child(d, 'a')}`, 0o777);
    const refused = corral(['install', windowsPath(manifest)]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`${windowsPath(dir)} can be changed by Everyone`);
    expect(refused.output).toContain(`fix: icacls "${windowsPath(dir)}" /inheritance:r /grant:r`);
    expect(refused.output).toContain('corral: not installed');
    expect(query(name)).toBeNull();
    const forced = corral(['install', '--insecure-manifest', windowsPath(manifest)]);
    expect(forced.code).toBe(0);
    installed.add(name);
    expect(forced.output).toMatch(
      /warning: --insecure-manifest: installing although .* can be changed by Everyone/,
    );
    expect(forced.output).toMatch(/"service" "--trust" "S-1-5-[\d-]+" "--insecure-manifest"/);
    expect(corral(['uninstall', '--name', name]).code).toBe(0);
    installed.delete(name);
  });

  it("leaves another program's service of the same name alone: install and uninstall refuse", () => {
    const name = `corral-other${Date.now() % 1_000_000}`;
    sc('create', name, 'binpath=', 'C:\\windows\\system32\\notepad.exe');
    installed.add(name);
    expect(query(name)?.state).toBe(1);
    const { manifest } = manifestDir(name, (d) => `  a:\n${child(d, 'a')}`);
    const install = corral(['install', windowsPath(manifest)]);
    expect(install.code).toBe(1);
    expect(install.output).toContain(`a service named ${name} already exists and runs`);
    expect(install.output).toContain('notepad.exe, not corral: it is left alone');
    const uninstall = corral(['uninstall', '--name', name]);
    expect(uninstall.code).toBe(1);
    expect(uninstall.output).toContain('not corral: it is left alone');
    expect(query(name)?.state).toBe(1);
    sc('delete', name);
    installed.delete(name);
  });

  it('refuses to install an invalid manifest, printing its diagnostics', () => {
    const { manifest } = manifestDir('corral-bad', () => '  broken: { command: [] }\n');
    const result = corral(['install', windowsPath(manifest)]);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/corral\.yaml:\d+:\d+/);
    expect(result.output).toContain('not installed: the manifest is invalid');
    expect(query('corral-bad')).toBeNull();
  });

  it('serves the control pipe: replies, concurrency, a second server refused, bad input, deadline, close', async () => {
    const running = startScenario(wine, 'control-pipe');
    try {
      await running.waitFor('done', 60_000);
    } finally {
      running.process.kill('SIGKILL');
    }
    const reports = new Map(running.reports().map((r) => [r.event, r]));
    const status = reports.get('status')?.['reply'] as {
      ok: boolean;
      status: { processes: { name: string }[] };
    };
    expect(status.ok).toBe(true);
    expect(status.status.processes.map((p) => p.name)).toEqual(['web']);
    expect(reports.get('concurrent')).toMatchObject({ count: 9, allOk: true, restart: { ok: true } });
    expect(reports.get('second')).toMatchObject({ code: 'E_CONTROL_IN_USE' });
    const garbage = String(reports.get('garbage')?.['data']).split('\n');
    expect(garbage[0]).toContain('"code":"E_BAD_JSON"');
    expect(garbage[1]).toContain('"id":2,"ok":true'); // answered after the client half-closed
    expect(reports.get('large')?.['data']).toContain('"code":"E_TOO_LARGE"');
    expect(reports.get('idle')?.['ms']).toBeGreaterThanOrEqual(900); // requestTimeoutMs 1000
    expect(reports.get('closed')).toMatchObject({ after: 'not-running', reopened: true });
    console.log(
      `control pipe: start ${String(reports.get('started')?.['ms'])} ms, first status ${String(reports.get('status')?.['ms'])} ms, ` +
        `20 statuses ${String(reports.get('sequential')?.['ms'])} ms, close ${String(reports.get('closed')?.['closeMs'])} ms`,
    );
  });

  it('corral start, status, restart and stop drive the service (its control pipe, the SCM); exit 3 once it stopped', async () => {
    const name = `corral-k${Date.now() % 1_000_000}`;
    const { dir, manifest } = manifestDir(
      name,
      (d) => `  one:\n${child(d, 'one')}    stop: [kill]\n  two:\n${child(d, 'two')}    stop: [kill]\n`,
    );
    const config = windowsPath(manifest);
    expect(corral(['install', config]).code).toBe(0);
    installed.add(name);
    // corral start without names starts the service and waits until it runs.
    const start = corral(['start', '-c', config]);
    expect(start.code, start.output).toBe(0);
    expect(start.output).toContain(`the service ${name} is RUNNING`);
    expect(query(name)?.state).toBe(4);
    await waitForFile(path.join(dir, 'one.started'), 10_000);
    await waitForFile(path.join(dir, 'two.started'), 10_000);

    interface Row {
      readonly name: string;
      readonly state: string;
      readonly pid: number | null;
    }
    const rows = (): Map<string, Row> => {
      const status = corral(['status', '-c', config, '--json']);
      expect(status.code, status.output).toBe(0);
      const snapshot = JSON.parse(status.output) as { service: string; processes: Row[] };
      expect(snapshot.service).toBe(name);
      return new Map(snapshot.processes.map((row) => [row.name, row]));
    };
    const before = rows();
    expect([...before.keys()]).toEqual(['one', 'two']);
    expect(before.get('one')).toMatchObject({ state: 'running', pid: expect.any(Number) as number });
    expect(before.get('two')).toMatchObject({ state: 'running', pid: expect.any(Number) as number });

    const restart = corral(['restart', '-c', config, 'one']);
    expect(restart.code, restart.output).toBe(0);
    expect(restart.output).toContain('restarted one');
    const after = rows();
    expect(after.get('one')?.state).toBe('running');
    expect(after.get('one')?.pid).not.toBe(before.get('one')?.pid);
    expect(after.get('two')?.pid).toBe(before.get('two')?.pid);

    const stop = corral(['stop', '-c', config]);
    expect(stop.code, stop.output).toBe(0);
    expect(stop.output).toContain(`the service ${name} is STOPPED (it stopped as asked)`);
    expect(query(name)?.state).toBe(1);
    const gone = corral(['status', '-c', config]);
    expect(gone.code).toBe(3);
    expect(gone.output).toContain(
      `corral: the service manager says: the service ${name} is STOPPED (it stopped as asked)`,
    );
    expect(gone.output).toContain(
      `no supervisor is running for ${config} (service ${name}; looked for \\\\.\\pipe\\corral-${name})`,
    );
    expect(corral(['uninstall', '--name', name]).code).toBe(0);
    installed.delete(name);
  });

  async function sendControl(name: string, code: number): Promise<boolean> {
    const running = startScenario(wine, 'service-control', [name, String(code)]);
    const done = await running.waitFor('done', 30_000);
    running.process.kill('SIGKILL');
    return done['delivered'] === true;
  }
});

/** Installs corral where Windows Node can run it as a service: see the header. */
function stageServiceApp(wine: Wine): string {
  // Beside the staged folders, in the set-up's app folder (wine.app is <app>/staged/<hash>).
  const target = path.join(wine.app, '..', '..', 'service-app');
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.join(target, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(target, 'node_modules'));
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(target, 'package.json'));
  fs.copyFileSync(path.join(repo, 'bin', 'corral.js'), path.join(target, 'bin', 'corral.js'));
  fs.cpSync(path.join(repo, 'dist'), path.join(target, 'dist'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(repo, 'node_modules'))) {
    if (entry === '.bin' || entry === 'koffi' || entry === '@koromix' || entry.startsWith('.')) continue;
    fs.symlinkSync(path.join(repo, 'node_modules', entry), path.join(target, 'node_modules', entry));
  }
  for (const entry of ['koffi', '@koromix']) {
    fs.symlinkSync(path.join(wine.app, 'node_modules', entry), path.join(target, 'node_modules', entry));
  }
  return target;
}
