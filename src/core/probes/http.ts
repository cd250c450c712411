import { failed, passed, type ProbeResult } from './result.js';

/**
 * Passes when the request gets a 2xx answer within `timeout` ms (rounded up: the monotonic clock
 * gives fractions, and AbortSignal.timeout takes whole milliseconds only).
 */
export async function checkHttp(
  url: string,
  method: string,
  headers: Readonly<Record<string, string>>,
  timeout: number,
): Promise<ProbeResult> {
  try {
    // fetch refuses a URL with credentials in it: they become a Basic Authorization header.
    const target = new URL(url);
    const auth: Record<string, string> = {};
    if (target.username !== '' || target.password !== '') {
      const pair = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
      auth['authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`;
      target.username = '';
      target.password = '';
    }
    const response = await fetch(target, {
      method,
      headers: { ...auth, ...headers },
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeout))),
      redirect: 'manual',
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return passed;
    return failed(`http ${method} ${shown(url)}: status ${response.status}`);
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${timeout} ms`
        : (e.cause?.code ?? e.message.split(url).join(shown(url)));
    return failed(`http ${method} ${shown(url)}: ${reason}`);
  }
}

/**
 * The URL as the log may show it: a password in it, or a query string (where tokens go), may come
 * from ${VAR} and is never logged.
 */
export function shown(url: string): string {
  try {
    const u = new URL(url);
    const user =
      u.username === '' && u.password === '' ? '' : `${u.username}${u.password === '' ? '' : ':***'}@`;
    return `${u.protocol}//${user}${u.host}${u.pathname}${u.search === '' ? '' : '?…'}`;
  } catch {
    return '(an invalid URL)';
  }
}
