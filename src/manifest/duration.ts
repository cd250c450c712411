/** Durations are written `500ms`, `10s`, `1m30s`, `2h`, `1d`; the number 0 is also accepted. */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+)$';

/** The longest duration a timer can hold (setTimeout's limit, about 24.8 days). */
export const MAX_DURATION_MS = 2_147_483_647;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/y;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; hint?: string };

export function parseDuration(input: string | number): Parsed<number> {
  const example = 'a duration like "10s"';
  if (typeof input === 'number') {
    if (input === 0) return { ok: true, value: 0 };
    return {
      ok: false,
      message: `expected ${example}, got ${input}`,
      hint:
        input < 0
          ? 'durations cannot be negative'
          : `add a unit: "${input}s" for seconds, "${input}ms" for milliseconds`,
    };
  }
  const text = input.trim();
  if (text.startsWith('-')) {
    return {
      ok: false,
      message: `expected ${example}, got "${input}"`,
      hint: 'durations cannot be negative',
    };
  }
  if (text === '0') return { ok: true, value: 0 };
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (m === null || m.index !== start) {
      matched = -1;
      break;
    }
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    matched++;
  }
  if (matched <= 0) {
    return {
      ok: false,
      message: `expected ${example}, got "${input}"`,
      hint: 'a duration is numbers with units ms, s, m, h or d and no spaces: 500ms, 10s, 1m30s',
    };
  }
  const ms = Math.round(total);
  if (ms > MAX_DURATION_MS) {
    return { ok: false, message: `"${input}" is too long`, hint: 'a duration may be at most 24d' };
  }
  return { ok: true, value: ms };
}

/** Renders milliseconds the way a user would write them: 90000 → "1m30s", 1500 → "1.5s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0) return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
  let rest = ms / 1000;
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return rest > 0 ? `${out}${rest}s` : out;
}
