// The control server on a real Unix socket, with a fake ControlTarget: every op round-trips, bad
// input gets an error reply and never stops the server, slow or vanishing clients hold up nobody,
// the socket is 0600 in a 0700 folder and closed to other users, a stale socket is replaced and a
// live one is not. Nothing sleeps: tests wait for events and promises, each with a deadline.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlRequestError, request } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import { MAX_REQUEST_BYTES } from '../../src/control/protocol.js';
import {
  startControlServer,
  type ControlServer,
  type ControlServerOptions,
} from '../../src/control/server.js';
import type { ActionResult, ControlTarget, StatusSnapshot } from '../../src/control/target.js';
import type { LogRecord } from '../../src/core/supervisor.js';

const posix = process.platform !== 'win32';
const root = process.getuid?.() === 0;
const NOBODY = 65534;
const DEADLINE_MS = 5_000;
const timeoutMs = DEADLINE_MS;

const snapshot: StatusSnapshot = {
  service: 'shop',
  manifest: '/srv/shop/corral.yaml',
  status: 'running',
  pid: 4242,
  startedAt: 1_700_000_000_000,
  processes: [
    {
      name: 'web',
      state: 'running',
      pid: 4250,
      startedAt: 1_700_000_001_000,
      restarts: { total: 0, window: 0 },
      lastExit: null,
      ready: true,
      nextRestartAt: null,
      held: false,
    },
  ],
};

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function within<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A ControlTarget that records its calls and answers what the test says. */
class FakeTarget implements ControlTarget {
  readonly calls: unknown[][] = [];
  /** Called (with the op) when any operation starts. */
  onCall: (op: string) => void = () => undefined;
  answer: (op: string) => Promise<ActionResult> = (op) =>
    Promise.resolve({ ok: true, message: `${op} done` });

  status(): StatusSnapshot {
    this.calls.push(['status']);
    this.onCall('status');
    return snapshot;
  }
  start(names: readonly string[]): Promise<ActionResult> {
    return this.#call('start', names);
  }
  stop(names: readonly string[], options: { readonly withDependents: boolean }): Promise<ActionResult> {
    return this.#call('stop', names, options);
  }
  restart(names: readonly string[] | 'all'): Promise<ActionResult> {
    return this.#call('restart', names);
  }
  reload(options: { readonly dryRun: boolean }): Promise<ActionResult> {
    return this.#call('reload', options);
  }
  #call(op: string, ...args: unknown[]): Promise<ActionResult> {
    this.calls.push([op, ...args]);
    this.onCall(op);
    return this.answer(op);
  }
}

/** A connection that speaks raw bytes, for what the real client never sends. */
class RawClient {
  readonly lines: string[] = [];
  #partial = '';
  #wake: (() => void)[] = [];
  #closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#notify();
    });
  }

  static connect(socketPath: string): Promise<RawClient> {
    return within(
      new Promise((resolve, reject) => {
        const socket = net.createConnection(socketPath);
        socket.once('connect', () => {
          resolve(new RawClient(socket));
        });
        socket.once('error', reject);
      }),
      `a connection to ${socketPath}`,
    );
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  #until(condition: () => boolean, what: string): Promise<void> {
    return within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (condition()) resolve();
          else this.#wake.push(check);
        };
        check();
      }),
      what,
    );
  }

  /** The reply number `index` (from 0), parsed. */
  async reply(index = 0): Promise<Record<string, unknown>> {
    await this.#until(() => this.lines.length > index || this.#closed, `reply ${index}`);
    const line = this.lines[index];
    if (line === undefined) throw new Error(`the server closed the connection before reply ${index}`);
    return JSON.parse(line) as Record<string, unknown>;
  }

  closed(): Promise<void> {
    return this.#until(() => this.#closed, 'the server to close the connection');
  }
}

let dir = '';
let socketPath = '';
let target: FakeTarget;
let logs: LogRecord[];
const servers: ControlServer[] = [];
const clients: RawClient[] = [];

async function serve(options: Partial<ControlServerOptions> = {}): Promise<ControlServer> {
  const server = await startControlServer(target, {
    path: socketPath,
    log: (record) => logs.push(record),
    ...options,
  });
  servers.push(server);
  return server;
}

async function raw(): Promise<RawClient> {
  const client = await RawClient.connect(socketPath);
  clients.push(client);
  return client;
}

function status(): Promise<unknown> {
  return request(socketPath, { op: 'status' }, { timeoutMs });
}

