// The supervisor's end of the control channel: a Unix domain socket (never TCP) in the owner-only
// runtime folder, answering protocol.ts requests from the ControlTarget.
//
// Who may connect: connecting to a Unix socket needs search permission on its folder and write
// permission on the socket. The folder must be ours and mode 0700 (checked, not fixed: the manifest
// lock creates it, and this runs after the lock is taken), and the socket is mode 0600. The socket
// is bound under a random temporary name in that folder, chmodded to 0600, and only then linked to
// its public name, so it is never reachable by its public name with a wider mode. (Setting the
// umask around listen() would do the same for the bind, but the umask is process-wide: any file or
// folder created meanwhile on libuv's thread pool by other code would get it too.)
//
// A socket file already at the public name is probed: if something answers, a live server owns it
// and we refuse (E_CONTROL_IN_USE); if the connection is refused it was left by a crashed
// supervisor and is removed. link(2) then fails rather than replace anything that appeared since.
//
// Lifecycle: startControlServer after acquiring the manifest lock; close() before releasing it.
// close() drops every connection (requests in progress run to completion in the supervisor, their
// replies are lost) and removes the public name if it still names our socket.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runtimeDirProblem } from '../platform/posix/manifest-lock.js';
import { serveConnection } from './connection.js';
import { answer, type Log } from './dispatch.js';
import { ControlError } from './errors.js';
import { startPipeServer } from './pipe-server.js';
import { MAX_REQUEST_BYTES } from './protocol.js';
import { socketPathProblem } from './socket-path.js';
import type { ControlTarget } from './target.js';

export interface ControlServerOptions {
  /** The socket path (socket-path.ts: controlSocketPath). */
  readonly path: string;
  /** How long a client has, after connecting or after its last reply, to send a whole request. */
  readonly requestTimeoutMs?: number;
  readonly maxRequestBytes?: number;
  /** Connections beyond this are closed at once by the server. */
  readonly maxConnections?: number;
  /** How long to wait for an existing socket to answer before calling it live. */
  readonly probeTimeoutMs?: number;
  readonly log?: Log;
}

export interface ControlServer {
  readonly path: string;
  /** Stops listening, drops open connections, removes the socket file. Idempotent. */
  close(): Promise<void>;
}

const DEFAULTS = { requestTimeoutMs: 10_000, maxConnections: 32, probeTimeoutMs: 2_000 } as const;

/** Starts serving `target` on `options.path`; throws ControlError when it cannot do so safely. */
export async function startControlServer(
  target: ControlTarget,
  options: ControlServerOptions,
): Promise<ControlServer> {
  // Windows: a named pipe with a security descriptor of our own (pipe-server.ts).
  if (process.platform === 'win32') return startPipeServer(target, options);
  const socketPath = path.resolve(options.path);
  const log = options.log ?? (() => undefined);
  const tooLong = socketPathProblem(socketPath, process.platform);
  if (tooLong !== null) throw tooLong;
  checkFolder(path.dirname(socketPath));
  await clearStale(socketPath, options.probeTimeoutMs ?? DEFAULTS.probeTimeoutMs, log);

  const limits = {
    maxRequestBytes: options.maxRequestBytes ?? MAX_REQUEST_BYTES,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
  };
  const connections = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, (line) => answer(target, line, log), limits);
  });
  server.maxConnections = options.maxConnections ?? DEFAULTS.maxConnections;
  server.on('error', (error) => {
    log({ level: 'error', event: 'control', message: `control socket ${socketPath}: ${error.message}` });
  });

  const identity = await publish(server, socketPath);
  let closing: Promise<void> | undefined;
  return {
    path: socketPath,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          removeIfOurs(socketPath, identity);
          resolve();
        });
        for (const socket of connections) socket.destroy();
      });
      return closing;
    },
  };
}

