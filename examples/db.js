// corral demo — db: a tiny TCP key-value server on 127.0.0.1:DB_PORT, serving the data file
// that examples/migrate.js creates. Like an in-memory database it keeps changes in memory and
// writes them when it stops gracefully, so a kill loses them: that is what stop steps are for.
// One command per line, one reply line each:
//   GET key        → VALUE <value>  or  NOTFOUND
//   SET key value  → OK  (the value is the rest of the line)
//   PING           → PONG
//   SHUTDOWN       → BYE; then the server saves, closes and exits 0
// `node examples/db.js --shutdown` sends SHUTDOWN to the running server (corral's first stop
// step for db) and exits 0 once the server has said BYE.
//
// Environment: DB_PORT (default 7401); DATA_DIR, the folder of kv.json (default: examples/data,
// next to this script). Stops gracefully on SIGTERM, SIGINT (Ctrl+C) and SIGBREAK (Ctrl+Break).
// Exit status: 0 after a graceful stop, 1 on an error (port in use, no data file, ...).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const DATA_VERSION = 2; // the format examples/migrate.js writes
const port = Number(process.env.DB_PORT || 7401);
const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(path.resolve(process.env.DATA_DIR || path.join(here, 'data')), 'kv.json');

function serve() {
  let content;
  try {
    content = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (content.version !== DATA_VERSION) throw new Error(`format version is not ${DATA_VERSION}`);
  } catch (error) {
    console.error(`db: cannot load ${file}: ${error.message} (node examples/migrate.js creates it)`);
    process.exitCode = 1;
    return;
  }
  const data = new Map(Object.entries(content.data));
  const sockets = new Set();
  let stopping = false;

  function answer(line) {
    const [command = '', key] = line.split(' ', 2);
    const name = command.toUpperCase();
    if (stopping) return 'ERR shutting down';
    if ((name === 'GET' || name === 'SET') && !key) return `ERR ${name} needs a key`;
    switch (name) {
      case 'GET':
        return data.has(key) ? `VALUE ${data.get(key)}` : 'NOTFOUND';
      case 'SET':
        data.set(key, line.split(' ').slice(2).join(' '));
        return 'OK';
      case 'PING':
        return 'PONG';
      case 'SHUTDOWN':
        setImmediate(() => shutdown('got SHUTDOWN'));
        return 'BYE';
      default:
        return `ERR unknown command "${command}"; use GET, SET, PING or SHUTDOWN`;
    }
  }

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // a client that hangs up early is not the server's problem
    const lines = readline.createInterface({ input: socket, crlfDelay: Infinity });
    lines.on('line', (line) => socket.write(`${answer(line)}\n`));
  });

  function shutdown(reason) {
    if (stopping) return;
    stopping = true;
    console.log(`db: ${reason}, shutting down`);
    server.close();
    for (const socket of sockets) socket.end();
    // A client that keeps its connection open must not keep the db alive.
    setTimeout(() => sockets.forEach((socket) => socket.destroy()), 2000).unref();
    try {
      const temporary = `${file}.tmp`; // write, then rename: never a half-written data file
      fs.writeFileSync(temporary, JSON.stringify({ ...content, data: Object.fromEntries(data) }, null, 2));
      fs.renameSync(temporary, file);
      console.log(`db: saved ${data.size} keys to ${file}, exiting`);
    } catch (error) {
      console.error(`db: could not save ${file}: ${error.message}`);
      process.exitCode = 1;
    }
  }

  server.on('error', (error) => {
    const why = error.code === 'EADDRINUSE' ? 'the port is in use (set DB_PORT to use another)' : '';
    console.error(`db: cannot listen on ${HOST}:${port}: ${why || error.message}`);
    process.exitCode = 1;
  });
  server.listen(port, HOST, () => {
    console.log(`db: listening on ${HOST}:${port} (${data.size} keys from ${file})`);
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGBREAK']) process.on(signal, () => shutdown(`got ${signal}`));
}

function requestShutdown() {
  const socket = net.connect(port, HOST);
  let reply = '';
  socket.setEncoding('utf8');
  socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5s')));
  socket.on('connect', () => socket.write('SHUTDOWN\n'));
  socket.on('data', (chunk) => (reply += chunk));
  socket.on('end', () => {
    if (reply.startsWith('BYE')) return console.log(`db --shutdown: the db on ${HOST}:${port} is stopping`);
    console.error(`db --shutdown: unexpected answer from ${HOST}:${port}: ${JSON.stringify(reply)}`);
    process.exitCode = 1;
  });
  socket.on('error', (error) => {
    const why = error.code === 'ECONNREFUSED' ? 'no db is listening there' : error.message;
    console.error(`db --shutdown: cannot reach ${HOST}:${port}: ${why}`);
    process.exitCode = 1;
  });
}

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`db: DB_PORT must be a port number from 1 to 65535, got "${process.env.DB_PORT}"`);
  process.exitCode = 1;
} else if (process.argv.includes('--shutdown')) {
  requestShutdown();
} else {
  serve();
}
