// The foreground log: one line per record on stderr, as text or JSON lines (log.format). The
// logging issue replaces this with winston, files and rotation; records keep their shape.
import type { LogRecord } from '../core/supervisor.js';
import type { LogLevel } from '../manifest/spec.js';

const RANK: Readonly<Record<LogRecord['level'], number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export function consoleLogger(
  format: 'json' | 'text',
  level: LogLevel,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): (record: LogRecord) => void {
  return (record) => {
    if (RANK[record.level] < RANK[level]) return;
    const time = now().toISOString();
    if (format === 'json') {
      write(`${JSON.stringify({ time, ...record })}\n`);
      return;
    }
    const who = record.process ?? 'corral';
    const tag = record.stream === 'stderr' ? `${who}!` : who;
    const level_ = record.level === 'info' || record.event === 'output' ? '' : `${record.level}: `;
    write(`${time.slice(11, 23)} ${tag.padEnd(10)} | ${level_}${record.message}\n`);
  };
}
