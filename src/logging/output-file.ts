// One output log file (`<dir>/<stem>.log`) and its rotated files: the writer behind a process's
// captured stdout/stderr.
//
// Lifecycle, for whoever owns one (process-output.ts):
//   1. new OutputFile() starts at once: the folder is created (step by step) and the file opened in
//      the background; a failure is reported, never thrown.
//   2. write(line) queues a line, or one piece of a line cut at log.max_line, and returns false when
//      the caller should pause reading the child until onDrain. Lines are written in order, in
//      batches, by one loop that is the only thing touching the file.
//   3. flush() resolves once everything accepted so far is written; close() flushes, stops the
//      timers, waits for a compression in progress, and closes the file.
//
// The loop rotates only between lines, so a line lands whole in one file. When the disk fails
// (missing or unwritable folder, full disk) lines wait in the bounded queue, the problem is reported
// once per interval, and the write is retried on a timer. While failing, write() does not ask the
// caller to pause: a broken disk should cost log lines (counted and reported), not stall the child.
// Every timer goes through the Clock and every wall-clock reading through `now`, so tests drive both.
import * as path from 'node:path';
import type { Clock, Timer } from '../core/clock.js';
import type { RotationSpec } from '../manifest/spec.js';
import { ensureDir } from './ensure-dir.js';
import type { Line } from './line-splitter.js';
import { RotatedUpkeep } from './maintain-rotated.js';
import { moveAside } from './move-aside.js';
import { currentFileName, rotatedFileName, rotatedFiles } from './output-files.js';
import { nodeOutputFs, type OutputFs } from './output-fs.js';
import { errorCode, faultMessage } from './output-problems.js';
import { OutputQueue, viewsAfter } from './output-queue.js';
import { ReportThrottle } from './report-throttle.js';
import { nextBoundary, nextRotated, periodStart } from './rotation.js';

export interface OutputLimits {
  /** Bytes held in memory at most; a line that would pass this is dropped and counted. */
  readonly queueBytes: number;
  /** write() returns false once this many bytes wait; onDrain comes when half of that is written. */
  readonly highWaterBytes: number;
  /** The most bytes one write(2) carries. */
  readonly batchBytes: number;
}

export interface OutputIntervals {
  /** ms between attempts while the file cannot be written. */
  readonly retry: number;
  /** ms between two reports of the same problem. */
  readonly report: number;
  /** ms between checks that the file is still there (deleted, or its folder deleted). */
  readonly check: number;
}

export interface OutputFileOptions {
  readonly dir: string;
  /** `web`, `web.out` or `web.err` (see output-files.ts). */
  readonly stem: string;
  readonly timestamps: boolean;
  readonly rotation: RotationSpec;
  readonly clock: Clock;
  /**
   * Wall clock, for timestamps, hourly/daily boundaries and rotated-file names. For timestamps it is
   * read at most once per millisecond of `clock` (a Date per line would cost more than the line).
   */
  readonly now?: () => Date;
  readonly fs?: OutputFs;
  readonly limits?: Partial<OutputLimits>;
  readonly intervals?: Partial<OutputIntervals>;
  /** Something went wrong with the file; says what, which path, and what happens meanwhile. */
  readonly onProblem?: (message: string) => void;
  /** Writing works again after a problem. */
  readonly onRecover?: (message: string) => void;
  /** write() returned false before; the caller may resume reading. */
  readonly onDrain?: () => void;
}

export const defaultOutputLimits: OutputLimits = Object.freeze({
  queueBytes: 4 * 1024 * 1024,
  highWaterBytes: 1024 * 1024,
  batchBytes: 512 * 1024,
});

export const defaultOutputIntervals: OutputIntervals = Object.freeze({
  retry: 1000,
  report: 30_000,
  check: 5000,
});

interface FlushWaiter {
  readonly target: number;
  readonly resolve: () => void;
}