/** A socket file nothing listens on, as a supervisor killed with SIGKILL leaves behind. */
async function staleSocketAt(file: string): Promise<void> {
  const live = `${file}.live`;
  const server = net.createServer();
  await within(new Promise<void>((resolve) => server.listen(live, resolve)), 'a listener');
  fs.linkSync(live, file);
  await within(new Promise((resolve) => server.close(resolve)), 'the listener to close'); // unlinks only `live`
}

/** Runs a connection attempt as another user; resolves with "connected" or the error code. */
function connectAs(uid: number, file: string): Promise<string> {
  const script = `require('net').createConnection(process.argv[1])
    .on('connect', () => { console.log('connected'); process.exit(0); })
    .on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script, file], { uid, gid: uid, cwd: '/', stdio: 'pipe' });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  return within(
    new Promise<string>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', () => {
        resolve(out.trim());
      });
    }),
    `a node client as uid ${uid}`,
  );
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-control-'));
  socketPath = path.join(dir, 'shop-0123456789ab.sock');
  target = new FakeTarget();
  logs = [];
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.runIf(posix)('control server: operations', () => {
  it('answers status with the target snapshot', async () => {
    await serve();
    expect(await status()).toEqual({ v: 1, id: 1, ok: true, status: snapshot });
  });

  it('passes each operation and its arguments to the target and returns its answer', async () => {
    await serve();
    target.answer = (op) =>
      Promise.resolve(
        op === 'reload'
          ? { ok: true, message: 'would restart web', detail: ['web: command'] }
          : { ok: true, message: `${op} done` },
      );
    expect(await request(socketPath, { op: 'start', names: ['web'] }, { timeoutMs })).toEqual({
      v: 1,
      id: 1,
      ok: true,
      message: 'start done',
    });
    await request(socketPath, { op: 'stop', names: ['db', 'web'], withDependents: true }, { timeoutMs });
    await request(socketPath, { op: 'restart', names: 'all' }, { timeoutMs });
    await request(socketPath, { op: 'restart', names: ['web'] }, { timeoutMs });
    expect(await request(socketPath, { op: 'reload', dryRun: true }, { timeoutMs })).toEqual({
      v: 1,
      id: 1,
      ok: true,
      message: 'would restart web',
      detail: ['web: command'],
    });
    expect(target.calls).toEqual([
      ['start', ['web']],
      ['stop', ['db', 'web'], { withDependents: true }],
      ['restart', 'all'],
      ['restart', ['web']],
      ['reload', { dryRun: true }],
    ]);
  });

  it('reports a refusal by the target as E_FAILED with its hint', async () => {
    await serve();
    target.answer = () =>
      Promise.resolve({ ok: false, error: 'no process named "wbe"', hint: 'did you mean web?' });
    expect(await request(socketPath, { op: 'start', names: ['wbe'] }, { timeoutMs })).toEqual({
      v: 1,
      id: 1,
      ok: false,
      code: 'E_FAILED',
      error: 'no process named "wbe"',
      hint: 'did you mean web?',
    });
  });

  it('reports a target that throws as E_INTERNAL, logs it, and goes on serving', async () => {
    await serve();
    target.answer = () => Promise.reject(new Error('boom'));
    expect(await request(socketPath, { op: 'reload', dryRun: false }, { timeoutMs })).toEqual({
      v: 1,
      id: 1,
      ok: false,
      code: 'E_INTERNAL',
      error: 'the supervisor failed to reload: boom',
      hint: 'this is a bug in corral; the supervisor log has the details',
    });
    expect(logs).toContainEqual({
      level: 'error',
      event: 'control',
      message: 'control request reload failed: boom',
    });
    expect(await status()).toMatchObject({ ok: true });
  });

  it('answers several requests on one connection in order', async () => {
    await serve();
    const client = await raw();
    client.send('{"v":1,"id":1,"op":"status"}\n{"v":1,"id":2,"op":"start","names":["web"]}\n');
    expect(await client.reply(0)).toMatchObject({ id: 1, ok: true, status: snapshot });
    expect(await client.reply(1)).toEqual({ v: 1, id: 2, ok: true, message: 'start done' });
    client.send('{"v":1,"id":3,"op":"status"}\n');
    expect(await client.reply(2)).toMatchObject({ id: 3, ok: true });
  });

  it('answers a client that half-closes after a request without its newline', async () => {
    await serve();
    const client = await raw();
    client.socket.end('{"v":1,"id":9,"op":"status"}');
    expect(await client.reply(0)).toMatchObject({ id: 9, ok: true });
    await client.closed();
  });
});

describe.runIf(posix)('control server: bad input', () => {
  it.each([
    ['malformed JSON', '{"v":1,"id":', 'E_BAD_JSON'],
    ['an unknown op', '{"v":1,"id":4,"op":"explode"}', 'E_UNKNOWN_OP'],
    ['a wrong version', '{"v":9,"id":4,"op":"status"}', 'E_BAD_VERSION'],
    ['wrong argument types', '{"v":1,"id":4,"op":"stop","names":"web"}', 'E_BAD_ARGS'],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x01]), 'E_BAD_JSON'],
  ])('answers %s with an error and goes on serving this client and the next', async (_what, line, code) => {
    await serve();
    const client = await raw();
    client.send(Buffer.concat([Buffer.from(line), Buffer.from('\n')]));
    expect(await client.reply(0)).toMatchObject({ v: 1, ok: false, code });
    client.send('{"v":1,"id":5,"op":"status"}\n');
    expect(await client.reply(1)).toMatchObject({ id: 5, ok: true });
    expect(await status()).toMatchObject({ ok: true });
    expect(target.calls.filter(([op]) => op !== 'status')).toEqual([]);
  });

  it('answers a line longer than the limit with E_TOO_LARGE, closes, and serves the next client', async () => {
    await serve();
    const client = await raw();
    client.send(`{"v":1,"id":1,"op":"start","names":["${'x'.repeat(MAX_REQUEST_BYTES)}`);
    expect(await client.reply(0)).toEqual({
      v: 1,
      id: null,
      ok: false,
      code: 'E_TOO_LARGE',
      error: `the request is longer than ${MAX_REQUEST_BYTES} bytes without a newline; closing the connection`,
      hint: 'send one JSON object per line',
    });
    client.send('"]}\n{"v":1,"id":2,"op":"status"}\n'); // the rest of it, and more: all ignored
    await client.closed();
    expect(client.lines).toHaveLength(1);
    expect(target.calls).toEqual([]);
    expect(await status()).toMatchObject({ ok: true });
  });

  it('accepts a line of exactly the limit', async () => {
    await serve();
    const head = '{"v":1,"id":1,"op":"start","names":["';
    const line = `${head}${'x'.repeat(MAX_REQUEST_BYTES - head.length - 3)}"]}`;
    expect(Buffer.byteLength(line)).toBe(MAX_REQUEST_BYTES);
    const client = await raw();
    client.send(`${line}\n`);
    expect(await client.reply(0)).toMatchObject({ ok: true, message: 'start done' });
  });
});

