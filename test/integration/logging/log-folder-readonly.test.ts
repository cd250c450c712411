// A log folder corral may not write to, as a user meets it: `node bin/corral.js run` as a real
// process whose log.dir is read-only for it. The child must run on, the problem be said once (not
// once per line or per retry), everything it printed meanwhile be held and written once the folder
// is writable again, and the supervisor's own log file likewise.
//
// Root may write to any folder, and CI runs as root: there corral runs without the two capabilities
// that let root ignore file modes (setpriv --bounding-set), so the folder's 0500 binds it as it
// binds any user. Elsewhere it runs as the user running the tests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { linesSeen, waitForEnd, waitForLine } from '../../helpers/lines.js';
import { child } from '../../helpers/supervised.js';

const BIN = path.resolve('bin/corral.js');
const WAIT_MS = 15_000;
const root = process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-readonly-'));
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL'); // its process group: a failed test leaves nothing running
    } catch {
      // ESRCH: it stopped as it should have
    }
  }
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `corral run <manifest>` in its own process group, unable to write where its modes forbid. */
function run(manifest: string) {
  const corral = [process.execPath, BIN, 'run', manifest];
  const command = root
    ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', ...corral]
    : corral;
  const proc = spawn(command[0] as string, command.slice(1), {
    cwd: path.dirname(manifest),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { PATH: process.env['PATH'] ?? '' },
  });
  if (proc.pid !== undefined) started.push(proc.pid);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  linesSeen(proc.stderr); // read from the start
  return { proc, exited };
}

describe.skipIf(process.platform === 'win32')('a read-only log folder', () => {
  it('keeps the child running, says so once, and writes everything once the folder is writable', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs, { mode: 0o500 });
    fs.chmodSync(logs, 0o500); // whatever the umask
    const manifest = path.join(dir, 'corral.yaml');
    // READY comes 2.5 s after the start: by then corral has retried the folder (every 1 s) twice.
    fs.writeFileSync(
      manifest,
      `version: 1
service: { name: readonly }
log: { dir: ./logs }
processes:
  ro:
    command: ${child('--name', 'ro', '--print', '3', '--ready-after', '2500')}
`,
      { mode: 0o644 },
    );
    const { proc, exited } = run(manifest);
    const refused = /^\S+ ro +\| warn: cannot open .*\/logs\/ro\.log: EACCES/;
    await waitForLine(proc.stderr, refused, WAIT_MS);
    const ready = await waitForLine(proc.stderr, /^\S+ ro +\| (READY ro pid=\d+)$/, WAIT_MS);
    expect(fs.readdirSync(logs)).toEqual([]);

    fs.chmodSync(logs, 0o700);
    await waitForLine(proc.stderr, /^\S+ ro +\| writing .*\/logs\/ro\.log again after \d+ s$/, WAIT_MS);
    proc.kill('SIGINT');
    await waitForEnd(proc.stderr, WAIT_MS);
    expect(await exited).toBe(0);

    const console = linesSeen(proc.stderr);
    expect(console.filter((line) => refused.test(line))).toHaveLength(1);
    expect(fs.readFileSync(path.join(logs, 'ro.log'), 'utf8')).toBe(
      ['line ro 1', 'line ro 2', 'line ro 3', ready[1], 'GOT ro SIGTERM', ''].join('\n'),
    );
    // The supervisor's own log was held too: its first line is the first thing it said.
    const own = fs.readFileSync(path.join(logs, '_corral.readonly.log'), 'utf8').split('\n');
    expect(own[0]).toMatch(/corral +\| status: starting$/);
    expect(own.filter((line) => refused.test(line))).toHaveLength(1);
    expect(own.at(-2)).toMatch(/corral +\| status: stopped$/);
  });
});
