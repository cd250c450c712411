// The CLI as a user meets it: exit codes, messages, --json, --plan, and the real binary.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-cli-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

const valid = write(
  'valid.yaml',
  `version: 1
service: { name: shop, display_name: Shop, stop_timeout: 1m }
processes:
  db:
    command: [node, db.js]
    ready: { tcp: "127.0.0.1:7401" }
    stop: [ { command: [node, db.js, --shutdown], timeout: 20s }, { graceful: 5s }, kill ]
  api:
    command: node api.js --port 7402
    depends_on: { db: ready }
    stop: [ { http: "http://127.0.0.1:7402/shutdown", timeout: 10s }, kill ]
  worker:
    command: node "my worker.js"
    depends_on: { db: started }
  web:
    command: node web.js
    depends_on: { api: started }
`,
);
const invalid = write(
  'invalid.yaml',
  'version: 1\nservice: { name: shop }\nprocesses:\n  web: { comand: x }\n',
);

describe('corral validate', () => {
  it('exits 0 for a valid manifest and says so', async () => {
    const r = await runCli(['validate', valid]);
    expect(r).toEqual({ code: 0, stdout: `${valid}: valid, 4 processes, 0 warnings\n`, stderr: '' });
  });

  it('takes the manifest from -c/--config too', async () => {
    expect((await runCli(['validate', '-c', valid])).code).toBe(0);
    expect((await runCli(['validate', '--config', valid])).code).toBe(0);
  });

  it('exits 1 for an invalid manifest, with every diagnostic', async () => {
    const r = await runCli(['validate', invalid]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${invalid}:4:3 processes.web: missing required key "command"
    hint: add command: ["program", "arg"] (or set it under defaults)
${invalid}:4:10 processes.web.comand: unknown key "comand"
    hint: did you mean "command"?
${invalid}: invalid, 2 errors, 0 warnings
`,
    );
  });

  it('exits 2 naming the path and the OS error when the file cannot be read', async () => {
    const missing = path.join(tmp, 'nope.yaml');
    const r = await runCli(['validate', missing]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `corral: cannot read manifest ${missing}: ENOENT: no such file or directory, open '${missing}'\n` +
        'hint: check the path; every command takes the manifest as -c/--config (default ./corral.yaml)\n',
    );
    const folder = await runCli(['validate', tmp]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(`corral: cannot read manifest ${tmp}: EISDIR: it is a folder, not a file\n`);
  });

  it('defaults to ./corral.yaml', async () => {
    const r = await runCli(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "cannot read manifest ./corral.yaml: ENOENT: no such file or directory, open './corral.yaml'",
    );
  });

  it('exits 2 for usage errors', async () => {
    const cases: [string[], string][] = [
      [['frobnicate'], 'corral: unknown command "frobnicate"\n'],
      [['validate', '--colour'], "corral: Unknown option '--colour'"],
      [
        ['validate', valid, '--platform', 'macos'],
        'corral: --platform must be windows or linux, got "macos"\n',
      ],
      [['validate', valid, invalid], 'corral: corral validate takes one manifest, got 2: '],
      [
        ['validate', valid, '-c', invalid],
        `corral: two manifests given: ${valid} and --config ${invalid}; give one\n`,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect({ argv, code: r.code, starts: r.stderr.startsWith(message) }).toEqual({
        argv,
        code: 2,
        starts: true,
      });
    }
  });

  it('prints a JSON report with --json', async () => {
    const r = await runCli(['validate', invalid, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      file: invalid,
      platform: 'linux',
      valid: false,
      errors: 2,
      warnings: 0,
      diagnostics: [
        {
          severity: 'error',
          code: 'E_REQUIRED',
          file: invalid,
          line: 4,
          col: 3,
          path: 'processes.web',
          message: 'missing required key "command"',
          hint: 'add command: ["program", "arg"] (or set it under defaults)',
        },
        {
          severity: 'error',
          code: 'E_UNKNOWN_KEY',
          file: invalid,
          line: 4,
          col: 10,
          path: 'processes.web.comand',
          message: 'unknown key "comand"',
          hint: 'did you mean "command"?',
        },
      ],
    });
    const unreadable = await runCli(['validate', path.join(tmp, 'gone.yaml'), '--json']);
    expect(unreadable.code).toBe(2);
    expect(JSON.parse(unreadable.stdout)).toMatchObject({ valid: false, error: { code: 'E_READ' } });
  });

  it('checks for the other platform with --platform', async () => {
    const win = write(
      'win.yaml',
      'version: 1\nservice: { name: x }\nprocesses:\n  a: { command: x, stop: [ { ctrl_c: 5s }, kill ] }\n',
    );
    expect((await runCli(['validate', win])).code).toBe(1);
    const r = await runCli(['validate', win, '--platform', 'windows', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ platform: 'windows', valid: true });
  });

  it('prints the start and stop plan with --plan', async () => {
    const r = await runCli(['validate', valid, '--plan']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${valid}: valid, 4 processes, 0 warnings

service shop ("Shop"), 4 processes
logs in ${path.join(tmp, 'logs')}

start, wave by wave (a process starts as soon as what it waits for is up):
   1  db      node db.js
              ready: tcp within 1m; restart on-failure
   2  api     node api.js --port 7402
              waits for db ready; restart on-failure
   2  worker  node "my worker.js"
              waits for db started; restart on-failure
   3  web     node web.js
              waits for api started; restart on-failure

stop, in reverse (a process stops after everything that depends on it):
   1  web     graceful (SIGTERM) 10s → kill
   2  api     http POST 10s → kill
   2  worker  graceful (SIGTERM) 10s → kill
   3  db      command 20s → graceful (SIGTERM) 5s → kill

worst-case stop: 45s along web → api → db (stop_timeout 1m)
`);
  });
});