describe.runIf(posix)('control server: slow and vanishing clients', () => {
  it('serves others while one client never finishes its line, and drops that one at the deadline', async () => {
    await serve({ requestTimeoutMs: 300 });
    const silent = await raw();
    silent.send('{"v":1,"id":1,"op":"sta');
    expect(await status()).toMatchObject({ ok: true });
    await silent.closed();
    expect(silent.lines).toEqual([]);
  });

  it('does not let a trickle of bytes extend the deadline', async () => {
    await serve({ requestTimeoutMs: 300 });
    const trickle = await raw();
    const drip = setInterval(() => {
      trickle.send(' ');
    }, 20);
    try {
      await trickle.closed();
    } finally {
      clearInterval(drip);
    }
  });

  it('keeps a connection whose request is being carried out, however long that takes', async () => {
    await serve({ requestTimeoutMs: 200 });
    const gate = deferred<ActionResult>();
    const called = deferred<undefined>();
    target.onCall = () => {
      called.resolve(undefined);
    };
    target.answer = () => gate.promise;
    const client = await raw();
    client.send('{"v":1,"id":1,"op":"stop","names":["db"]}\n');
    await within(called.promise, 'the target to be asked');
    // Longer than the request deadline, measured by a connection that is dropped for being idle.
    const idle = await raw();
    await idle.closed();
    gate.resolve({ ok: true, message: 'stopped db' });
    expect(await client.reply(0)).toMatchObject({ ok: true, message: 'stopped db' });
  });

  it('finishes an operation whose client vanished, drops the reply, and serves everyone else meanwhile', async () => {
    await serve();
    const gate = deferred<ActionResult>();
    const called = deferred<undefined>();
    target.answer = (op) => (op === 'stop' ? gate.promise : Promise.resolve({ ok: true, message: 'ok' }));
    target.onCall = (op) => {
      if (op === 'stop') called.resolve(undefined);
    };
    const vanishing = await raw();
    vanishing.send('{"v":1,"id":1,"op":"stop","names":["db"],"withDependents":true}\n');
    await within(called.promise, 'the stop to reach the target');
    vanishing.socket.destroy();
    await vanishing.closed();
    const others = await Promise.all(Array.from({ length: 8 }, () => status()));
    expect(others.every((reply) => (reply as { ok: boolean }).ok)).toBe(true);
    gate.resolve({ ok: true, message: 'stopped db' });
    await gate.promise;
    expect(await request(socketPath, { op: 'start', names: ['db'] }, { timeoutMs })).toMatchObject({
      ok: true,
    });
  });

  it('shrugs off a client that vanishes halfway through a line', async () => {
    await serve();
    const half = await raw();
    half.send('{"v":1,"id":1,"op":"st');
    half.socket.destroy();
    await half.closed();
    expect(await status()).toMatchObject({ ok: true });
  });

  it('serves many clients at once', async () => {
    await serve();
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? status() : request(socketPath, { op: 'start', names: [`p${i}`] }, { timeoutMs }),
      ),
    );
    expect(replies.every((reply) => (reply as { ok: boolean }).ok)).toBe(true);
    expect(target.calls).toHaveLength(20);
  });
});

