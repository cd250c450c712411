import type { Parsed } from './duration.js';

/** Sizes are written `512KB`, `10MB`, `1GB` (1 KB = 1024 bytes; KiB/MiB/GiB are accepted too), or as a number of bytes. */
export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?([Bb]|[KkMmGg][Ii]?[Bb])$';

const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  KIB: 1024,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
};

const HINT = 'a size is a number and a unit B, KB, MB or GB with no space: 512KB, 10MB';

export function parseSize(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input >= 0) return { ok: true, value: input };
    return {
      ok: false,
      message: `expected a size like "10MB", got ${input}`,
      hint: input < 0 ? 'sizes cannot be negative' : HINT,
    };
  }
  const m = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]+)$/.exec(input.trim());
  const unit = m?.[2] === undefined ? undefined : UNIT_BYTES[m[2].toUpperCase()];
  if (m === null || unit === undefined) {
    return {
      ok: false,
      message: `expected a size like "10MB", got "${input}"`,
      hint: HINT,
    };
  }
  return { ok: true, value: Math.round(Number(m[1]) * unit) };
}
