// The two winston transports of the supervisor's log: the console (stderr in the foreground) and
// the log file, an OutputFile (output-file.ts) so that rotation, retention, gzip and the handling of
// a missing, deleted, unwritable or full disk are the ones process output files have.
//
// Lines are rendered before they enter winston (supervisor-log.ts), so a transport only writes the
// line meant for it: the info's CONSOLE_LINE (absent without a console) or FILE_LINE. Every info carries SEQ, a
// number counting up from 1, which lets the file transport tell the log when all records up to a
// point have reached it (flush) and switch files exactly between two records (a reload that moves
// log.dir or changes rotation), whatever winston buffers in between.
//
// Lifecycle of FileTransport: it opens its file at once (in the background); retarget() switches
// to another file after a given record; flush(seq) resolves once records up to seq are written;
// ending the stream (winston's logger.end()) closes the file before the transport's 'finish'.
import { isDeepStrictEqual } from 'node:util';
import winston from 'winston';
import type { Clock } from '../core/clock.js';
import type { RotationSpec } from '../manifest/spec.js';
import type { Line } from './line-splitter.js';
import { OutputFile, type OutputIntervals } from './output-file.js';
import type { OutputFs } from './output-fs.js';

/** A transport as winston's typings know it (winston-transport's TransportStream). */
export type WinstonTransport = Extract<
  NonNullable<winston.LoggerOptions['transports']>,
  readonly unknown[]
>[number];

// The base class of transports: winston's typings call it `transport`, but at run time it is
// `Transport` (winstonjs/winston#1690).
const Transport = (winston as unknown as { Transport: new () => WinstonTransport }).Transport;

export const SEQ = Symbol('corral.seq');
export const CONSOLE_LINE = Symbol('corral.consoleLine');
export const FILE_LINE = Symbol('corral.fileLine');

/** What the supervisor's log hands winston for one record. */
export interface LineInfo {
  readonly level: string;
  readonly message: string;
  readonly [SEQ]: number;
  /** With its newline. */
  readonly [CONSOLE_LINE]?: string;
  /** Without a newline; a text message's own newlines make more lines. */
  readonly [FILE_LINE]: string;
}

/** Writes each console line at once (stderr is synchronous for files, terminals and pipes on Linux). */
export class ConsoleTransport extends Transport {
  readonly #write: (line: string) => void;

  constructor(write: (line: string) => void) {
    super();
    this.#write = write;
  }

  override log(info: LineInfo, next: () => void): void {
    const line = info[CONSOLE_LINE];
    try {
      if (line !== undefined) this.#write(line);
    } catch {
      // A console that cannot be written (a closed pipe) has nowhere to report to.
    }
    next();
  }
}

/** Which file the log goes to: `<dir>/<stem>.log`, rotated per `rotation`. */
export interface FileTarget {
  readonly dir: string;
  readonly stem: string;
  readonly rotation: RotationSpec;
}

export interface FileTransportOptions {
  readonly target: FileTarget;
  readonly clock: Clock;
  readonly now: () => Date;
  readonly fs?: OutputFs;
  readonly intervals?: Partial<OutputIntervals>;
  readonly onProblem: (message: string) => void;
  readonly onRecover: (message: string) => void;
}

export class FileTransport extends Transport {
  readonly #options: FileTransportOptions;
  #file: OutputFile;
  #target: FileTarget;
  /** The target to switch to when the switch in progress has closed the old file. */
  #wanted: FileTarget;
  /** Lines that arrived while switching files; written to the new file once it is open. */
  #held: Line[] = [];
  #switching: Promise<void> | null = null;
  /** Switches due after a record that has not arrived yet, in order. */
  #due: { readonly after: number; readonly target: FileTarget }[] = [];
  /** The SEQ of the last record that arrived. */
  #seen = 0;
  #arrivals: { readonly seq: number; readonly resolve: () => void }[] = [];

  constructor(options: FileTransportOptions) {
    super();
    this.#options = options;
    this.#target = this.#wanted = options.target;
    this.#file = this.#open(options.target);
  }

  override log(info: LineInfo, next: () => void): void {
    const seq = info[SEQ];
    for (let due = this.#due[0]; due !== undefined && due.after < seq; due = this.#due[0]) {
      this.#due.shift();
      this.#switchTo(due.target);
    }
    for (const part of info[FILE_LINE].split('\n')) {
      this.#write({ bytes: Buffer.from(part, 'utf8'), complete: true });
    }
    this.#seen = seq;
    if (this.#arrivals.length > 0) this.#settleArrivals();
    next();
  }

  /** Records after `after` go to `target` (a no-op when it is the file written now). */
  retarget(target: FileTarget, after: number): void {
    if (this.#seen >= after) this.#switchTo(target);
    else this.#due.push({ after, target });
  }

  /**
   * Resolves once every record up to `seq` has arrived and is written to its file. While the disk
   * fails that waits for a retry to succeed (closing does not: see OutputFile#close).
   */
  async flush(seq: number): Promise<void> {
    await this.arrived(seq);
    for (;;) {
      const switching = this.#switching;
      if (switching !== null) {
        await switching;
        continue;
      }
      const file = this.#file;
      await file.flush();
      if (this.#switching === null && this.#file === file) return;
    }
  }

  /** The stream is ending (every write has arrived): close the file, then let 'finish' come. */
  override _final(callback: (error?: Error | null) => void): void {
    const finish = async (): Promise<void> => {
      while (this.#switching !== null) await this.#switching;
      await this.#file.close();
    };
    finish().then(
      () => {
        callback();
      },
      (error: unknown) => {
        this.#options.onProblem(`closing ${this.#file.path}: ${String(error)}`);
        callback();
      },
    );
  }

  #write(line: Line): void {
    // write() asks to pause when the disk lags; the supervisor cannot pause, and the file's queue
    // is bounded (lines past it are dropped, counted and reported).
    if (this.#switching === null) this.#file.write(line);
    else this.#held.push(line);
  }

  #switchTo(target: FileTarget): void {
    this.#wanted = target;
    if (this.#switching !== null) return; // the switch in progress opens #wanted
    if (isDeepStrictEqual(target, this.#target)) return;
    // The old file is closed (flushed) before the new one opens: never two writers on one file.
    this.#switching = this.#switch();
  }

  async #switch(): Promise<void> {
    await this.#file.close();
    this.#target = this.#wanted;
    this.#file = this.#open(this.#target);
    const held = this.#held;
    this.#held = [];
    this.#switching = null;
    for (const line of held) this.#file.write(line);
  }

  #open(target: FileTarget): OutputFile {
    const { clock, now, fs, intervals, onProblem, onRecover } = this.#options;
    return new OutputFile({
      dir: target.dir,
      stem: target.stem,
      timestamps: false,
      rotation: target.rotation,
      clock,
      now,
      ...(fs === undefined ? {} : { fs }),
      ...(intervals === undefined ? {} : { intervals }),
      onProblem,
      onRecover,
    });
  }

  /** Resolves once every record up to `seq` has reached this transport. */
  arrived(seq: number): Promise<void> {
    if (this.#seen >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#arrivals.push({ seq, resolve }));
  }

  #settleArrivals(): void {
    const waiting = this.#arrivals;
    this.#arrivals = [];
    for (const arrival of waiting) {
      if (this.#seen >= arrival.seq) arrival.resolve();
      else this.#arrivals.push(arrival);
    }
  }
}