describe('corral (top level)', () => {
  it('prints usage and exits 2 with no command, 0 with help', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('usage: corral <command> [options]');
    expect((await runCli(['help'])).code).toBe(0);
    const help = await runCli(['help', 'validate']);
    expect(help.stdout).toContain('usage: corral validate');
    expect((await runCli(['validate', '--help'])).stdout).toContain('Exit status: 0 valid');
  });

  it('prints its version', async () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `corral ${pkg.version}\n`, stderr: '' });
  });
});

describe('the installed binary (bin/corral.js → dist)', () => {
  const exec = promisify(execFile);
  const corral = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, ['bin/corral.js', ...args]);
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('exits 0, 1 and 2 as documented', async () => {
    expect((await corral('validate', valid)).code).toBe(0);
    expect((await corral('validate', invalid)).code).toBe(1);
    const missing = await corral('validate', path.join(tmp, 'missing.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
  });
});

describe('corral diff', () => {
  it('prints what a reload from one manifest to the other would do', async () => {
    const after = write(
      'after.yaml',
      fs
        .readFileSync(valid, 'utf8')
        .replace('command: [node, db.js]', 'command: [node, db.js, --fast]')
        .replace('command: node web.js', 'command: node web.js\n    restart: { policy: always }'),
    );
    const r = await runCli(['diff', valid, after]);
    expect(r).toEqual({
      code: 0,
      stdout:
        'restart  web  (depends on api, which restarts)\n' +
        'restart  worker  (depends on db, which restarts)\n' +
        'restart  api  (depends on db, which restarts)\n' +
        'restart  db  (changed: command)\n',
      stderr: '',
    });
  });

  it('says there is nothing to do for the same manifest, and refuses an invalid one', async () => {
    expect((await runCli(['diff', valid, valid])).stdout).toBe(
      'nothing to do: no process or setting changed\n',
    );
    const r = await runCli(['diff', valid, invalid]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('processes.web.comand: unknown key "comand"');
    expect((await runCli(['diff', valid])).code).toBe(2);
  });
});