/** The folder must be ours, a real folder, and closed to everyone else (mode 0700). */
function checkFolder(dir: string): void {
  const hint = 'the manifest lock creates it: start the control server after taking the lock';
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch (error) {
    throw new ControlError(
      'E_RUNTIME_DIR',
      `cannot use ${dir} for the control socket: ${reason(error)}`,
      hint,
    );
  }
  const uid = process.getuid?.() ?? -1;
  const facts = {
    isDirectory: stat.isDirectory(),
    isSymbolicLink: stat.isSymbolicLink(),
    uid: stat.uid,
    mode: stat.mode,
  };
  const problem = runtimeDirProblem(dir, facts, uid);
  if (problem !== null) throw new ControlError('E_RUNTIME_DIR', problem.message, problem.hint);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new ControlError(
      'E_RUNTIME_DIR',
      `runtime folder ${dir} is open to group or others (mode ${mode}); the control socket needs a folder only you can enter`,
      `chmod 700 ${dir}`,
    );
  }
}

type Probe = 'live' | 'refused' | { readonly unknown: string };

/** Whether something accepts connections on `socketPath`. */
function probe(socketPath: string, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    const done = (result: Probe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      done({ unknown: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.on('connect', () => {
      done('live');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      done(error.code === 'ECONNREFUSED' ? 'refused' : { unknown: error.message });
    });
  });
}

/** Removes a socket file nothing answers on; refuses to touch anything else. */
async function clearStale(socketPath: string, timeoutMs: number, log: Log): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ControlError('E_SOCKET_PATH', `cannot check ${socketPath}: ${reason(error)}`);
  }
  if (!stat.isSocket()) {
    throw new ControlError(
      'E_SOCKET_PATH',
      `${socketPath} is in the way of the control socket: it exists and is not a socket`,
      `remove ${socketPath}`,
    );
  }
  const found = await probe(socketPath, timeoutMs);
  if (found === 'live') {
    throw new ControlError(
      'E_CONTROL_IN_USE',
      `another process is already serving the control socket ${socketPath}`,
      'another corral is running this manifest: stop it first (corral status shows it)',
    );
  }
  if (found !== 'refused') {
    throw new ControlError(
      'E_CONTROL_IN_USE',
      `cannot tell whether the control socket ${socketPath} is in use: ${found.unknown}`,
      `if no corral is running this manifest, delete ${socketPath}`,
    );
  }
  try {
    fs.unlinkSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ControlError(
        'E_SOCKET_PATH',
        `cannot remove the stale socket ${socketPath}: ${reason(error)}`,
      );
    }
  }
  log({ level: 'info', event: 'control', message: `removed the stale control socket ${socketPath}` });
}

interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** Listens on a temporary name, makes it 0600, then gives it its public name (see the top). */
async function publish(server: net.Server, socketPath: string): Promise<FileIdentity> {
  const temp = path.join(path.dirname(socketPath), `.sock-${crypto.randomBytes(4).toString('hex')}`);
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      reject(new ControlError('E_SOCKET_PATH', `cannot listen on ${temp}: ${error.message}`));
    };
    server.once('error', fail);
    server.listen(temp, () => {
      server.off('error', fail);
      resolve();
    });
  });
  try {
    fs.chmodSync(temp, 0o600);
    linkExclusive(temp, socketPath);
    const { dev, ino } = fs.lstatSync(socketPath);
    return { dev, ino };
  } catch (error) {
    await new Promise((resolve) => server.close(resolve));
    throw error;
  } finally {
    removeQuietly(temp); // libuv unlinks the bound name again on close: harmless
  }
}

function linkExclusive(temp: string, socketPath: string): void {
  try {
    fs.linkSync(temp, socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ControlError(
        'E_CONTROL_IN_USE',
        `${socketPath} appeared while this supervisor was starting its control socket`,
        'another corral is starting for this manifest: stop it first',
      );
    }
    throw new ControlError(
      'E_SOCKET_PATH',
      `cannot create the control socket ${socketPath}: ${reason(error)}`,
    );
  }
}

function removeIfOurs(socketPath: string, ours: FileIdentity): void {
  try {
    const { dev, ino } = fs.lstatSync(socketPath);
    if (dev === ours.dev && ino === ours.ino) fs.unlinkSync(socketPath);
  } catch {
    // already gone
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
