// The supervisor's end of the control channel on Windows: the named pipe \\.\pipe\corral-<service>
// (socket-path.ts), answering protocol.ts requests as server.ts does on a Unix socket, through the
// same serveConnection (bounded buffers, request deadline, malformed input).
//
// Who may connect: each pipe instance is created here, not by Node (libuv gives every instance
// the default DACL, which lets Everyone read), with a protected DACL that admits only SYSTEM, the
// Administrators and the account this supervisor runs as (pipe-security.ts), local clients only
// (PIPE_REJECT_REMOTE_CLIENTS), and a handle no child inherits. The first instance is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE: if the name exists already (another supervisor of this service, or
// anyone squatting on it) that fails with ERROR_ACCESS_DENIED and we refuse (E_CONTROL_IN_USE).
// Later instances are made while one of ours is still open, so the name never lapses to someone
// else; when none of ours is left open (after an error), the next one is a first instance again.
//
// Threads: all I/O is overlapped (win32.ts says why), started on the JS thread. One Waiter owns one
// blocking WaitForMultipleObjects at a time, over a wake event and the events of the calls under
// way (the pending ConnectNamedPipe and each connection's read and write), run through koffi's
// .async: the server holds exactly one libuv pool thread for as long as it is open, however many
// clients there are (the pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise; the other
// 3 stay for fs, dns and crypto). Starting a call while a wait is in progress sets the wake event,
// so the wait returns and is made again over the new set. MAXIMUM_WAIT_OBJECTS (64) caps the
// connections at 31 (two events each, plus the wake and the pending connect).
//
// close(): cancels the pending ConnectNamedPipe with CancelIoEx (overlapped calls can be cancelled
// from any thread: no connecting to ourselves, no CancelSynchronousIo), destroys the connections
// (CancelIoEx, DisconnectNamedPipe, CloseHandle each), wakes the waiter, and frees the OVERLAPPEDs,
// buffers and the security descriptor (LocalFree) once no wait uses them. Requests in progress run
// to completion in the supervisor; their replies are lost, as on POSIX.
import { Duplex } from 'node:stream';
import type net from 'node:net';
import { currentAccountSid } from '../platform/windows/accounts.js';
import * as win32 from '../platform/windows/win32.js';
import { serveConnection } from './connection.js';
import { answer, type Log } from './dispatch.js';
import { ControlError } from './errors.js';
import { pipeSddl, SYSTEM_SID } from './pipe-security.js';
import { MAX_REQUEST_BYTES } from './protocol.js';
import type { ControlServer } from './server.js';
import type { ControlTarget } from './target.js';

export interface PipeServerOptions {
  /** \\.\pipe\corral-<service> (socket-path.ts: pipeName). */
  readonly path: string;
  readonly requestTimeoutMs?: number;
  readonly maxRequestBytes?: number;
  /** Connections beyond this are closed at once; at most MAX_PIPE_CONNECTIONS. */
  readonly maxConnections?: number;
  /** The account admitted besides SYSTEM and the Administrators; by default the one we run as. */
  readonly accountSid?: string;
  readonly log?: Log;
}

/** What MAXIMUM_WAIT_OBJECTS leaves for connections (see the top). */
export const MAX_PIPE_CONNECTIONS = (win32.MAX_WAIT_HANDLES - 2) / 2;
/** The pipe's buffer sizes, and the most one ReadFile or WriteFile moves. */
const PIPE_BUFFER = 64 * 1024;
const RETRY_MS = 1_000;
const DEFAULTS = { requestTimeoutMs: 10_000, maxConnections: 16 } as const;

