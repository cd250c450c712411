import net from 'node:net';
import { failed, passed, type ProbeResult } from './result.js';

/** Passes when a TCP connection to host:port opens within `timeout` ms; the connection is closed at once. */
export function checkTcp(host: string, port: number, timeout: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      done(failed(`tcp ${host}:${port}: no connection within ${timeout} ms`));
    }, timeout);
    socket.once('connect', () => {
      done(passed);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      done(failed(`tcp ${host}:${port}: ${error.code ?? error.message}`));
    });
  });
}
