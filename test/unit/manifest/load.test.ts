// Resolution: defaults, merging, units, paths, expansion, freezing — what everything downstream reads.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART, DEFAULT_STOP } from '../../../src/manifest/resolve.js';
import { check, FAKE_MANIFEST, HEAD, load } from '../../helpers/manifest.js';
import path from 'node:path';

const dir = path.dirname(FAKE_MANIFEST);

describe('resolved spec', () => {
  it('applies the built-in defaults to a minimal process', () => {
    const m = load(`${HEAD}processes:\n  web: { command: node web.js }\n`);
    const web = m.processes[0];
    expect(web).toEqual({
      name: 'web',
      command: ['node', 'web.js'],
      shell: false,
      cwd: dir,
      env: {},
      env_file: [],
      depends_on: {},
      ready: null,
      liveness: null,
      stop: DEFAULT_STOP,
      restart: DEFAULT_RESTART,
      critical: false,
      pause: 'ignore',
      disabled: false,
      output: {
        streams: 'combined',
        timestamps: false,
        rotation: { size: 10 * 1024 * 1024, every: 'never', keep: 10, max_age: null, compress: false },
      },
    });
    expect(m.service).toEqual({
      name: 'demo',
      display_name: 'demo',
      description: '',
      start_type: 'auto',
      account: { kind: 'LocalSystem' },
      stop_timeout: 60_000,
      auto_reload: true,
      preshutdown_timeout: null,
      failure_actions: {
        reset_after: 86_400_000,
        command: null,
        reboot_message: null,
        actions: [{ kind: 'restart', delay: 10_000 }, { kind: 'restart', delay: 60_000 }, { kind: 'none' }],
      },
    });
    expect(m.log).toMatchObject({
      dir: path.join(dir, 'logs'),
      level: 'info',
      format: 'text',
      max_line: 1024 * 1024,
    });
    expect(m.file).toBe(FAKE_MANIFEST);
    expect(m.platform).toBe('linux');
  });

  it('merges defaults under each process: mappings deeply, everything else replaced', () => {
    const m = load(
      `${HEAD}defaults:
  env: { MODE: prod, REGION: eu }
  restart: { delay: 2s, limit: { restarts: 9 } }
  stop: [ { graceful: 3s }, kill ]
  ready: { log: "up" }
processes:
  web:
    command: node web.js
    env: { MODE: dev }
    restart: { policy: always, limit: { window: 2m } }
    stop: [ { signal: SIGINT, timeout: 1s }, kill ]
  api:
    command: node api.js
`,
    );
    const [web, api] = m.processes;
    expect(web?.env).toEqual({ MODE: 'dev', REGION: 'eu' });
    expect(web?.restart).toMatchObject({
      policy: 'always',
      delay: 2000,
      limit: { restarts: 9, window: 120_000 },
    });
    expect(web?.stop).toEqual([{ kind: 'signal', signal: 'SIGINT', timeout: 1000 }, { kind: 'kill' }]);
    expect(web?.ready?.check).toEqual({ kind: 'log', pattern: 'up' });
    expect(api?.env).toEqual({ MODE: 'prod', REGION: 'eu' });
    expect(api?.stop).toEqual([{ kind: 'graceful', timeout: 3000 }, { kind: 'kill' }]);
    expect(api?.restart.policy).toBe('on-failure');
  });

  it('converts durations to ms and sizes to bytes', () => {
    const m = load(
      `${HEAD}log: { max_line: 64KB, rotation: { size: 1.5MB, max_age: 7d } }
processes:
  web:
    command: node web.js
    restart: { delay: 500ms, max_delay: 1m30s, cool_down: 0 }
    ready: { tcp: 8080, timeout: 2m, interval: 250ms }
`,
    );
    expect(m.log.max_line).toBe(65_536);
    expect(m.log.rotation).toMatchObject({ size: 1_572_864, max_age: 604_800_000 });
    expect(m.processes[0]?.restart).toMatchObject({ delay: 500, max_delay: 90_000, cool_down: 0 });
    expect(m.processes[0]?.ready).toEqual({
      check: { kind: 'tcp', host: '127.0.0.1', port: 8080 },
      timeout: 120_000,
      interval: 250,
      initial_delay: 0,
    });
  });

  it('is deeply frozen', () => {
    const m = load(`${HEAD}processes:\n  web: { command: node web.js, env: { A: "1" } }\n`);
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.processes[0]?.restart.limit)).toBe(true);
    expect(() => {
      (m.processes[0]?.env as Record<string, string>)['A'] = '2';
    }).toThrow(TypeError);
  });

  it('splits a command string without a shell, and keeps it whole with shell: true', () => {
    const m = load(
      `${HEAD}processes:
  a: { command: 'C:\\legacy\\db.exe --name "two words" --x=''y''' }
  b: { command: "echo $HOME | tr a-z A-Z", shell: true }
  c: { command: [echo, hello world], shell: true }
`,
    );
    expect(m.processes[0]?.command).toEqual(['C:\\legacy\\db.exe', '--name', 'two words', '--x=y']);
    expect(m.processes[1]?.command).toEqual(['echo $HOME | tr a-z A-Z']);
    expect(m.processes[2]?.command).toEqual(['echo hello world']);
  });

  it('expands ${VAR} and ${VAR:-default} from the given environment, $$ as a literal $', () => {
    const m = load(
      `version: 1
service: { name: "\${SVC:-fallback}" }
processes:
  web:
    command: [node, web.js, "--port=\${PORT}", "--cost=$$5"]
    restart: { limit: { restarts: "\${RESTARTS}" } }
`,
      { env: { PORT: '8080', RESTARTS: '7' } },
    );
    expect(m.service.name).toBe('fallback');
    expect(m.processes[0]?.command).toEqual(['node', 'web.js', '--port=8080', '--cost=$5']);
    expect(m.processes[0]?.restart.limit.restarts).toBe(7);
  });

  it('ignores x- keys anywhere and applies << merges, explicit keys winning', () => {
    const m = load(
      `version: 1
x-stop: &stop [ { graceful: 4s }, kill ]
x-base: &base
  restart: { policy: always }
  stop: *stop
  x-note: anything at all { here
service: { name: demo, x-owner: ops }
processes:
  web:
    <<: *base
    command: node web.js
    restart: { policy: never }
  x-template: { command: 42 }
`,
    );
    expect(m.processes.map((p) => p.name)).toEqual(['web']);
    expect(m.processes[0]?.restart.policy).toBe('never');
    expect(m.processes[0]?.stop).toEqual([{ kind: 'graceful', timeout: 4000 }, { kind: 'kill' }]);
  });

  it('resolves relative paths against the manifest folder and keeps absolute ones', () => {
    const m = load(
      `${HEAD}log: { dir: ../logs }
processes:
  a: { command: x, cwd: sub }
  b: { command: x, cwd: /srv/b }
`,
    );
    expect(m.log.dir).toBe(path.resolve(dir, '../logs'));
    expect(m.processes[0]?.cwd).toBe(path.join(dir, 'sub'));
    expect(m.processes[1]?.cwd).toBe('/srv/b');
  });

  it('keeps Windows absolute paths as written when checked for windows', () => {
    const m = load(
      `${HEAD}log: { dir: "D:/logs/billing" }
processes:
  db: { command: ["C:/legacy/db/server.exe"], cwd: "C:/legacy/db", stop: [ { ctrl_c: 10s }, { ctrl_break: 5s }, { wm_close: 5s }, kill ] }
`,
      { platform: 'windows' },
    );
    expect(m.platform).toBe('windows');
    expect(m.log.dir).toBe('D:\\logs\\billing');
    expect(m.processes[0]?.cwd).toBe('C:\\legacy\\db');
    expect(m.processes[0]?.stop.map((s) => s.kind)).toEqual(['ctrl_c', 'ctrl_break', 'wm_close', 'kill']);
  });

  it('reads service accounts, start types and failure actions', () => {
    const m = load(
      `version: 1
service:
  name: billing
  start_type: delayed-auto
  account: { user: 'CORP\\svc-billing', password: "\${PW}" }
  preshutdown_timeout: 2m
  failure_actions: { reset_after: 12h, command: notify.exe, actions: [ { restart: 5s }, { run: 1m }, { reboot: 10m }, none ] }
processes:
  web: { command: x }
`,
      { env: { PW: 's3cret' } },
    );
    expect(m.service.start_type).toBe('delayed-auto');
    expect(m.service.account).toEqual({ kind: 'user', user: 'CORP\\svc-billing', password: 's3cret' });
    expect(m.service.preshutdown_timeout).toBe(120_000);
    expect(m.service.failure_actions.actions).toEqual([
      { kind: 'restart', delay: 5000 },
      { kind: 'run', delay: 60_000 },
      { kind: 'reboot', delay: 600_000 },
      { kind: 'none' },
    ]);
    for (const [written, kind] of [
      ['NT AUTHORITY\\\\NetworkService', 'NetworkService'],
      ['localservice', 'LocalService'],
      ['LocalSystem', 'LocalSystem'],
    ] as const) {
      const a = load(
        `version: 1\nservice: { name: x, account: "${written}" }\nprocesses:\n  w: { command: x }\n`,
      );
      expect(a.service.account).toEqual({ kind });
    }
  });

  it('resolves each stop step and probe kind', () => {
    const m = load(
      `${HEAD}processes:
  web:
    command: node web.js
    ready: { http: { url: "http://127.0.0.1:8080/health", headers: { X-Probe: "1" } } }
    liveness: { exec: "node check.js --quick", every: 5s, failures: 2 }
    stop:
      - { command: "node web.js --stop", timeout: 30s }
      - { http: "http://127.0.0.1:8080/shutdown", timeout: 20s }
      - { stdin: "quit\\n", timeout: 5s }
      - { stdin: { close: true }, timeout: 5s }
      - { signal: term, timeout: 5s }
      - { graceful: 5s }
      - kill
`,
    );
    const web = m.processes[0];
    expect(web?.ready?.check).toEqual({
      kind: 'http',
      url: 'http://127.0.0.1:8080/health',
      method: 'GET',
      headers: { 'X-Probe': '1' },
    });
    expect(web?.liveness).toEqual({
      check: { kind: 'exec', command: ['node', 'check.js', '--quick'], shell: false },
      every: 5000,
      failures: 2,
      timeout: 5000,
      initial_delay: 0,
    });
    expect(web?.stop).toEqual([
      { kind: 'command', command: ['node', 'web.js', '--stop'], shell: false, timeout: 30_000 },
      {
        kind: 'http',
        url: 'http://127.0.0.1:8080/shutdown',
        method: 'POST',
        headers: {},
        body: null,
        timeout: 20_000,
      },
      { kind: 'stdin', text: 'quit\n', close: false, timeout: 5000 },
      { kind: 'stdin', text: null, close: true, timeout: 5000 },
      { kind: 'signal', signal: 'SIGTERM', timeout: 5000 },
      { kind: 'graceful', timeout: 5000 },
      { kind: 'kill' },
    ]);
  });
});

