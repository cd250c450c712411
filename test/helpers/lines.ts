// Reading a child's output line by line against deadlines, so tests wait for what a process says
// instead of sleeping. Each stream gets one log, started on first use (a stream nobody reads holds
// its data, so nothing printed earlier is missed) and a cursor: every match consumes the lines up to
// and including it, so successive waits assert order.
import type { Readable } from 'node:stream';

interface LineLog {
  readonly lines: string[];
  partial: string;
  cursor: number;
  ended: boolean;
  readonly wake: Set<() => void>;
}

const logs = new WeakMap<Readable, LineLog>();
const SHOWN_LINES = 200;

function logOf(stream: Readable): LineLog {
  const known = logs.get(stream);
  if (known !== undefined) return known;
  const log: LineLog = { lines: [], partial: '', cursor: 0, ended: false, wake: new Set() };
  const wake = (): void => {
    for (const fn of [...log.wake]) fn();
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (log.partial + chunk).split('\n');
    log.partial = parts.pop() ?? '';
    log.lines.push(...parts.map((line) => line.replace(/\r$/, '')));
    wake();
  });
  const end = (): void => {
    if (log.ended) return;
    if (log.partial !== '') log.lines.push(log.partial);
    log.partial = '';
    log.ended = true;
    wake();
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  // A stream that ended with nothing buffered may have said so before anyone listened.
  if (stream.readableEnded || stream.destroyed) end();
  logs.set(stream, log);
  return log;
}

/** Every line the stream has delivered so far, consumed or not. */
export function linesSeen(stream: Readable): readonly string[] {
  return [...logOf(stream).lines];
}

function describeOutput(log: LineLog): string {
  const hidden = Math.max(0, log.lines.length - SHOWN_LINES);
  const shown = log.lines.slice(hidden).map((line) => `  | ${line}`);
  if (log.partial !== '') shown.push(`  | ${log.partial} (no newline yet)`);
  if (shown.length === 0) return 'no output';
  return `output so far${hidden > 0 ? ` (${hidden} earlier lines not shown)` : ''}:\n${shown.join('\n')}`;
}

/** Waits until `check` says the log is done, or rejects after `timeoutMs` with `what` and the output. */
function waitOn<T>(
  stream: Readable,
  what: string,
  timeoutMs: number,
  check: (log: LineLog) => T | undefined,
) {
  const log = logOf(stream);
  return new Promise<T>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      log.wake.delete(poll);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${describeOutput(log)}`));
    }, timeoutMs);
    const poll = (): void => {
      const result = check(log);
      if (result !== undefined) {
        finish();
        resolve(result);
      } else if (log.ended) {
        finish();
        reject(new Error(`stream ended before ${what}; ${describeOutput(log)}`));
      }
    };
    log.wake.add(poll);
    poll();
  });
}

/**
 * Resolves with the match of the first unconsumed line matching `regex` (g and y flags are
 * ignored); rejects if the stream ends first or after `timeoutMs`, with the output seen so far.
 */
export function waitForLine(stream: Readable, regex: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const pattern = new RegExp(regex.source, regex.flags.replace(/[gy]/g, ''));
  let scanned = logOf(stream).cursor;
  return waitOn(stream, `a line matching ${regex}`, timeoutMs, (log) => {
    for (; scanned < log.lines.length; scanned++) {
      const match = pattern.exec(log.lines[scanned] ?? '');
      if (match !== null) {
        log.cursor = scanned + 1;
        return match;
      }
    }
    return undefined;
  });
}

/** Resolves with every line once the stream has ended; rejects after `timeoutMs` with the output. */
export function waitForEnd(stream: Readable, timeoutMs: number): Promise<readonly string[]> {
  return waitOn(stream, 'the stream to end', timeoutMs, (log) => (log.ended ? [...log.lines] : undefined));
}
