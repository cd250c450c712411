// Where a process's output lives in log.dir, as pure functions of names, so the writer and a reader
// (`corral logs`, running or not) agree without talking to each other.
//
//   current file   <name>.log                      (streams: combined)
//                  <name>.out.log, <name>.err.log  (streams: separate)
//   rotated files  <stem>.<YYYYMMDD-HHMMSS>[_<seq>].log[.gz]   e.g. web.20261127-211500.log.gz
//   being gzipped  <rotated>.log.gz.tmp            (renamed to .log.gz once complete)
//
// The stamp is the UTC time the file was rotated: every line in it is older than its name says.
// Timestamped names rather than a shifting .1, .2 chain: a rotation is one rename whatever `keep`
// is, no crash can leave the chain half shifted, a rotated file keeps its name until it is deleted
// (so a compression, a reader or `tail -F` on the current name is never pulled from under), and the
// names sort in time order. UTC, because local time repeats an hour each autumn and would let two
// files claim the same time; the digits-and-dash form because Windows forbids ':' in names. `seq`
// (_001, _002, ...) only appears when two rotations fall in the same second; '_' sorts after '.' and
// the three digits keep `ls` order right up to 999 rotations in one second. Process names cannot
// hold a dot, so `web.out.log` never belongs to a process called `web.out`, nor a stamp to a name.
import * as path from 'node:path';
import type { OutputSpec } from '../manifest/spec.js';

/** Which of a process's files: the one of `combined`, or one of the two of `separate`. */
export type LogFileSet = 'combined' | 'stdout' | 'stderr';

export function fileSetsOf(streams: OutputSpec['streams']): readonly LogFileSet[] {
  return streams === 'combined' ? ['combined'] : ['stdout', 'stderr'];
}

/** `web`, `web.out` or `web.err`: the part every file of the set starts with. */
export function stemOf(name: string, set: LogFileSet): string {
  return set === 'combined' ? name : `${name}.${set === 'stdout' ? 'out' : 'err'}`;
}

export function currentFileName(stem: string): string {
  return `${stem}.log`;
}

export function currentLogFile(dir: string, name: string, set: LogFileSet): string {
  return path.join(dir, currentFileName(stemOf(name, set)));
}

/** One rotated file, present as plain text, gzip, or (after a crash mid-compression) both. */
export interface RotatedFile {
  /** When it was rotated, ms since the epoch, whole seconds. */
  readonly stamp: number;
  readonly seq: number;
  /** File names in the folder, null when absent. */
  readonly plain: string | null;
  readonly gzip: string | null;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function formatStamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}-` +
    `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`
  );
}

export function rotatedFileName(stem: string, stamp: number, seq: number, gzip = false): string {
  return `${stem}.${formatStamp(stamp)}${seq > 0 ? `_${pad(seq, 3)}` : ''}.log${gzip ? '.gz' : ''}`;
}

const ROTATED = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:_(\d{3,9}))?\.log(\.gz)?$/;

/** The rotated files of `stem` among `names` (a folder listing), oldest first; other names are ignored. */
export function rotatedFiles(stem: string, names: readonly string[]): RotatedFile[] {
  const byKey = new Map<string, { stamp: number; seq: number; plain: string | null; gzip: string | null }>();
  const prefix = `${stem}.`;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = ROTATED.exec(name.slice(prefix.length));
    if (m === null) continue;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const stamp = Date.UTC(year, month - 1, day, hour, minute, second);
    const seq = m[7] === undefined ? 0 : Number(m[7]);
    const gzip = m[8] !== undefined;
    // Only names the writer makes: not 20261399-..., _000 or _0001.
    if (rotatedFileName(stem, stamp, seq, gzip) !== name) continue;
    const key = `${stamp}_${seq}`;
    const file = byKey.get(key) ?? { stamp, seq, plain: null, gzip: null };
    if (gzip) file.gzip = name;
    else file.plain = name;
    byKey.set(key, file);
  }
  return [...byKey.values()].sort((a, b) => a.stamp - b.stamp || a.seq - b.seq);
}

/** Leftovers of a compression that did not finish: `<rotated>.log.gz.tmp`. */
export function isCompressionTemp(stem: string, name: string): boolean {
  return name.endsWith('.gz.tmp') && rotatedFiles(stem, [name.slice(0, -'.tmp'.length)]).length === 1;
}
