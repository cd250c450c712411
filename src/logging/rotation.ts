// The rotation decisions, as pure functions of wall-clock milliseconds: when a period ends, what the
// next rotated file is called, and which rotated files retention deletes. The writer does the I/O.
// Periods are UTC hours and days, like the file names (see output-files.ts): `daily` rotates at
// 00:00 UTC.
import type { RotationSpec } from '../manifest/spec.js';
import type { RotatedFile } from './output-files.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function periodLength(every: RotationSpec['every']): number | null {
  return every === 'hourly' ? HOUR : every === 'daily' ? DAY : null;
}

/** When the period holding `now` began; null for `never`. */
export function periodStart(every: RotationSpec['every'], now: number): number | null {
  const length = periodLength(every);
  return length === null ? null : Math.floor(now / length) * length;
}

/** When the period holding `now` ends (the next hour or UTC midnight); null for `never`. */
export function nextBoundary(every: RotationSpec['every'], now: number): number | null {
  const start = periodStart(every, now);
  return start === null ? null : start + (periodLength(every) ?? 0);
}

/**
 * The stamp and sequence for a file rotated at `now`, after `last`. Never at or before `last`, even
 * when the wall clock stepped back, so the names keep sorting in the order the files were written.
 */
export function nextRotated(
  last: { readonly stamp: number; readonly seq: number } | null,
  now: number,
): { stamp: number; seq: number } {
  const stamp = Math.floor(now / 1000) * 1000;
  if (last !== null && last.stamp >= stamp) return { stamp: last.stamp, seq: last.seq + 1 };
  return { stamp, seq: 0 };
}

export interface Retention {
  readonly remove: readonly RotatedFile[];
  /** When the oldest file kept passes max_age, or null when nothing will. */
  readonly nextExpiry: number | null;
}

/**
 * Which rotated files (`files` oldest first) to delete: all but the newest `keep`, and any rotated
 * `max_age` ms or longer ago. A file's age is from its stamp, the time its last line was written.
 */
export function retain(
  files: readonly RotatedFile[],
  rotation: Pick<RotationSpec, 'keep' | 'max_age'>,
  now: number,
): Retention {
  const overCount = Math.max(0, files.length - Math.max(0, rotation.keep));
  const remove: RotatedFile[] = [];
  let nextExpiry: number | null = null;
  files.forEach((file, index) => {
    const expiry = rotation.max_age === null ? null : file.stamp + rotation.max_age;
    if (index < overCount || (expiry !== null && expiry <= now)) remove.push(file);
    else if (expiry !== null && (nextExpiry === null || expiry < nextExpiry)) nextExpiry = expiry;
  });
  return { remove, nextExpiry };
}
