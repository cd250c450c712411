// The control pipe server (dist/control/pipe-server.js, through startControlServer) against a fake
// supervisor, with Node's own pipe client (dist/control/client.js, and raw net.connect): replies,
// concurrency, a second server on the same name, malformed and oversized input, the request
// deadline, a client that half-closes, and close() with a client still connected.
import net from 'node:net';
import { report, scenario, withTimeout } from './driver.mjs';

const { startControlServer } = await import('../../dist/control/server.js');
const { request } = await import('../../dist/control/client.js');
const { pipeName } = await import('../../dist/control/socket-path.js');

const name = pipeName(`scenario-${process.pid}`);
const logs = [];
const snapshot = () => ({
  service: 'scenario',
  manifest: 'C:\\m.yaml',
  status: 'running',
  pid: process.pid,
  startedAt: Date.now(),
  processes: [
    {
      name: 'web',
      state: 'running',
      pid: 1234,
      startedAt: Date.now(),
      restarts: { total: 0, window: 0 },
      lastExit: null,
      ready: null,
      nextRestartAt: null,
      held: false,
    },
  ],
});
const target = {
  status: snapshot,
  start: async () => ({ ok: true, message: 'started' }),
  stop: async () => ({ ok: true, message: 'stopped' }),
  restart: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, message: 'restarted' }), 300)),
  reload: async () => ({ ok: true, message: 'reloaded' }),
};
const options = { path: name, log: (r) => logs.push(r), requestTimeoutMs: 1_000 };

/** Writes `text` on a raw connection and collects what comes back until the server closes it. */
function raw(text, { end = false } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(name);
    let data = '';
    socket.on('connect', () => {
      if (text !== '') socket.write(text);
      if (end) socket.end();
    });
    socket.on('data', (chunk) => (data += chunk.toString()));
    let error = null;
    socket.on('error', (e) => (error = e.code));
    socket.on('close', () => resolve({ data, error, ms: Math.round(performance.now() - started) }));
  });
}

await scenario(async () => {
  let t = performance.now();
  const server = await startControlServer(target, options);
  report('started', { ms: Math.round(performance.now() - t), path: server.path });

  t = performance.now();
  const status = await request(name, { op: 'status' }, { timeoutMs: 5_000 });
  report('status', { ms: Math.round(performance.now() - t), reply: status });

  t = performance.now();
  for (let i = 0; i < 20; i++) await request(name, { op: 'status' }, { timeoutMs: 5_000 });
  report('sequential', { count: 20, ms: Math.round(performance.now() - t) });

  t = performance.now();
  const many = await Promise.all([
    request(name, { op: 'restart', names: ['web'] }, { timeoutMs: 5_000 }),
    ...Array.from({ length: 8 }, () => request(name, { op: 'status' }, { timeoutMs: 5_000 })),
  ]);
  report('concurrent', {
    count: many.length,
    ms: Math.round(performance.now() - t),
    allOk: many.every((r) => r.ok === true),
    restart: many[0],
  });

  try {
    const second = await startControlServer(target, options);
    await second.close();
    report('second', { code: null });
  } catch (error) {
    report('second', { code: error.code, message: error.message });
  }

  const garbage = await withTimeout(
    raw('this is not json\n{"v":1,"id":2,"op":"status"}\n', { end: true }),
    5_000,
    'garbage',
  );
  report('garbage', garbage);
  const large = await withTimeout(raw('x'.repeat(200_000)), 5_000, 'too large');
  report('large', large);
  const idle = await withTimeout(raw(''), 5_000, 'idle');
  report('idle', idle);

  // close() with a client connected and idle, then the name is free again.
  const lingering = net.connect(name);
  await new Promise((resolve) => lingering.on('connect', resolve));
  const lingeringClosed = new Promise((resolve) => lingering.on('close', resolve));
  lingering.on('error', () => {});
  t = performance.now();
  await withTimeout(server.close(), 5_000, 'close');
  const closeMs = Math.round(performance.now() - t);
  await withTimeout(lingeringClosed, 5_000, 'the lingering client to be dropped');
  let after;
  try {
    await request(name, { op: 'status' }, { timeoutMs: 3_000 });
    after = 'answered';
  } catch (error) {
    after = error.kind;
  }
  t = performance.now();
  const again = await startControlServer(target, options);
  const againReply = await request(name, { op: 'status' }, { timeoutMs: 5_000 });
  await again.close();
  report('closed', {
    closeMs,
    after,
    reopened: againReply.ok,
    reopenMs: Math.round(performance.now() - t),
    logs,
  });
});
