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
    const response = await fetch(url, {
      method,
      headers: { ...headers },
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeout))),
      redirect: 'manual',
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return passed;
    return failed(`http ${method} ${url}: status ${response.status}`);
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const reason =
      e.name === 'TimeoutError' ? `no answer within ${timeout} ms` : (e.cause?.code ?? e.message);
    return failed(`http ${method} ${url}: ${reason}`);
  }
}
