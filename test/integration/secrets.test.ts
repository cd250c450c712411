// "Secrets are never logged": corral writes environment variable names to its own log, never their
// values. `corral run` at debug level, in JSON, through what logs the most — a start, crash-restarts
// up to a give-up, a spawn failure, a reload refused for a broken env_file, a reload that changes
// env values and restarts a process, the ordered stop — and then neither its console nor its log
// file holds any value. (What a child prints is its own output, in its own file; these children
// print no environment.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runForeground, stopRuns } from '../helpers/run-harness.js';
import { child } from '../helpers/supervised.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-secrets-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(stopRuns);

function write(file: string, text: string): void {
  fs.writeFileSync(path.join(tmp, file), text);
}

function manifest(token: string): string {
  return `version: 1
service: { name: hush, stop_timeout: 20s, auto_reload: false }
log: { dir: ./logs, format: json, level: debug }
processes:
  api:
    command: ${child('--name', 'api')}
    env: { API_TOKEN: "${token}" }
    env_file: ./secrets.env
  flaky:
    command: ${child('--name', 'flaky', '--crash')}
    env: { FLAKY_TOKEN: "${token}" }
    restart: { delay: 0, limit: { restarts: 2, window: 1m }, on_limit: give-up }
  ghost:
    command: [no-such-program-${process.pid}]
    env: { GHOST_TOKEN: "${token}" }
    restart: { policy: never }
`;
}

describe.skipIf(process.platform === 'win32')('secrets', () => {
  it("never puts an environment value in corral's console or log file", async () => {
    write('secrets.env', 'DB_PASSWORD=pw-SECRET-2\n');
    write('corral.yaml', manifest('tok-SECRET-1'));
    const r = runForeground(path.join(tmp, 'corral.yaml'));
    await r.until(/READY api/);
    await r.until(/"process":"flaky".*gave up/);
    await r.until(/"process":"ghost".*no-such-program/);

    // A broken env_file: the reload is refused, saying where, and a line without "=" (a value,
    // likely) is not repeated.
    write('secrets.env', 'DB_PASSWORD=pw-SECRET-2\nhunter-SECRET-3\n');
    r.signals.emit('SIGHUP');
    await r.until(/secrets\.env:2:1/);

    // New values in both places: api restarts with them.
    write('secrets.env', 'DB_PASSWORD=pw-SECRET-4\n');
    write('corral.yaml', manifest('tok-SECRET-5'));
    r.signals.emit('SIGHUP');
    await r.untilCount(/READY api/g, 2);

    r.signals.emit('SIGINT');
    expect(await r.exit).toBe(0);
    const file = fs.readFileSync(path.join(tmp, 'logs', '_corral.hush.log'), 'utf8');
    // It did log all of the above, in both places...
    for (const text of [r.log(), file]) {
      expect(text).toMatch(/gave up/);
      expect(text).toMatch(/secrets\.env:2:1/);
      expect(text).toMatch(/status: stopped/);
    }
    // ...and no value.
    expect(r.log()).not.toMatch(/SECRET/);
    expect(r.out()).not.toMatch(/SECRET/);
    expect(file).not.toMatch(/SECRET/);
  });
});
