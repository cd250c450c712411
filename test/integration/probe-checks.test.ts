// The tcp, http and log checks against real servers on loopback.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHttp } from '../../src/core/probes/http.js';
import { LogMatcher } from '../../src/core/probes/log-match.js';
import { checkTcp } from '../../src/core/probes/tcp.js';

const listen = (server: net.Server) =>
  new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve((server.address() as net.AddressInfo).port);
    });
  });
const close = (server: net.Server) =>
  new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });

/** A port nothing listens on: listen on a free one, then close it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

describe('checkTcp', () => {
  it('passes when something listens, and says why when nothing does', async () => {
    const server = net.createServer((socket) => socket.destroy());
    const port = await listen(server);
    expect(await checkTcp('127.0.0.1', port, 2_000)).toEqual({ ok: true });
    await close(server);
    const closed = await closedPort();
    expect(await checkTcp('127.0.0.1', closed, 2_000)).toEqual({
      ok: false,
      reason: `tcp 127.0.0.1:${closed}: ECONNREFUSED`,
    });
  });
});

describe('checkHttp', () => {
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/ok') res.writeHead(204).end();
    else if (req.url === '/down') res.writeHead(503).end('db unreachable');
    else if (req.url === '/auth')
      res
        .writeHead(
          req.headers.authorization === `Basic ${Buffer.from('user:pa:ss').toString('base64')}` ? 200 : 401,
        )
        .end();
    else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
    else if (req.url === '/hang') hung.push(res);
    else res.writeHead(404).end();
  });
  let base = '';
  beforeAll(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  afterAll(async () => {
    for (const res of hung) res.end();
    server.closeAllConnections();
    await close(server);
  });

  it('passes on 2xx', async () => {
    expect(await checkHttp(`${base}/ok`, 'GET', {}, 2_000)).toEqual({ ok: true });
  });

  it('takes a fractional timeout, as the monotonic clock gives', async () => {
    expect(await checkHttp(`${base}/ok`, 'GET', {}, 1_999.37)).toEqual({ ok: true });
  });

  it('fails on other statuses, redirects included, naming the status', async () => {
    expect(await checkHttp(`${base}/down`, 'GET', {}, 2_000)).toEqual({
      ok: false,
      reason: `http GET ${base}/down: status 503`,
    });
    expect(await checkHttp(`${base}/moved`, 'HEAD', {}, 2_000)).toEqual({
      ok: false,
      reason: `http HEAD ${base}/moved: status 302`,
    });
  });

  it('sends credentials in the URL as Basic authorization', async () => {
    const withAuth = `http://user:pa%3Ass@127.0.0.1:${new URL(base).port}/auth`;
    expect(await checkHttp(withAuth, 'GET', {}, 2_000)).toEqual({ ok: true });
  });

  it('never shows a password or a query string of the URL (they may hold ${VAR} secrets)', async () => {
    const secret = `http://user:s3cret@127.0.0.1:${new URL(base).port}/down?token=t0ken`;
    const result = await checkHttp(secret, 'GET', {}, 2_000);
    expect(result).toEqual({
      ok: false,
      reason: `http GET http://user:***@127.0.0.1:${new URL(base).port}/down?…: status 404`,
    });
    expect(JSON.stringify(result)).not.toMatch(/s3cret|t0ken/);
  });

  it('fails when nothing listens, and when no answer comes in time', async () => {
    const closed = await closedPort();
    expect(await checkHttp(`http://127.0.0.1:${closed}/`, 'GET', {}, 2_000)).toEqual({
      ok: false,
      reason: `http GET http://127.0.0.1:${closed}/: ECONNREFUSED`,
    });
    expect(await checkHttp(`${base}/hang`, 'GET', {}, 200)).toEqual({
      ok: false,
      reason: `http GET ${base}/hang: no answer within 200 ms`,
    });
  });
});

describe('LogMatcher', () => {
  it('remembers a matching line until reset', () => {
    const m = new LogMatcher('listening on \\d+');
    m.feed('starting up');
    expect(m.seen).toBe(false);
    m.feed('db: listening on 7401 (pid 12)');
    m.feed('other');
    expect(m.seen).toBe(true);
    m.reset();
    expect(m.seen).toBe(false);
  });
});
