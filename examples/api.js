// corral demo — api: an HTTP server on 127.0.0.1:API_PORT in front of examples/db.js.
//   GET  /health     200 when the db answers, 503 when it does not (corral's ready probe)
//   GET  /ping       200 while this process serves requests, whatever the db (liveness probe)
//   GET  /kv/:key    the value as JSON, 404 when there is none
//   PUT  /kv/:key    stores the request body (one line of text) as the value
//   POST /shutdown   202, then the server closes and exits 0 (corral's first stop step for api)
// A key has letters, digits, _, . and -. Answers are JSON.
//
// Environment: API_PORT (default 7402), DB_PORT (default 7401).
// Stops gracefully on SIGTERM, SIGINT (Ctrl+C) and SIGBREAK (Ctrl+Break on Windows).
// Exit status: 0 after a graceful stop, 1 on an error (port in use, ...).
import http from 'node:http';
import net from 'node:net';

const HOST = '127.0.0.1';
const port = Number(process.env.API_PORT || 7402);
const dbPort = Number(process.env.DB_PORT || 7401);
const KEY = /^[A-Za-z0-9_.-]{1,100}$/;

/** Sends one command line to the db and resolves with its one-line reply. */
function db(command) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(dbPort, HOST);
    let reply = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2000, () => socket.destroy(new Error('the db did not answer within 2s')));
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\n')) socket.end();
    });
    socket.on('error', (error) =>
      reject(new Error(`db at ${HOST}:${dbPort}: ${error.code ?? error.message}`)),
    );
    socket.on('close', () => {
      if (reply.startsWith('ERR')) reject(new Error(`db: ${reply.trim()}`));
      else if (reply.includes('\n')) resolve(reply.trim());
      else reject(new Error(`db at ${HOST}:${dbPort} closed the connection without an answer`));
    });
  });
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

async function handle(req, res) {
  const { pathname } = new URL(req.url, `http://${HOST}`);
  const key = pathname.startsWith('/kv/') ? pathname.slice(4) : null;
  const route = `${req.method} ${key === null ? pathname : '/kv/:key'}`;
  if (key !== null && !KEY.test(key))
    return send(res, 400, { error: 'a key has letters, digits, _, . and -' });
  switch (route) {
    case 'GET /health':
      try {
        await db('PING');
        return send(res, 200, { status: 'ok', db: 'reachable' });
      } catch (error) {
        return send(res, 503, { status: 'unavailable', db: error.message });
      }
    case 'GET /ping':
      return send(res, 200, { status: 'ok' });
    case 'GET /kv/:key': {
      const reply = await db(`GET ${key}`);
      if (reply === 'NOTFOUND') return send(res, 404, { error: `no value for ${key}` });
      return send(res, 200, { key, value: reply.slice('VALUE '.length) });
    }
    case 'PUT /kv/:key': {
      let value = '';
      req.setEncoding('utf8');
      for await (const chunk of req) value += chunk;
      if (/[\r\n]/.test(value) || value.length > 10_000) {
        return send(res, 400, { error: 'the value must be one line of at most 10000 characters' });
      }
      await db(`SET ${key} ${value}`);
      return send(res, 200, { key, value });
    }
    case 'POST /shutdown':
      res.on('finish', () => shutdown('got POST /shutdown'));
      return send(res, 202, { status: 'shutting down' }, { connection: 'close' });
    default:
      return send(res, 404, { error: `no route for ${req.method} ${pathname}` });
  }
}

const server = http.createServer((req, res) => {
  // Only the db can fail here (the routes handle everything else): answer 503 Service Unavailable.
  handle(req, res).catch((error) => send(res, 503, { error: error.message }));
});
let stopping = false;

function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  console.log(`api: ${reason}, closing the server`);
  server.close(() => console.log('api: closed, exiting'));
  server.closeIdleConnections();
  // Requests still running get 3 seconds to finish.
  setTimeout(() => server.closeAllConnections(), 3000).unref();
}

server.on('error', (error) => {
  const why = error.code === 'EADDRINUSE' ? 'the port is in use (set API_PORT to use another)' : '';
  console.error(`api: cannot listen on ${HOST}:${port}: ${why || error.message}`);
  process.exitCode = 1;
});
const isPort = (n) => Number.isInteger(n) && n >= 1 && n <= 65535;
if (!isPort(port) || !isPort(dbPort)) {
  const name = isPort(port) ? 'DB_PORT' : 'API_PORT';
  console.error(`api: ${name} must be a port number from 1 to 65535, got "${process.env[name]}"`);
  process.exitCode = 1;
} else {
  server.listen(port, HOST, () =>
    console.log(`api: listening on http://${HOST}:${port} (db at ${HOST}:${dbPort})`),
  );
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGBREAK']) process.on(signal, () => shutdown(`got ${signal}`));
}
