// More of the core's behaviour with real processes: liveness restarts, the child's environment,
// each kind of stop step, and the stop_timeout cap.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { descendantsOf, readStat } from '../../src/platform/posix/proc.js';
import { child, Supervised } from '../helpers/supervised.js';

let current: Supervised | null = null;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-steps-'));

function supervise(yaml: string): Supervised {
  current = new Supervised(yaml);
  current.supervisor.start();
  return current;
}

afterEach(async () => {
  if (current !== null) expect(await current.finish()).toEqual([]);
  current = null;
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

const HEAD = (stopTimeout = '20s') =>
  `version: 1\nservice: { name: steps, stop_timeout: ${stopTimeout} }\nprocesses:\n`;

describe.skipIf(process.platform === 'win32')('supervisor behaviour', () => {
  it('restarts a process whose liveness probe keeps failing, and logs why', async () => {
    const s = supervise(`${HEAD()}  quiet:
    command: ${child('--name', 'quiet')}
    liveness: { log: "^never printed", every: 200ms, failures: 2 }
    restart: { delay: 0, jitter: 0 }
`);
    await s.waitFor(
      (e) => e.name === 'quiet' && e.record?.message.startsWith('liveness failed') === true,
      'a liveness failure',
    );
    await s.waitFor(() => s.states('quiet').filter((k) => k === 'running').length >= 2, 'a second run');
    expect(s.messages('quiet', 'process')[0]).toBe(
      'liveness failed (log: no line matched /^never printed/ (2 failures in a row)); restarting it',
    );
  });

  it('pause freezes a pause: suspend process and its tree (SIGSTOP), resume lets them run on', async () => {
    const s = supervise(`${HEAD()}  frozen:
    command: ${child('--name', 'frozen', '--tree', '1')}
    pause: suspend
  awake:
    command: ${child('--name', 'awake')}
`);
    await s.line('frozen', /^READY frozen/);
    await s.line('awake', /^READY awake/);
    const top = s.seen.find((w) => readStat(w.pid)?.comm === 'node' && /frozen/.test(cmdline(w.pid)));
    if (top === undefined) throw new Error('no frozen process seen');
    const tree = [top.pid, ...descendantsOf(top.pid).map((p) => p.pid)];
    expect(tree).toHaveLength(2);
    const awake = s.seen.find((w) => /--name\0awake/.test(cmdline(w.pid)));
    expect(s.supervisor.pause()).toEqual(['frozen']);
    await until(() => tree.every((pid) => readStat(pid)?.state === 'T'), 'the frozen tree stopped (state T)');
    expect(awake === undefined ? undefined : readStat(awake.pid)?.state).not.toBe('T');
    expect(s.supervisor.resume()).toEqual(['frozen']);
    await until(() => tree.every((pid) => readStat(pid)?.state !== 'T'), 'the tree running again');
  });

  it('starts a child with the supervisor environment, then env_file, then env', async () => {
    const envFile = path.join(tmp, 'app.env');
    fs.writeFileSync(envFile, 'FROM_FILE=file\nBOTH=file\n');
    const s = supervise(`${HEAD()}  show:
    command: [sh, -c, 'echo "ENV $FROM_FILE $BOTH $PATH_SET"; exec sleep 600']
    env_file: ${envFile}
    env: { BOTH: manifest, PATH_SET: "yes" }
`);
    const line = await s.waitFor((e) => e.record?.message.startsWith('ENV ') === true, 'the ENV line');
    expect(line.record?.message).toBe('ENV file manifest yes');
  });

  it('stops through an HTTP request, without needing the kill', async () => {
    const port = String(await freePort());
    const s = supervise(`${HEAD()}  web:
    command: ${child('--name', 'web', '--listen', port, '--http')}
    stop: [ { http: "http://127.0.0.1:${port}/shutdown", timeout: 5s }, kill ]
`);
    await s.line('web', /^READY/);
    await s.supervisor.stop();
    expect(s.messages('web', 'output')).toContain('GOT web /shutdown');
    expect(s.messages('web', 'stop-step')).toEqual(['stop step 1: http']);
  });

  it('stops by closing stdin, and by a stop command', async () => {
    const port = String(await freePort());
    const s = supervise(`${HEAD()}  reader:
    command: ${child('--name', 'reader', '--stdin')}
    stop: [ { stdin: { close: true }, timeout: 5s }, kill ]
  api:
    command: ${child('--name', 'api', '--listen', port, '--http')}
    stop: [ { command: ["${process.execPath}", -e, "fetch('http://127.0.0.1:${port}/shutdown', { method: 'POST' })"], timeout: 5s }, kill ]
`);
    await s.line('reader', /^READY/);
    await s.line('api', /^READY/);
    await s.supervisor.stop();
    expect(s.messages('reader', 'output')).toContain('STDIN-EOF reader');
    expect(s.messages('api', 'output')).toContain('GOT api /shutdown');
    expect([...s.messages('reader', 'stop-step'), ...s.messages('api', 'stop-step')]).toEqual([
      'stop step 1: stdin',
      'stop step 1: command',
    ]);
  });

  it('kills everything at once on kill(), without pretending to stop in order', async () => {
    const s = supervise(`${HEAD()}  a:
    command: ${child('--name', 'a', '--ignore', 'SIGTERM')}
  b:
    command: ${child('--name', 'b')}
    depends_on: { a: started }
`);
    await s.line('a', /^READY/);
    await s.line('b', /^READY/);
    s.supervisor.kill();
    await s.supervisor.whenStopped();
    expect(s.messages('corral', 'kill')).toEqual(['killing all processes now']);
    expect(s.messages('corral', 'stop')).toEqual([]);
    expect(s.messages('a', 'output')).not.toContain('IGNORED a SIGTERM');
  });

  it('kills what is left when service.stop_timeout runs out', async () => {
    const s = supervise(`${HEAD('600ms')}  stubborn:
    command: ${child('--name', 'stubborn', '--ignore', 'SIGTERM')}
    stop: [ { graceful: 30s }, kill ]
`);
    await s.line('stubborn', /^READY/);
    const began = Date.now();
    await s.supervisor.stop();
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(s.messages('corral', 'stop-timeout')).toEqual([
      'service.stop_timeout (600 ms) reached; killing stubborn',
    ]);
    expect(s.supervisor.killedOnStop).toBe(true);
  });
});

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

/** Checks `test` every 10 ms until it holds (a process state has no event to wait for); fails after 5 s. */
async function until(test: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