export class OutputFile {
  readonly path: string;
  readonly #dir: string;
  readonly #stem: string;
  readonly #timestamps: boolean;
  readonly #rotation: RotationSpec;
  readonly #clock: Clock;
  readonly #now: () => Date;
  readonly #fs: OutputFs;
  readonly #limits: OutputLimits;
  readonly #intervals: OutputIntervals;
  readonly #onProblem: (message: string) => void;
  readonly #onRecover: (message: string) => void;
  readonly #onDrain: () => void;
  readonly #queue: OutputQueue;
  readonly #throttle: ReportThrottle;
  readonly #upkeep: RotatedUpkeep;

  #fd: number | null = null;
  #fileId: { dev: number; ino: number } | null = null;
  #fileSize = 0;
  /** The bytes written so far end where a line ends (rotation may happen here). */
  #atLineStart = true;
  /** The rest of a batch (views of the queue's head) not yet written. */
  #batch: Buffer[] | null = null;
  /** Queue bytes written (or given up at close): flush() waits for this to pass its mark. */
  #done = 0;
  #started = false;
  #lastRotated: { stamp: number; seq: number } | null = null;
  /** Wall-clock ms at which the time period ends; null for `every: never`. */
  #boundary: number | null = null;
  #rotateBlockedUntil = -Infinity;
  #fault: { since: number; code: string } | null = null;
  #paused = false;
  #checkDue = false;
  /** Lines were queued since the last check began. */
  #wroteSinceCheck = false;
  #running = false;
  /** Counts kicks, so the loop never stops just as new work arrives. */
  #kicks = 0;
  #closing = false;
  #closed = false;
  #close: Promise<void> | null = null;
  #droppedReported = 0;
  #prefixMs = NaN;
  #prefixTick = -Infinity;
  #prefix: Buffer = Buffer.alloc(0);
  #retryTimer: Timer | null = null;
  #checkTimer: Timer | null = null;
  #boundaryTimer: Timer | null = null;
  #dropTimer: Timer | null = null;
  #flushWaiters: FlushWaiter[] = [];
  #idleWaiters: (() => void)[] = [];

