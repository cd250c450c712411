// The supervisor's own log: every LogRecord corral emits, through winston, to the console (stderr
// in the foreground) and to `<log.dir>/_corral.<service>.log` (supervisor-log-file.ts), rotated,
// kept and compressed per log.rotation by the same writer as process output files.
//
// Lifecycle, for whoever owns it (cli/host.ts):
//   1. createSupervisorLog() opens the file in the background; a problem with it is reported on
//      the problem line (the console by default), never thrown, and lines wait and are retried.
//   2. log(record) filters by log.level first (a dropped record costs one comparison), renders the
//      lines, and hands them to winston. reconfigure(spec) applies a reload's log settings from the
//      next record on: level and format at once, a new dir or rotation by closing the old file
//      (after the records before the reload are in it) and opening the new one.
//   3. flush() resolves once every record logged before it is in the file; close() ends winston
//      and resolves once its transports have finished: every record written and the file closed
//      (on a failing disk: tried once more, the rest dropped and reported). Records logged after
//      close() still reach the console.
//
// What goes where: the console gets every record that passes the level; the file too, except
// child output (event 'output'), which has its own files (process-output.ts) unless outputToFile.
// A record for the console alone skips winston (see log()). JSON lines are the same on both;
// text lines show the time of day on the console and the full time in the file.
//
// Secrets: records are logged as given. corral never puts environment VALUES into a record (names
// only, e.g. "environment variable X is not defined"); what a child prints is its own business.
import winston from 'winston';
import type { Clock } from '../core/clock.js';
import type { LogRecord } from '../core/supervisor.js';
import type { LogSpec } from '../manifest/spec.js';
import type { OutputIntervals } from './output-file.js';
import type { OutputFs } from './output-fs.js';
import { supervisorLogFile, supervisorLogStem } from './supervisor-log-file.js';
import { jsonLine, levelEnabled, textLine } from './supervisor-log-format.js';
import {
  CONSOLE_LINE,
  ConsoleTransport,
  FILE_LINE,
  FileTransport,
  SEQ,
  type FileTarget,
  type LineInfo,
  type WinstonTransport,
} from './supervisor-log-transports.js';

export interface SupervisorLogOptions {
  /** log: level, format, dir and rotation (max_line is for child output). */
  readonly spec: LogSpec;
  /** service.name: names the file. */
  readonly service: string;
  /** Where console lines go (with their newline): stderr in the foreground, null under a service manager. */
  readonly console: ((line: string) => void) | null;
  /**
   * Where the log file's own problems go (a line with its newline): default `console`. Under a
   * service manager pass stderr (the journal) or another channel; null drops them.
   */
  readonly problems?: ((line: string) => void) | null;
  /** Child output records (event 'output') go to the file too; default false (they have their own). */
  readonly outputToFile?: boolean;
  /** Timers of the file writer (retries, checks, hourly/daily rotation). */
  readonly clock: Clock;
  /** Wall clock for record times and rotated-file names; default: new Date(). */
  readonly now?: () => Date;
  readonly fs?: OutputFs;
  readonly intervals?: Partial<OutputIntervals>;
}

export interface SupervisorLog {
  /** The file written now: `<log.dir>/_corral.<service>.log`. */
  readonly path: string;
  log(record: LogRecord): void;
  /** Applies a reloaded manifest's log settings from the next record on. */
  reconfigure(spec: LogSpec): void;
  /**
   * Resolves once every record logged so far is written to the file (not necessarily fsynced).
   * While the file cannot be written, that is once a retry succeeds.
   */
  flush(): Promise<void>;
  /**
   * Writes what is pending, closes the file and ends winston; never rejects. On a failing disk it
   * tries once more, then drops what is left and reports it, so it always ends.
   */
  close(): Promise<void>;
}

const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 };

export function createSupervisorLog(options: SupervisorLogOptions): SupervisorLog {
  return new WinstonSupervisorLog(options);
}

class WinstonSupervisorLog implements SupervisorLog {
  readonly #service: string;
  readonly #console: ((line: string) => void) | null;
  readonly #problems: ((line: string) => void) | null;
  readonly #outputToFile: boolean;
  readonly #now: () => Date;
  readonly #file: FileTransport;
  readonly #logger: winston.Logger;
  #spec: LogSpec;
  /** SEQ of the last record handed to winston. */
  #seq = 0;
  #closed = false;
  #closing: Promise<void> | null = null;

