import type { Parsed } from '../duration.js';

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[::1]:port`, or a bare port (meaning 127.0.0.1). */
export function parseTcpAddress(input: string | number): Parsed<TcpAddress> {
  const text = String(input).trim();
  const m = /^\[([0-9A-Fa-f:.]+)\]:([0-9]+)$/.exec(text) ?? /^([^\s:[\]/]+):([0-9]+)$/.exec(text);
  const [host, portText] =
    m === null ? (/^[0-9]+$/.test(text) ? ['127.0.0.1', text] : [undefined, undefined]) : [m[1], m[2]];
  if (host === undefined || portText === undefined) {
    return {
      ok: false,
      message: `expected an address like "127.0.0.1:5432", got ${JSON.stringify(input)}`,
      hint: 'write host:port; an IPv6 host goes in brackets: [::1]:5432',
    };
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    return {
      ok: false,
      message: `port ${portText} in "${text}" is out of range`,
      hint: 'a port is from 1 to 65535',
    };
  }
  return { ok: true, value: { host, port } };
}
