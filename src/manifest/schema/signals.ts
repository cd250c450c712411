import type { Parsed } from '../duration.js';
import { closest } from '../suggest.js';

/** Signals a stop step may send (POSIX). Written with or without the SIG prefix. */
export const STOP_SIGNALS = [
  'SIGTERM',
  'SIGINT',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGKILL',
  'SIGWINCH',
  'SIGPWR',
  'SIGALRM',
] as const;

export function parseSignal(input: string | number): Parsed<string> {
  const raw = String(input).trim().toUpperCase();
  const name = raw.startsWith('SIG') ? raw : `SIG${raw}`;
  if ((STOP_SIGNALS as readonly string[]).includes(name)) return { ok: true, value: name };
  const guess = closest(name, STOP_SIGNALS);
  return {
    ok: false,
    message: `unknown signal ${JSON.stringify(input)}`,
    hint: guess === undefined ? `use one of ${STOP_SIGNALS.join(', ')}` : `did you mean ${guess}?`,
  };
}