  constructor(options: SupervisorLogOptions) {
    this.#spec = options.spec;
    this.#service = options.service;
    this.#console = options.console;
    this.#problems = options.problems === undefined ? options.console : options.problems;
    this.#outputToFile = options.outputToFile ?? false;
    this.#now = options.now ?? (() => new Date());
    this.#file = new FileTransport({
      target: this.#target(options.spec),
      clock: options.clock,
      now: this.#now,
      ...(options.fs === undefined ? {} : { fs: options.fs }),
      ...(options.intervals === undefined ? {} : { intervals: options.intervals }),
      onProblem: (message) => {
        this.#report('warn', message);
      },
      onRecover: (message) => {
        this.#report('info', message);
      },
    });
    const transports: WinstonTransport[] = [this.#file];
    if (this.#console !== null) transports.push(new ConsoleTransport(this.#console));
    this.#logger = winston.createLogger({
      levels: LEVELS,
      // Every record that reaches winston has passed log.level already (in log(), before any
      // rendering). Filtering again here would drop, after a reload raised the level, records
      // still on their way, and flush() would wait for them forever.
      level: 'debug',
      // The lines are rendered already; winston's default (json) would render each record again.
      format: winston.format((info) => info)(),
      transports,
      exitOnError: false,
    });
    this.#logger.on('error', (error: unknown) => {
      this.#report('error', `the log failed: ${String(error)}`);
    });
  }

  get path(): string {
    return supervisorLogFile(this.#spec.dir, this.#service);
  }

  log(record: LogRecord): void {
    const spec = this.#spec;
    if (!levelEnabled(record.level, spec.level)) return;
    const toFile = !this.#closed && (this.#outputToFile || record.event !== 'output');
    if (!toFile && this.#console === null) return;
    const time = this.#now().toISOString();
    const json = spec.format === 'json' ? jsonLine(record, time) : null;
    const consoleLine = this.#console === null ? undefined : `${json ?? textLine(record, time, 'clock')}\n`;
    if (!toFile) {
      // Console only (child output, or after close): written straight away. Through winston it
      // would cost ~4 µs more on the busiest path there is; and since winston hands each record to
      // the transports before write() returns, lines still reach the console in order.
      this.#writeConsole(consoleLine);
      return;
    }
    const info: LineInfo = {
      level: record.level,
      message: record.message,
      [SEQ]: ++this.#seq,
      ...(consoleLine === undefined ? {} : { [CONSOLE_LINE]: consoleLine }),
      [FILE_LINE]: json ?? textLine(record, time, 'full'),
    };
    try {
      this.#logger.write(info);
    } catch (error) {
      this.#report('error', `the log failed: ${String(error)}`);
    }
  }

  reconfigure(spec: LogSpec): void {
    this.#spec = spec;
    if (!this.#closed) this.#file.retarget(this.#target(spec), this.#seq);
  }

  flush(): Promise<void> {
    return this.#file.flush(this.#seq);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    // Once every record has reached the file transport nothing waits in winston's stream buffers,
    // so ending the logger cannot cut one off. Not flush(): on a failing disk that waits for the
    // disk, while closing the file tries once more and then gives up, reporting what was lost.
    await this.#file.arrived(this.#seq);
    // The logger's 'finish' waits for each transport's (winston's Logger#_final), and the file
    // transport finishes only once its file is closed (FileTransport#_final).
    const finished = new Promise<void>((resolve) => {
      this.#logger.once('finish', resolve);
    });
    this.#logger.end();
    await finished;
  }

  #target(spec: LogSpec): FileTarget {
    return { dir: spec.dir, stem: supervisorLogStem(this.#service), rotation: spec.rotation };
  }

  /** A problem with the log itself: straight to the problem line, never into the log it concerns. */
  #report(level: LogRecord['level'], message: string): void {
    if (this.#problems === null) return;
    const record: LogRecord = { level, event: 'log-file', message };
    const time = this.#now().toISOString();
    const line = this.#spec.format === 'json' ? jsonLine(record, time) : textLine(record, time, 'clock');
    try {
      this.#problems(`${line}\n`);
    } catch {
      // Nowhere left to say it.
    }
  }

  #writeConsole(line: string | undefined): void {
    if (line === undefined || this.#console === null) return;
    try {
      this.#console(line);
    } catch {
      // A console that cannot be written has nowhere to report to.
    }
  }
}