export function startPipeServer(target: ControlTarget, options: PipeServerOptions): Promise<ControlServer> {
  const name = options.path;
  const log = options.log ?? (() => undefined);
  const limits = {
    maxRequestBytes: options.maxRequestBytes ?? MAX_REQUEST_BYTES,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
  };
  const maxConnections = Math.min(options.maxConnections ?? DEFAULTS.maxConnections, MAX_PIPE_CONNECTIONS);
  const descriptor = securityDescriptor(options.accountSid ?? currentAccountSid());
  let first: win32.Handle;
  try {
    first = createInstance(name, descriptor, true);
  } catch (error) {
    win32.freeLocal(descriptor);
    throw error;
  }

  const waiter = new Waiter(log);
  const listenOv = win32.createOverlapped();
  const connections = new Set<PipeConnection>();
  let listening: win32.Handle | null = null;
  let openInstances = 0;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const problem = (message: string): void => {
    log({ level: 'error', event: 'control', message: `control pipe ${name}: ${message}` });
  };
  const drop = (pipe: win32.Handle): void => {
    win32.disconnectPipe(pipe);
    win32.closeHandle(pipe);
    openInstances--;
  };
  const later = (): void => {
    retry = setTimeout(() => {
      retry = undefined;
      listen(null);
    }, RETRY_MS);
    retry.unref();
  };

  /** Waits for the next client on a new instance (or on `instance`, the first one). */
  const listen = (instance: win32.Handle | null): void => {
    if (closed) return;
    let pipe = instance;
    if (pipe === null) {
      try {
        pipe = createInstance(name, descriptor, openInstances === 0);
      } catch (error) {
        problem(`cannot make another pipe instance, trying again in ${RETRY_MS} ms: ${reason(error)}`);
        later();
        return;
      }
    }
    openInstances++;
    listening = pipe;
    connected(pipe, win32.connectPipe(pipe, listenOv));
  };

  const connected = (pipe: win32.Handle, start: win32.IoStart): void => {
    if (start === 'pending') {
      waiter.watch(listenOv, () => {
        connected(pipe, win32.overlappedResult(pipe, listenOv));
      });
      return;
    }
    listening = null;
    if ('done' in start || start.error === win32.ERROR_PIPE_CONNECTED) {
      serve(pipe);
      listen(null);
      return;
    }
    drop(pipe);
    // ERROR_NO_DATA: the client came and went before we saw it; anything else is worth a word.
    if (start.error === win32.ERROR_NO_DATA) listen(null);
    else {
      problem(`ConnectNamedPipe failed with Windows error ${start.error}; trying again in ${RETRY_MS} ms`);
      later();
    }
  };

  const serve = (pipe: win32.Handle): void => {
    if (connections.size >= maxConnections) {
      drop(pipe);
      return;
    }
    const connection = new PipeConnection(pipe, waiter, () => {
      openInstances--;
    });
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    // serveConnection uses only what a Duplex has (data, end, close, pause, resume, write, end, destroy).
    serveConnection(connection as unknown as net.Socket, (line) => answer(target, line, log), limits);
  };

  listen(first);

  let closing: Promise<void> | undefined;
  return Promise.resolve({
    path: name,
    close: () => {
      closing ??= (async () => {
        closed = true;
        clearTimeout(retry);
        if (listening !== null) {
          waiter.forget(listenOv);
          finish(listening, listenOv);
          drop(listening);
          listening = null;
        }
        for (const connection of connections) connection.destroy();
        await waiter.stop();
        win32.freeOverlapped(listenOv);
        win32.freeLocal(descriptor);
      })();
      return closing;
    },
  });
}

function securityDescriptor(accountSid: string | null): bigint {
  // Not knowing the account (LocalSystem's USERNAME is often MACHINE$, which may not resolve)
  // leaves SYSTEM and the administrators: narrower, never wider.
  const sddl = pipeSddl(accountSid ?? SYSTEM_SID);
  try {
    return win32.securityDescriptorFromSddl(sddl);
  } catch (error) {
    throw new ControlError(
      'E_CONTROL_UNSUPPORTED',
      `cannot make the control pipe's security descriptor: ${reason(error)}`,
    );
  }
}

/** A pipe instance; the first one refuses a name that exists already (see the top). */
function createInstance(name: string, descriptor: bigint, first: boolean): win32.Handle {
  const inUse = new ControlError(
    'E_CONTROL_IN_USE',
    `another process is already serving the control pipe ${name}`,
    'another corral is running this service (as a service, or with corral run): stop it first',
  );
  if (first && win32.pipeExists(name)) throw inUse;
  try {
    return win32.createPipeInstance(name, descriptor, first, PIPE_BUFFER);
  } catch (error) {
    const code = error instanceof win32.Win32Error ? error.code : -1;
    if (first && (code === win32.ERROR_ACCESS_DENIED || code === ERROR_PIPE_BUSY)) throw inUse;
    throw new ControlError('E_SOCKET_PATH', `cannot create the control pipe ${name}: ${reason(error)}`);
  }
}

const ERROR_PIPE_BUSY = 231;

/** After CancelIoEx: waits for the cancelled call to be over, so its OVERLAPPED may be reused or freed. */
function finish(pipe: win32.Handle, overlapped: win32.Overlapped): void {
  win32.cancelIo(pipe);
  if (!win32.overlappedDone(overlapped)) win32.overlappedResult(pipe, overlapped, true);
}

/**
 * The one blocking wait (see the top): calls each watched OVERLAPPED's callback, on the JS thread,
 * once its call has finished.
 */
class Waiter {
  private readonly wake = win32.createWakeEvent();
  private readonly watched = new Map<win32.Overlapped, () => void>();
  private readonly afterWait: (() => void)[] = [];
  private waiting = false;
  private stopped: (() => void) | null = null;

  constructor(private readonly log: Log) {}

  watch(overlapped: win32.Overlapped, done: () => void): void {
    this.watched.set(overlapped, done);
    if (this.waiting) win32.setEvent(this.wake);
    else this.loop();
  }

  /** Stops watching; the event may still be in the wait under way (whenIdle says when it is not). */
  forget(overlapped: win32.Overlapped): void {
    this.watched.delete(overlapped);
  }