  constructor(options: OutputFileOptions) {
    this.#dir = options.dir;
    this.#stem = options.stem;
    this.path = path.join(options.dir, currentFileName(options.stem));
    this.#timestamps = options.timestamps;
    this.#rotation = options.rotation;
    this.#clock = options.clock;
    this.#now = options.now ?? (() => new Date());
    this.#fs = options.fs ?? nodeOutputFs;
    const limits = { ...defaultOutputLimits, ...options.limits };
    this.#limits = Object.freeze({
      ...limits,
      highWaterBytes: Math.min(limits.highWaterBytes, limits.queueBytes),
    });
    this.#intervals = Object.freeze({ ...defaultOutputIntervals, ...options.intervals });
    this.#onProblem = options.onProblem ?? (() => undefined);
    this.#onRecover = options.onRecover ?? (() => undefined);
    this.#onDrain = options.onDrain ?? (() => undefined);
    this.#queue = new OutputQueue(this.#limits.queueBytes);
    this.#throttle = new ReportThrottle(this.#clock, this.#intervals.report);
    this.#upkeep = new RotatedUpkeep({
      fs: this.#fs,
      dir: this.#dir,
      stem: this.#stem,
      rotation: this.#rotation,
      clock: this.#clock,
      now: this.#now,
      onProblem: (key, message) => {
        this.#report(key, message);
      },
      onIdle: () => {
        this.#settleIdle();
      },
    });
    this.#kick();
  }

  /**
   * Queues one line or piece (`complete: false` pieces get no newline, and the piece after them no
   * timestamp). Returns false when the caller should stop reading the child until onDrain, and
   * after close() (the line is refused). The bytes are copied: the caller may reuse them at once.
   */
  write(line: Line): boolean {
    if (this.#closing) return false;
    const prefix = this.#timestamps && this.#queue.atLineStart ? this.#timestamp() : null;
    if (!this.#queue.push(prefix, line.bytes, line.complete)) this.#noteDrop();
    this.#wrote();
    this.#kick();
    if (this.#fault !== null || this.#held() < this.#limits.highWaterBytes) return true;
    this.#paused = true;
    return false;
  }

  /**
   * Writes whole lines at once: `bytes` is lines as the child wrote them, each ended by its \n (the
   * caller saw to it that none is longer than max_line). With timestamps, line by line. Copied,
   * as write().
   */
  writeBlock(bytes: Buffer): boolean {
    if (this.#closing) return false;
    if (this.#timestamps || !this.#queue.atLineStart) {
      let ok = true;
      let start = 0;
      for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
        ok = this.write({ bytes: bytes.subarray(start, end), complete: true }) && ok;
        start = end + 1;
      }
      return ok;
    }
    if (!this.#queue.pushBlock(bytes)) this.#noteDrop();
    this.#wrote();
    this.#kick();
    if (this.#fault !== null || this.#held() < this.#limits.highWaterBytes) return true;
    this.#paused = true;
    return false;
  }

  /** Lines dropped so far because the queue was full. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /**
   * True while the file cannot be opened or written (lines wait for the retry timer). Nothing
   * waiting on flush() then gets its lines on disk any sooner than the disk recovers.
   */
  get failing(): boolean {
    return this.#fault !== null;
  }

  /** Resolves when every line accepted so far is written to the file (not necessarily fsynced). */
  flush(): Promise<void> {
    const target = this.#queue.accepted;
    if (this.#done >= target) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push({ target, resolve }));
  }

  /**
   * Resolves when nothing is in progress: no write, rotation, retention or compression. Lines may
   * still wait for a retry timer.
   */
  idle(): Promise<void> {
    if (!this.#running && !this.#upkeep.busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Flushes and closes. A write that fails now is retried once at once; if that fails too, what is
   * left is dropped and reported, so closing always ends.
   */
  close(): Promise<void> {
    this.#close ??= this.#shutdown();
    return this.#close;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    this.#upkeep.stop(); // a compression in progress stops after its file; the next start finishes
    for (let attempt = 0; attempt < 2 && (this.#held() > 0 || this.#running); attempt++) {
      this.#retryTimer?.cancel();
      this.#retryTimer = null;
      this.#kick();
      await this.#whenStopped();
    }
    const left = this.#held();
    if (left > 0) {
      this.#done += this.#queue.discard();
      this.#batch = null;
      this.#onProblem(
        `${this.path}: ${left} bytes of output dropped at close: ${this.#fault?.code ?? 'cannot write'}`,
      );
      this.#settleFlush();
    }
    this.#reportDrops();
    for (const timer of [this.#checkTimer, this.#boundaryTimer, this.#dropTimer]) timer?.cancel();
    if (this.#fd !== null) await this.#closeFd();
    this.#closed = true;
    await this.idle();
  }

  #held(): number {
    return this.#queue.bytes;
  }

  /** `2026-11-27T21:15:00.123Z `; the wall clock is read at most once per monotonic millisecond. */
  #timestamp(): Buffer {
    const tick = this.#clock.now();
    if (tick - this.#prefixTick < 1 && tick >= this.#prefixTick) return this.#prefix;
    this.#prefixTick = tick;
    const now = this.#now();
    if (now.getTime() !== this.#prefixMs) {
      this.#prefixMs = now.getTime();
      this.#prefix = Buffer.from(`${now.toISOString()} `, 'latin1');
    }
    return this.#prefix;
  }

  #kick(): void {
    this.#kicks++;
    if (this.#running || this.#retryTimer !== null || this.#closed) return;
    this.#running = true;
    this.#loop();
  }

  /**
   * The write loop: the only code that touches the current file. Steps run one after another until
   * there is nothing to do; a step waiting for I/O returns 'later' and calls `#continue` when done.
   * Callbacks, not async functions: a batch is written per 64 KB pipe read when the disk keeps up,
   * and three awaits per batch made corral allocate half again as much as a bare pipe copy (more
   * GC: docs/design/performance.md).
   */
  #loop(): void {
    for (;;) {
      const kicks = this.#kicks;
      let step: boolean | 'later';
      try {
        step = this.#step((more) => {
          this.#continue(more, kicks);
        });
      } catch (error) {
        this.#crashed(error);
        return;
      }
      if (step === 'later') return;
      if (!this.#goesOn(step, kicks)) break;
    }
    this.#stopped();
  }

  #continue(more: boolean, kicks: number): void {
    if (this.#goesOn(more, kicks)) this.#loop();
    else this.#stopped();
  }

  /** After a step: on when it did something, or when a kick came while it ran (new work, maybe). */
  #goesOn(more: boolean, kicks: number): boolean {
    return more || !(this.#kicks === kicks || this.#retryTimer !== null || this.#closed);
  }

  #stopped(): void {
    this.#running = false;
    this.#settleIdle();
  }

  /** A bug, not a disk problem; the caller still must not see it. */
  #crashed(error: unknown): void {
    this.#failed('write', error);
    this.#stopped();
  }

  /**
   * One step of the loop: true when it did something, false when there is nothing more to do now,
   * 'later' when it waits for I/O and will call `done` (exactly once).
   */
  #step(done: (more: boolean) => void): boolean | 'later' {
    if (this.#fd === null) return this.#later(this.#open(), done);
    if (this.#checkDue) {
      this.#checkDue = false;
      return this.#later(
        this.#verify().then(() => true),
        done,
      );
    }
    if (this.#batch === null) {
      const due = this.#rotationDue();
      if (due && this.#atLineStart) {
        return this.#later(
          this.#rotate().then(() => true),
          done,
        );
      }
      if (this.#queue.bytes === 0) return false;
      const size = this.#rotation.size;
      const budget = due ? 0 : size !== null && size > 0 ? size - this.#fileSize : Infinity;
      this.#batch = this.#queue.peek(this.#limits.batchBytes, budget);
    }
    this.#writeBatch(this.#batch, this.#batch, this.#fd, done);
    return 'later';
  }

  #later(work: Promise<boolean>, done: (more: boolean) => void): 'later' {
    work.then(done, (error: unknown) => {
      this.#crashed(error);
    });
    return 'later';
  }

  /** Writes `rest`, the part of `batch` not written yet, then calls `done`. */
  #writeBatch(batch: Buffer[], rest: Buffer[], fd: number, done: (more: boolean) => void): void {
    this.#fs.writev(fd, rest, (error, written) => {
      try {
        if (error === null && written <= 0) {
          error = Object.assign(new Error('write wrote nothing'), { code: 'EIO' });
        }
        if (error !== null) {
          // Reopened on the retry: that also picks up a folder made again or a disk remounted.
          this.#batch = rest;
          this.#later(
            this.#closeFd().then(() => {
              this.#failed('write', error);
              return false;
            }),
            done,
          );
          return;
        }
        this.#queue.consume(written);
        this.#fileSize += written;
        this.#done += written;
        const left = viewsAfter(rest, written);
        if (left.length > 0) {
          this.#writeBatch(batch, left, fd, done);
          return;
        }
        this.#batchWritten(batch);
      } catch (bug) {
        this.#crashed(bug);
        return;
      }
      done(true);
    });
  }

  /** A whole batch is in the file. */
  #batchWritten(batch: Buffer[]): void {
    const last = batch.at(-1);
    if (last !== undefined) this.#atLineStart = last[last.length - 1] === 0x0a;
    this.#batch = null;
    this.#recovered();
    this.#settleFlush();
    if (this.#paused && this.#held() <= this.#limits.highWaterBytes / 2) {
      this.#paused = false;
      this.#onDrain();
    }
  }

  async #open(): Promise<boolean> {
    let stat;
    try {
      await ensureDir(this.#fs, this.#dir);
      const fd = await this.#fs.open(this.path, 'a+');
      try {
        stat = await this.#fs.fstat(fd);
      } catch (error) {
        await this.#fs.close(fd).catch(() => undefined);
        throw error;
      }
      this.#fd = fd;
    } catch (error) {
      this.#failed('open', error);
      return false;
    }
    this.#fileId = { dev: stat.dev, ino: stat.ino };
    this.#fileSize = stat.size;
    if (!this.#started) await this.#start(this.#fd, stat.size, stat.mtimeMs);
    this.#scheduleCheck();
    if (this.#held() === 0) this.#recovered();
    return true;
  }

  /** First open: end a half-written last line, learn the last rotation, tidy rotated files. */
  async #start(fd: number, size: number, mtimeMs: number): Promise<void> {
    this.#started = true;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const read = await this.#fs.read(fd, last, 0, 1, size - 1).catch(() => 0);
      if (read === 1 && last[0] !== 0x0a) {
        this.#queue.endLineFirst();
        this.#atLineStart = false;
      }
    }
    const names = await this.#fs.readdir(this.#dir).catch(() => []);
    const newest = rotatedFiles(this.#stem, names).at(-1);
    if (newest !== undefined) this.#lastRotated = { stamp: newest.stamp, seq: newest.seq };
    const now = this.#now().getTime();
    const start = periodStart(this.#rotation.every, now);
    // A file left from an earlier hour or day is rotated before anything new goes in.
    if (start !== null && size > 0 && mtimeMs < start) this.#boundary = start;
    else this.#scheduleBoundary(now);
    this.#upkeep.request();
  }

  #rotationDue(): boolean {
    if (this.#clock.now() < this.#rotateBlockedUntil) return false;
    const size = this.#rotation.size;
    if (size !== null && size > 0 && this.#fileSize >= size) return true;
    if (this.#boundary === null) return false;
    const now = this.#now().getTime();
    if (now < this.#boundary) return false;
    if (this.#fileSize > 0) return true;
    this.#scheduleBoundary(now); // an empty file is not rotated
    return false;
  }

  /** Closes the current file and moves it to its rotated name; the loop opens a new one next. */
  async #rotate(): Promise<void> {
    const now = this.#now().getTime();
    const next = nextRotated(this.#lastRotated, now);
    await this.#closeFd();
    const outcome = await moveAside(
      this.#fs,
      this.path,
      path.join(this.#dir, rotatedFileName(this.#stem, next.stamp, next.seq)),
    );
    if (outcome.kind === 'failed') {
      this.#rotateBlockedUntil = this.#clock.now() + this.#intervals.retry;
      this.#report('rotate', `${outcome.message}; writing on to ${this.path} and trying again later`);
      this.#clock.after(this.#intervals.retry, () => {
        this.#kick();
      });
      return;
    }
    if (outcome.kind === 'moved') {
      this.#lastRotated = next;
      this.#upkeep.request();
    }
    this.#scheduleBoundary(now);
  }

  #scheduleBoundary(now: number): void {
    this.#boundaryTimer?.cancel();
    this.#boundaryTimer = null;
    this.#boundary = nextBoundary(this.#rotation.every, now);
    if (this.#boundary === null || this.#closing) return;
    const arm = (delay: number): void => {
      this.#boundaryTimer = this.#clock.after(delay, () => {
        this.#boundaryTimer = null;
        // The monotonic timer and the wall clock can disagree (the clock was set): check again.
        const left = (this.#boundary ?? 0) - this.#now().getTime();
        if (left > 0) arm(left);
        else this.#kick();
      });
    };
    arm(this.#boundary - now);
  }

  /**
   * Arms the check that the file is still at its path. A file that took no line since the last
   * check is not checked again until a line comes (then before it is written): fifty idle processes
   * would otherwise cost ten stat calls a second (the idle-CPU target of the core issue).
   */
  #scheduleCheck(): void {
    if (this.#checkTimer !== null || this.#closing) return;
    this.#checkTimer = this.#clock.after(this.#intervals.check, () => {
      this.#checkTimer = null;
      if (!this.#running) this.#queue.release();
      // Due either way; an idle file's check waits for the loop's next turn, which its next line starts.
      this.#checkDue = true;
      if (!this.#wroteSinceCheck && !this.#running) return;
      this.#wroteSinceCheck = false;
      this.#kick();
    });
  }

  /** A line was queued (a check left due while idle runs before it is written). */
  #wrote(): void {
    this.#wroteSinceCheck = true;
  }

  /** Is the open file still the one at our path? Deleted (or its folder deleted): write a new one. */
  async #verify(): Promise<void> {
    const id = this.#fileId;
    let gone: boolean;
    try {
      const stat = await this.#fs.stat(this.path);
      gone = id === null || stat.ino !== id.ino || stat.dev !== id.dev;
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        this.#scheduleCheck();
        return;
      }
      gone = true;
    }
    if (!gone) {
      this.#scheduleCheck();
      return;
    }
    this.#report(
      'gone',
      `${this.path} was deleted or moved away while in use; writing to a new ${this.path} ` +
        `(lines written in the last ${this.#intervals.check / 1000} s may be lost)`,
    );
    await this.#closeFd();
  }

  async #closeFd(): Promise<void> {
    const fd = this.#fd;
    this.#fd = null;
    this.#fileId = null;
    if (fd !== null) await this.#fs.close(fd).catch(() => undefined);
  }

  #failed(what: 'open' | 'write', error: unknown): void {
    const code = errorCode(error);
    if (this.#fault === null) {
      this.#fault = { since: this.#clock.now(), code };
      // Paused callers resume: lines are now held, then dropped, rather than the child stalled.
      if (this.#paused) {
        this.#paused = false;
        this.#onDrain();
      }
    } else this.#fault.code = code;
    this.#report(
      `fault:${code}`,
      faultMessage(what, this.path, error, {
        queueBytes: this.#limits.queueBytes,
        retryMs: this.#intervals.retry,
      }),
    );
    if (this.#closing) return;
    this.#retryTimer?.cancel();
    this.#retryTimer = this.#clock.after(this.#intervals.retry, () => {
      this.#retryTimer = null;
      this.#kick();
    });
  }

  #recovered(): void {
    if (this.#fault === null) return;
    const seconds = Math.round((this.#clock.now() - this.#fault.since) / 1000);
    this.#fault = null;
    this.#onRecover(`writing ${this.path} again after ${seconds} s`);
  }

  #report(key: string, message: string): void {
    if (this.#throttle.allow(key)) this.#onProblem(message);
  }

  #noteDrop(): void {
    if (this.#dropTimer !== null) return;
    const wait = this.#throttle.wait('dropped');
    if (wait === 0) {
      this.#reportDrops();
      return;
    }
    this.#dropTimer = this.#clock.after(wait, () => {
      this.#dropTimer = null;
      this.#reportDrops();
    });
  }

  #reportDrops(): void {
    const count = this.#queue.dropped - this.#droppedReported;
    if (count === 0) return;
    this.#droppedReported += count;
    this.#throttle.allow('dropped');
    const why = this.#fault === null ? 'disk too slow' : `cannot write (${this.#fault.code})`;
    this.#onProblem(`${this.path}: ${count} line${count === 1 ? '' : 's'} dropped: ${why}`);
  }

  #settleFlush(): void {
    if (this.#flushWaiters.length === 0) return;
    const still: FlushWaiter[] = [];
    for (const waiter of this.#flushWaiters) {
      if (this.#done >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.#flushWaiters = still;
  }

  #settleIdle(): void {
    if (this.#running || this.#upkeep.busy) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once the write loop has stopped (maintenance may go on). */
  async #whenStopped(): Promise<void> {
    while (this.#running) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }
}