describe('NUL characters', () => {
  it('are refused where they would reach a command line, a path or the environment', () => {
    const { manifest, diagnostics } = check(
      `${HEAD}processes:
  web:
    command: "node web.js"
    env: { A: "x\\0y" }
    stop: [{ command: ["stop\\x00.exe"], timeout: 5s }, kill]
    ready: { http: { url: "http://127.0.0.1:1/", headers: { X-A: "\\u0000" } } }
`,
    );
    expect(manifest).toBeNull();
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.path}`)).toEqual([
      '6:15 E_NUL processes.web.env.A',
      '7:24 E_NUL processes.web.stop[0].command[0]',
      '8:66 E_NUL processes.web.ready.http.headers.X-A',
    ]);
  });

  it('are kept in text sent as bytes: stdin text, a request body, a log pattern', () => {
    const m = load(
      `${HEAD}processes:
  web:
    command: node web.js
    ready: { log: "^\\0READY" }
    stop:
      - { stdin: "quit\\0", timeout: 5s }
      - { stdin: { text: "\\x00", close: true }, timeout: 5s }
      - { http: { url: "http://127.0.0.1:1/", body: "a\\u0000b" }, timeout: 5s }
      - kill
`,
    );
    const web = m.processes[0];
    expect(web?.ready?.check).toEqual({ kind: 'log', pattern: '^\0READY' });
    expect(web?.stop.slice(0, 3)).toMatchObject([
      { kind: 'stdin', text: 'quit\0' },
      { kind: 'stdin', text: '\0', close: true },
      { kind: 'http', body: 'a\0b' },
    ]);
  });
});

describe('every problem at once', () => {
  it('reports a type error in one process together with a cycle and an unknown dependency elsewhere', () => {
    const { manifest, diagnostics } = check(
      `${HEAD}processes:
  a: { command: x, depends_on: { b: started }, restart: { delay: soon } }
  b: { command: x, depends_on: { a: started } }
  c: { command: x, depends_on: { nope: started } }
`,
    );
    expect(manifest).toBeNull();
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([
      '4:34 E_DEPENDENCY_CYCLE',
      '4:66 E_DURATION',
      '6:34 E_DEPENDENCY_UNKNOWN',
    ]);
  });

  it('does not cascade: an invalid ready probe is not also reported as missing', () => {
    const { diagnostics } = check(
      `${HEAD}processes:
  db: { command: x, ready: { tcp: "nohost" } }
  api: { command: x, depends_on: { db: ready } }
`,
    );
    expect(diagnostics.map((d) => d.code)).toEqual(['E_ADDRESS']);
  });
});

describe('worst-case stop budget', () => {
  const manifest = (condition: string) => `version: 1
service: { name: demo, stop_timeout: 25s }
processes:
  migrate: { command: x, restart: { policy: never }, stop: [ { graceful: 10s }, kill ] }
  db: { command: x, depends_on: { migrate: ${condition} }, stop: [ { graceful: 20s }, kill ] }
`;

  it('chains the stop times of a started dependency and its dependent', () => {
    expect(check(manifest('started')).diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        'W_STOP_BUDGET',
        'the worst-case ordered stop takes 30s along db → migrate (db 20s + migrate 10s), more than service.stop_timeout (25s)',
      ],
    ]);
  });

  it('does not chain a completed dependency: it exited before its dependents started', () => {
    expect(check(manifest('completed')).diagnostics).toEqual([]);
  });
});
