// How one record of the supervisor's log is shown, as pure functions: the level filter, a JSON line,
// and a text line. Lines carry no newline; whoever writes them adds it.
//
//   json  {"time":"2026-11-27T10:00:00.123Z","level":"warn","process":"web","event":"exit",
//          "message":"…","stream":"stderr", …any other fields of the record}
//   text  10:00:00.123 web!       | warn: …              the console: the time of day, as ever
//         2026-11-27T10:00:00.123Z web!       | warn: …  the file: the full time (it outlives the day)
//
// Times are UTC. The text tag is the process (or `corral`), with `!` for a stderr line; the level is
// left out for info and for child output.
import type { LogRecord } from '../core/supervisor.js';
import type { LogLevel } from '../manifest/spec.js';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a record at `level` passes log.level `threshold`. */
export function levelEnabled(level: LogRecord['level'], threshold: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}

/** `clock`: HH:MM:SS.mmm (the console); `full`: the ISO 8601 time (the file). */
export type TimeStyle = 'clock' | 'full';

/** The record as one JSON object; `time` is an ISO 8601 string. */
export function jsonLine(record: LogRecord, time: string): string {
  const { level, process, event, message, stream, ...rest } = record as LogRecord & Record<string, unknown>;
  const entry: Record<string, unknown> = { time, level, process, event, message, stream };
  for (const [key, value] of Object.entries(rest)) if (!(key in entry)) entry[key] = value;
  try {
    return JSON.stringify(entry);
  } catch (error) {
    // A field JSON cannot hold (a BigInt, a cycle): the record still gets logged, without the extras.
    const why = error instanceof Error ? error.message : String(error);
    return JSON.stringify({ time, level, process, event, message, stream, unserializable: why });
  }
}

export function textLine(record: LogRecord, time: string, style: TimeStyle): string {
  const who = record.process ?? 'corral';
  const tag = record.stream === 'stderr' ? `${who}!` : who;
  const level = record.level === 'info' || record.event === 'output' ? '' : `${record.level}: `;
  const stamp = style === 'clock' ? time.slice(11, 23) : time;
  return `${stamp} ${tag.padEnd(10)} | ${level}${record.message}`;
}