describe.runIf(posix)('control server: the socket file', () => {
  it('is a 0600 socket in a 0700 folder, and close removes it', async () => {
    const server = await serve();
    expect(server.path).toBe(socketPath);
    const stat = fs.lstatSync(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect((stat.mode & 0o777).toString(8)).toBe('600');
    expect((fs.lstatSync(dir).mode & 0o777).toString(8)).toBe('700');
    expect(fs.readdirSync(dir)).toEqual([path.basename(socketPath)]); // no temporary name left
    await server.close();
    await server.close();
    expect(fs.existsSync(socketPath)).toBe(false);
  });

  it('replaces a stale socket that nothing answers on, and says so', async () => {
    await staleSocketAt(socketPath);
    await expect(status()).rejects.toMatchObject({ kind: 'not-running' });
    await serve();
    expect(await status()).toMatchObject({ ok: true });
    expect(logs).toContainEqual({
      level: 'info',
      event: 'control',
      message: `removed the stale control socket ${socketPath}`,
    });
  });

  it('refuses to start beside a live server, which goes on serving', async () => {
    await serve();
    const second = startControlServer(new FakeTarget(), { path: socketPath });
    await expect(second).rejects.toThrow(ControlError);
    await expect(second).rejects.toMatchObject({
      code: 'E_CONTROL_IN_USE',
      message: `another process is already serving the control socket ${socketPath}`,
      hint: 'another corral is running this manifest: stop it first (corral status shows it)',
    });
    expect(await status()).toMatchObject({ ok: true });
  });

  it('refuses to remove what is not a socket', async () => {
    fs.writeFileSync(socketPath, 'precious');
    await expect(serve()).rejects.toMatchObject({
      code: 'E_SOCKET_PATH',
      message: `${socketPath} is in the way of the control socket: it exists and is not a socket`,
      hint: `remove ${socketPath}`,
    });
    expect(fs.readFileSync(socketPath, 'utf8')).toBe('precious');
  });

  it('leaves a socket that is no longer its own when closing', async () => {
    const server = await serve();
    fs.unlinkSync(socketPath);
    await staleSocketAt(socketPath); // a successor's
    const successor = fs.lstatSync(socketPath).ino;
    await server.close();
    expect(fs.lstatSync(socketPath).ino).toBe(successor);
  });

  it('refuses a folder that group or others can enter', async () => {
    fs.chmodSync(dir, 0o750);
    await expect(serve()).rejects.toMatchObject({
      code: 'E_RUNTIME_DIR',
      message: `runtime folder ${dir} is open to group or others (mode 0750); the control socket needs a folder only you can enter`,
      hint: `chmod 700 ${dir}`,
    });
  });

  it('refuses a folder others can write to, a missing folder, and a symbolic link', async () => {
    fs.chmodSync(dir, 0o777);
    await expect(serve()).rejects.toMatchObject({ code: 'E_RUNTIME_DIR' });
    fs.chmodSync(dir, 0o700);
    const missing = path.join(dir, 'missing');
    await expect(startControlServer(target, { path: path.join(missing, 's.sock') })).rejects.toMatchObject({
      code: 'E_RUNTIME_DIR',
      hint: 'the manifest lock creates it: start the control server after taking the lock',
    });
    const real = path.join(dir, 'real');
    fs.mkdirSync(real, { mode: 0o700 });
    fs.symlinkSync(real, path.join(dir, 'link'));
    await expect(
      startControlServer(target, { path: path.join(dir, 'link', 's.sock') }),
    ).rejects.toMatchObject({
      code: 'E_RUNTIME_DIR',
      message: `runtime folder ${path.join(dir, 'link')} is a symbolic link`,
    });
  });

  it('refuses a path too long for a Unix socket before touching anything', async () => {
    const long = path.join(dir, `${'s'.repeat(120)}.sock`);
    await expect(startControlServer(target, { path: long })).rejects.toMatchObject({ code: 'E_SOCKET_PATH' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe.runIf(posix)('control server: other users', () => {
  it.runIf(root)('keeps user nobody out, by the 0700 folder and by the 0600 socket on its own', async () => {
    await serve();
    expect(await connectAs(NOBODY, socketPath)).toBe('EACCES');
    fs.chmodSync(dir, 0o711); // let nobody through the folder: the socket's own mode must still refuse
    try {
      expect(await connectAs(NOBODY, socketPath)).toBe('EACCES');
    } finally {
      fs.chmodSync(dir, 0o700);
    }
    expect(await connectAs(0, socketPath)).toBe('connected');
  });

  it.runIf(!root)(
    '(not root: cannot switch user, so the non-owner case is NOT tested) lets its owner connect to the 0600 socket',
    async () => {
      await serve();
      expect(fs.lstatSync(socketPath).uid).toBe(process.getuid?.());
      expect((fs.lstatSync(socketPath).mode & 0o777).toString(8)).toBe('600');
      expect(await connectAs(process.getuid?.() ?? -1, socketPath)).toBe('connected');
    },
  );
});

describe.runIf(posix)('control client', () => {
  it('says no supervisor is running when the socket is missing', async () => {
    const failure = request(socketPath, { op: 'status' }, { timeoutMs });
    await expect(failure).rejects.toThrow(ControlRequestError);
    await expect(failure).rejects.toMatchObject({
      kind: 'not-running',
      message: `nothing is listening on ${socketPath} (ENOENT)`,
    });
  });

  it('says no supervisor is running when the socket is stale', async () => {
    await staleSocketAt(socketPath);
    await expect(status()).rejects.toMatchObject({
      kind: 'not-running',
      message: `nothing is listening on ${socketPath} (ECONNREFUSED)`,
    });
  });

  it('gives up on a server that never answers, at its deadline', async () => {
    const mute = net.createServer(() => undefined);
    await within(new Promise<void>((resolve) => mute.listen(socketPath, resolve)), 'a mute server');
    try {
      await expect(request(socketPath, { op: 'status' }, { timeoutMs: 200 })).rejects.toMatchObject({
        kind: 'timeout',
        message: `no reply from the supervisor on ${socketPath} within 0.2s`,
        hint: 'the supervisor may still be carrying it out: corral status shows where it is',
      });
    } finally {
      mute.close();
    }
  });

  it.each([
    [
      'garbage',
      (socket: net.Socket) => socket.end('hello\n'),
      /^cannot read the supervisor's reply: the reply is not JSON/,
    ],
    [
      'nothing',
      (socket: net.Socket) => socket.end(),
      /^the supervisor closed the connection on .* without replying$/,
    ],
    [
      'a reply to another request',
      (socket: net.Socket) => socket.end('{"v":1,"id":99,"ok":true,"message":"x"}\n'),
      /^cannot read the supervisor's reply: the reply answers request number 99, not 1$/,
    ],
  ])('reports a server that answers %s as a protocol failure', async (_what, behave, message) => {
    const odd = net.createServer((socket) => {
      socket.once('data', () => behave(socket));
    });
    await within(new Promise<void>((resolve) => odd.listen(socketPath, resolve)), 'an odd server');
    try {
      await expect(request(socketPath, { op: 'start', names: ['x'] }, { timeoutMs })).rejects.toMatchObject({
        kind: 'protocol',
        message: expect.stringMatching(message) as unknown,
      });
    } finally {
      odd.close();
    }
  });
});
