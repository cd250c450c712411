// One client connection to the control server: requests are read line by line and answered one at
// a time, in order. What one client does never holds up the supervisor or other clients:
// - memory is bounded: at most one request line (maxRequestBytes) is buffered, and reading pauses
//   while a request is being answered; a longer line is answered with E_TOO_LARGE and the
//   connection closed (there is no way to find where the next request starts);
// - a client must send each whole request within requestTimeoutMs of connecting or of its last
//   reply (a trickle of bytes does not extend it), or it is disconnected; the clock stops while
//   its request is being carried out, however long that takes;
// - a client that goes away mid-request does not cancel the operation; its reply is dropped, as
//   are write errors (EPIPE, ECONNRESET).
// A client may half-close after its last request (`printf '…\n' | nc -U`): it is still answered.
import type net from 'node:net';
import { LineSplitter } from '../logging/line-splitter.js';
import { encodeReply, errorReply, type Reply } from './protocol.js';

export interface ConnectionLimits {
  readonly maxRequestBytes: number;
  readonly requestTimeoutMs: number;
}

/** A request line to answer, or the marker for a line that was too long. */
type Pending = Buffer | 'too-large';

export function serveConnection(
  socket: net.Socket,
  answer: (line: Buffer) => Promise<Reply>,
  limits: ConnectionLimits,
): void {
  const queue: Pending[] = [];
  let busy = false;
  let ended = false;
  let overflowed = false;
  let timer: NodeJS.Timeout | undefined;

  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => socket.destroy(), limits.requestTimeoutMs);
  };
  const send = (reply: Reply): void => {
    if (!socket.destroyed && socket.writable) socket.write(encodeReply(reply));
  };
  const splitter = new LineSplitter(limits.maxRequestBytes, (line) => {
    if (overflowed) return;
    if (line.complete) {
      queue.push(Buffer.from(line.bytes)); // a copy: the splitter reuses its buffer
    } else {
      overflowed = true;
      queue.push('too-large');
    }
  });

  /** No more requests: let the client read what we sent, then close (or drop it at the deadline). */
  const finish = (): void => {
    socket.resume(); // whatever else arrives is discarded
    socket.end();
    arm();
  };

  const pump = (): void => {
    if (busy || socket.destroyed) return;
    const next = queue.shift();
    if (next === undefined) return;
    if (next === 'too-large') {
      send(tooLarge(limits.maxRequestBytes));
      finish();
      return;
    }
    busy = true;
    clearTimeout(timer);
    socket.pause();
    void answer(next).then((reply) => {
      busy = false;
      send(reply);
      if (queue.length > 0) pump();
      else if (ended) finish();
      else {
        socket.resume();
        arm();
      }
    });
  };

  socket.on('data', (chunk: Buffer) => {
    if (overflowed) return;
    splitter.push(chunk);
    pump();
  });
  socket.on('end', () => {
    ended = true;
    if (!overflowed) splitter.end(); // a last request without its newline
    if (busy) return;
    if (queue.length > 0) pump();
    else finish();
  });
  socket.on('error', () => {
    // the client went away; 'close' follows
  });
  socket.on('close', () => {
    clearTimeout(timer);
  });
  arm();
}

function tooLarge(max: number): Reply {
  return errorReply(
    null,
    'E_TOO_LARGE',
    `the request is longer than ${max} bytes without a newline; closing the connection`,
    'send one JSON object per line',
  );
}
