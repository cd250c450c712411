// The CLI's end of the control channel: one request, one reply, one connection.
import net from 'node:net';
import { LineSplitter } from '../logging/line-splitter.js';
import {
  encodeRequest,
  MAX_REPLY_BYTES,
  parseReply,
  type ActionReply,
  type ActionRequestBody,
  type ErrorReply,
  type Reply,
  type RequestBody,
  type StatusReply,
  type StatusRequestBody,
} from './protocol.js';

/**
 * not-running: nothing listens at the path (ENOENT, ECONNREFUSED); connect: the connection failed
 * otherwise (EACCES…); timeout: no reply in time; protocol: the connection broke or the reply
 * could not be read.
 */
export type RequestFailure = 'not-running' | 'connect' | 'timeout' | 'protocol';

export class ControlRequestError extends Error {
  constructor(
    readonly kind: RequestFailure,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ControlRequestError';
  }
}

export interface RequestOptions {
  /** For connecting and the whole reply. */
  readonly timeoutMs: number;
}

const REQUEST_ID = 1;

/**
 * Sends one request to the control socket and resolves with the supervisor's reply (an ErrorReply
 * when it refused); rejects with ControlRequestError when there is no reply to give.
 */
export function request(
  socketPath: string,
  body: StatusRequestBody,
  options: RequestOptions,
): Promise<StatusReply | ErrorReply>;
export function request(
  socketPath: string,
  body: ActionRequestBody,
  options: RequestOptions,
): Promise<ActionReply | ErrorReply>;
export function request(socketPath: string, body: RequestBody, options: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let connected = false;
    let settled = false;
    const socket = net.createConnection(socketPath);
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const fail = (kind: RequestFailure, message: string, hint?: string): void => {
      settle(() => {
        reject(new ControlRequestError(kind, message, hint));
      });
    };
    const timer = setTimeout(() => {
      const seconds = options.timeoutMs / 1000;
      if (connected) {
        const hint = 'the supervisor may still be carrying it out: corral status shows where it is';
        fail('timeout', `no reply from the supervisor on ${socketPath} within ${seconds}s`, hint);
      } else fail('timeout', `could not connect to ${socketPath} within ${seconds}s`);
    }, options.timeoutMs);
    const splitter = new LineSplitter(MAX_REPLY_BYTES, (line) => {
      if (!line.complete) {
        fail('protocol', `the supervisor's reply is longer than ${MAX_REPLY_BYTES} bytes`);
        return;
      }
      const parsed = parseReply(line.bytes, REQUEST_ID, body.op);
      if (parsed.ok)
        settle(() => {
          resolve(parsed.reply);
        });
      else fail('protocol', `cannot read the supervisor's reply: ${parsed.problem}`, versionHint);
    });

    socket.on('connect', () => {
      connected = true;
      socket.write(encodeRequest(REQUEST_ID, body));
    });
    socket.on('data', (chunk: Buffer) => {
      splitter.push(chunk);
    });
    socket.on('end', () => {
      splitter.end();
      fail('protocol', `the supervisor closed the connection on ${socketPath} without replying`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (connected) fail('protocol', `the connection to the supervisor broke: ${error.message}`);
      else failToConnect(socketPath, error, fail);
    });
    socket.on('close', () => {
      fail('protocol', `the supervisor closed the connection on ${socketPath} without replying`);
    });
  });
}

const versionHint = 'is the running supervisor from another version of corral? corral version shows this one';

function failToConnect(
  socketPath: string,
  error: NodeJS.ErrnoException,
  fail: (kind: RequestFailure, message: string, hint?: string) => void,
): void {
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      fail('not-running', `nothing is listening on ${socketPath} (${error.code})`);
      return;
    case 'EACCES':
    case 'EPERM':
      fail(
        'connect',
        `no permission to connect to ${socketPath}`,
        'the supervisor runs as another user: run this command as that user (sudo for a service)',
      );
      return;
    default:
      fail('connect', `cannot connect to ${socketPath}: ${error.message}`);
  }
}
