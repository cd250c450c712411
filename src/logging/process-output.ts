// A process's captured output: its stdout and stderr lines into one file (`streams: combined`) or
// one each (`separate`), as output-files.ts names them. The supervisor makes one per process, feeds
// it the LineSplitter's lines, pauses a pipe whose write() returned false until onDrain, and closes
// it when the process is removed or corral stops.
import type { Clock } from '../core/clock.js';
import type { OutputSpec, ProcessSpec, ResolvedManifest } from '../manifest/spec.js';
import type { Line } from './line-splitter.js';
import { fileSetsOf, stemOf } from './output-files.js';
import { OutputFile, type OutputFileOptions } from './output-file.js';

export type OutputStream = 'stdout' | 'stderr';

/**
 * What each of the process's files takes (limits are per file; onDrain: a file that asked to pause
 * has room again, so both pipes may be read), with the process's name and output spec in place of
 * a file's stem, timestamps and rotation.
 */
export type ProcessOutputOptions = Omit<OutputFileOptions, 'stem' | 'timestamps' | 'rotation'> & {
  readonly name: string;
  readonly output: OutputSpec;
};

/** What the files of every process report, with the process's name. */
export interface ProcessOutputsOptions {
  readonly clock: Clock;
  readonly onProblem?: (name: string, message: string) => void;
  readonly onRecover?: (name: string, message: string) => void;
}

/**
 * The Supervisor's openOutput for real files: a process's output into the current manifest's
 * log.dir, as its output spec says.
 */
export function processOutputs({ clock, onProblem, onRecover }: ProcessOutputsOptions) {
  return (spec: ProcessSpec, manifest: ResolvedManifest, onDrain: () => void): ProcessOutput =>
    new ProcessOutput({
      dir: manifest.log.dir,
      name: spec.name,
      output: spec.output,
      clock,
      onDrain,
      onProblem: (message) => {
        onProblem?.(spec.name, message);
      },
      onRecover: (message) => {
        onRecover?.(spec.name, message);
      },
    });
}

const ENDS_LINE: Line = Object.freeze({ bytes: Buffer.alloc(0), complete: true });

export class ProcessOutput {
  readonly #stdout: OutputFile;
  readonly #stderr: OutputFile;
  readonly #combined: boolean;
  /** Combined only: the stream whose line is cut at max_line and not finished yet. */
  #openLine: OutputStream | null = null;

  constructor({ name, output, ...shared }: ProcessOutputOptions) {
    const files = fileSetsOf(output.streams).map(
      (set) =>
        new OutputFile({
          ...shared,
          stem: stemOf(name, set),
          timestamps: output.timestamps,
          rotation: output.rotation,
        }),
    );
    const [first, second] = files as [OutputFile, OutputFile | undefined];
    this.#combined = second === undefined;
    this.#stdout = first;
    this.#stderr = second ?? first;
  }

  /** The current file of each stream (the same path twice when combined). */
  get paths(): Readonly<Record<OutputStream, string>> {
    return { stdout: this.#stdout.path, stderr: this.#stderr.path };
  }

  get dropped(): number {
    return this.#stdout.dropped + (this.#combined ? 0 : this.#stderr.dropped);
  }

  /**
   * Writes a line (or a piece of one) of `stream`. In a combined file, a line of the other stream
   * arriving while one is cut in pieces ends the cut line there; its rest follows as a new line.
   * Returns false when the caller should pause reading `stream` until onDrain.
   */
  write(stream: OutputStream, line: Line): boolean {
    const file = stream === 'stdout' ? this.#stdout : this.#stderr;
    if (this.#combined) {
      if (this.#openLine !== null && this.#openLine !== stream) file.write(ENDS_LINE);
      this.#openLine = line.complete ? null : stream;
    }
    return file.write(line);
  }

  /** Writes whole lines of `stream` at once (see OutputFile.writeBlock). */
  writeBlock(stream: OutputStream, bytes: Buffer): boolean {
    const file = stream === 'stdout' ? this.#stdout : this.#stderr;
    if (this.#combined) {
      if (this.#openLine !== null && this.#openLine !== stream) file.write(ENDS_LINE);
      this.#openLine = null;
    }
    return file.writeBlock(bytes);
  }

  /** True while either file cannot be written (see OutputFile.failing). */
  get failing(): boolean {
    return this.#stdout.failing || (!this.#combined && this.#stderr.failing);
  }

  flush(): Promise<void> {
    return this.#both((file) => file.flush());
  }

  idle(): Promise<void> {
    return this.#both((file) => file.idle());
  }

  close(): Promise<void> {
    return this.#both((file) => file.close());
  }

  async #both(fn: (file: OutputFile) => Promise<void>): Promise<void> {
    await Promise.all(this.#combined ? [fn(this.#stdout)] : [fn(this.#stdout), fn(this.#stderr)]);
  }
}