  /** Runs `fn` once no wait uses handles forgotten so far: at once, or when the current wait ends. */
  whenIdle(fn: () => void): void {
    if (!this.waiting) {
      fn();
      return;
    }
    this.afterWait.push(fn);
    win32.setEvent(this.wake);
  }

  stop(): Promise<void> {
    this.watched.clear();
    return new Promise((resolve) => {
      const done = (): void => {
        win32.closeHandle(this.wake);
        resolve();
      };
      if (!this.waiting) done();
      else {
        this.stopped = done;
        win32.setEvent(this.wake);
      }
    });
  }

  private loop(): void {
    if (this.waiting || this.stopped !== null || this.watched.size === 0) return;
    const watched = [...this.watched.keys()];
    this.waiting = true;
    win32.waitForAny([this.wake, ...watched.map((o) => o.event)], (index) => {
      this.waiting = false;
      for (const fn of this.afterWait.splice(0)) fn();
      if (this.stopped !== null) {
        this.stopped();
        return;
      }
      for (const [overlapped, done] of [...this.watched]) {
        if (win32.overlappedDone(overlapped) && this.watched.get(overlapped) === done) {
          this.watched.delete(overlapped);
          done();
        }
      }
      if (index === null) {
        this.log({
          level: 'error',
          event: 'control',
          message: 'control pipe: WaitForMultipleObjects failed',
        });
        setTimeout(() => {
          this.loop();
        }, RETRY_MS).unref();
        return;
      }
      this.loop();
    });
  }
}

/** A connected pipe instance as a Duplex: overlapped ReadFile and WriteFile, one of each at most. */
class PipeConnection extends Duplex {
  private readonly readOv = win32.createOverlapped();
  private readonly writeOv = win32.createOverlapped();
  private readonly readBuffer = win32.allocNative(PIPE_BUFFER);
  private readonly writeBuffer = win32.allocNative(PIPE_BUFFER);
  private reading = false;
  private released = false;

  constructor(
    private readonly handle: win32.Handle,
    private readonly waiter: Waiter,
    private readonly onRelease: () => void,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    if (this.reading || this.released) return;
    this.reading = true;
    this.afterRead(win32.readFile(this.handle, this.readBuffer, PIPE_BUFFER, this.readOv));
  }

  private afterRead(start: win32.IoStart): void {
    if (start === 'pending') {
      this.waiter.watch(this.readOv, () => {
        this.afterRead(win32.overlappedResult(this.handle, this.readOv));
      });
      return;
    }
    this.reading = false;
    if (this.released) return;
    if ('error' in start) {
      // The client closed its end: the end of the stream. (995: we cancelled it, being destroyed.)
      if (start.error === win32.ERROR_BROKEN_PIPE || start.error === win32.ERROR_NO_DATA) this.push(null);
      else if (start.error !== win32.ERROR_OPERATION_ABORTED) {
        this.destroy(new Error(`ReadFile on the control pipe failed: Windows error ${start.error}`));
      }
      return;
    }
    if (start.done === 0) {
      setImmediate(() => {
        this._read();
      });
      return;
    }
    this.push(Buffer.from(this.readBuffer.view.subarray(0, start.done)));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeFrom(chunk, 0, callback);
  }

  private writeFrom(chunk: Buffer, offset: number, callback: (error?: Error | null) => void): void {
    if (this.released) {
      callback(new Error('the control pipe connection is closed'));
      return;
    }
    const size = chunk.copy(this.writeBuffer.view, 0, offset, offset + PIPE_BUFFER);
    const after = (result: win32.IoStart): void => {
      if (result === 'pending') {
        this.waiter.watch(this.writeOv, () => {
          after(win32.overlappedResult(this.handle, this.writeOv));
        });
        return;
      }
      if ('error' in result) {
        const error = new Error(`WriteFile on the control pipe failed: Windows error ${result.error}`);
        callback(Object.assign(error, { code: 'EPIPE' }));
        return;
      }
      const next = offset + result.done;
      if (next < chunk.length) this.writeFrom(chunk, next, callback);
      else callback();
    };
    after(win32.writeFile(this.handle, this.writeBuffer, size, this.writeOv));
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Every write has completed, so the reply is in the pipe; the client reads it, then closes, and
    // its end of the stream (or the request deadline) destroys this connection.
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    callback(error);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.waiter.forget(this.readOv);
    this.waiter.forget(this.writeOv);
    win32.cancelIo(this.handle);
    for (const overlapped of [this.readOv, this.writeOv]) {
      if (!win32.overlappedDone(overlapped)) win32.overlappedResult(this.handle, overlapped, true);
    }
    win32.disconnectPipe(this.handle);
    win32.closeHandle(this.handle);
    this.onRelease();
    this.waiter.whenIdle(() => {
      win32.freeOverlapped(this.readOv);
      win32.freeOverlapped(this.writeOv);
      win32.freeNative(this.readBuffer);
      win32.freeNative(this.writeBuffer);
    });
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
