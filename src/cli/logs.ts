// `corral logs`: prints the last lines of a process's output files, or of corral's own log, and
// with -f goes on printing what is written until Ctrl+C. It reads only the files in log.dir, named
// as output-files.ts and supervisor-log-file.ts say, so it works whether or not a supervisor runs;
// the manifest tells it where log.dir is and whether a process keeps stdout and stderr apart.
//
// corral's own log is asked for with --supervisor, not by a name: a process may be called `corral`.
import { StringDecoder } from 'node:string_decoder';
import * as fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import {
  currentLogFile,
  currentFileName,
  fileSetsOf,
  stemOf,
  type LogFileSet,
} from '../logging/output-files.js';
import { follow, listRotated, type Follower } from '../logging/read-logs.js';
import { supervisorLogStem } from '../logging/supervisor-log-file.js';
import { describeError } from '../logging/output-problems.js';
import { isMissing, tailSet } from '../logging/tail-set.js';
import { formatDiagnostic, summarize } from '../manifest/format.js';
import { hostPlatform, loadManifest } from '../manifest/load.js';
import type { ResolvedManifest } from '../manifest/spec.js';
import { closest } from '../manifest/suggest.js';
import { EXIT, type Io } from './io.js';
import { DEFAULT_MANIFEST, usageError } from './usage.js';

export const logsUsage = `usage: corral logs [-c <manifest>] [-n <lines>] [-f] [--stream stdout|stderr] <process>
       corral logs [-c <manifest>] [-n <lines>] [-f] --supervisor

Prints the last lines of a process's output, reading back through its rotated files (gzipped
ones too); with -f, goes on printing what is written, across rotations, until Ctrl+C. Only the
files in log.dir are read: it works whether or not the supervisor runs.
  -c, --config <file>   the manifest (default ${DEFAULT_MANIFEST}): where log.dir is
  -n, --lines <count>   how many lines to print first (default 50)
  -f, --follow          then print new lines as they are written, until Ctrl+C
  --stream <name>       only stdout or only stderr (a process with log.streams: separate);
                        without it both are printed, stdout first, each under a heading
  --supervisor          corral's own log (<log.dir>/_corral.<service>.log) instead
Exit status: 0 done (-f: stopped by Ctrl+C), 1 unknown process, no log files yet or invalid
manifest, 2 usage error or unreadable manifest.
`;

const DEFAULT_LINES = 50;
const FOLLOW_INTERVAL_MS = 250;

export interface LogsOptions {
  /** Ends -f; default: the first SIGINT (Ctrl+C) or SIGTERM this process gets. */
  readonly signal?: AbortSignal;
  /** ms between looks at a followed file. */
  readonly interval?: number;
}

/** One file set to print: a process's combined output, one of its streams, or corral's own log. */
interface Source {
  /** `web`, `api stdout`, `corral`. */
  readonly label: string;
  /** What tail-set.ts and follow-log.ts take as the name (the supervisor log's stem for corral's). */
  readonly name: string;
  readonly set: LogFileSet;
  /** The current file. */
  readonly path: string;
}

export async function logsCommand(args: string[], io: Io, options: LogsOptions = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f', default: false },
      stream: { type: 'string' },
      supervisor: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(logsUsage);
    return EXIT.ok;
  }
  const name = nameArgument(positionals, values.supervisor);
  const stream = streamOption(values.stream, values.supervisor);
  const lines = linesOption(values.lines);
  const file = values.config ?? DEFAULT_MANIFEST;
  const { manifest, diagnostics } = await loadManifest(file, { platform: hostPlatform(), env: io.env });
  if (manifest === null) {
    for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
    io.stderr(`${summarize(file, diagnostics, false, 0)}\n`);
    return EXIT.failed;
  }
  const sources = name === null ? [supervisorSource(manifest)] : processSources(manifest, name, stream, file);
  if (typeof sources === 'string') {
    io.stderr(sources);
    return EXIT.failed;
  }
  try {
    return await print(manifest.log.dir, name ?? 'corral', sources, lines, values.follow, io, options);
  } catch (error) {
    if (typeof (error as NodeJS.ErrnoException | null)?.code !== 'string') throw error;
    // The folder or a file is there but cannot be read (permissions, a folder where a file should be).
    io.stderr(`corral: cannot read the log files in ${manifest.log.dir}: ${describeError(error)}\n`);
    return EXIT.failed;
  }
}

async function print(
  dir: string,
  subject: string,
  sources: readonly Source[],
  lines: number,
  follows: boolean,
  io: Io,
  options: LogsOptions,
): Promise<number> {
  if (!(await anyFiles(dir, sources))) {
    const where = `no log files for ${subject} in ${dir} yet`;
    const paths = sources.map((s) => s.path).join(' and ');
    if (!follows) {
      io.stderr(`corral: ${where} (looked for ${paths} and their rotated files)\n`);
      return EXIT.failed;
    }
    io.stderr(`corral: ${where}; waiting for ${paths}\n`);
  }
  const printer = new Printer(io, sources.length > 1);
  if (follows) {
    await following(dir, sources, lines, printer, io, options);
    return EXIT.ok;
  }
  for (const source of sources) {
    printer.show(source);
    const tail = await tailSet(dir, source.name, source.set, lines, null);
    if (tail.length > 0) io.stdout(tail.map((line) => `${line.toString('utf8')}\n`).join(''));
  }
  return EXIT.ok;
}

/** The process name, or null for --supervisor. */
function nameArgument(positionals: string[], supervisor: boolean): string | null {
  if (supervisor) {
    if (positionals.length > 0) {
      throw usageError(
        `--supervisor prints corral's own log and takes no process name, got ${positionals.join(' ')}`,
        logsUsage,
      );
    }
    return null;
  }
  const [name, ...more] = positionals;
  if (name === undefined) throw usageError('corral logs needs a process name (or --supervisor)', logsUsage);
  if (more.length > 0) {
    throw usageError(
      `corral logs takes one process name, got ${positionals.length}: ${positionals.join(' ')}`,
      logsUsage,
    );
  }
  return name;
}

function streamOption(value: string | undefined, supervisor: boolean): 'stdout' | 'stderr' | null {
  if (value === undefined) return null;
  if (supervisor) throw usageError("--stream is for a process's output, not with --supervisor", logsUsage);
  if (value === 'stdout' || value === 'stderr') return value;
  throw usageError(`--stream must be stdout or stderr, got "${value}"`, logsUsage);
}

function linesOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LINES;
  if (!/^\d{1,9}$/.test(value))
    throw usageError(`-n must be a number of lines like 50, got "${value}"`, logsUsage);
  return Number(value);
}

function supervisorSource(manifest: ResolvedManifest): Source {
  const name = supervisorLogStem(manifest.service.name);
  return { label: 'corral', name, set: 'combined', path: currentLogFile(manifest.log.dir, name, 'combined') };
}

/** The process's file sets to print, or what to say when there is no such process or stream. */
function processSources(
  manifest: ResolvedManifest,
  name: string,
  stream: 'stdout' | 'stderr' | null,
  file: string,
): Source[] | string {
  const spec = manifest.processes.find((p) => p.name === name);
  if (spec === undefined) return unknownProcess(manifest, name, file);
  const sets = fileSetsOf(spec.output.streams);
  if (stream !== null && spec.output.streams === 'combined') {
    return (
      `corral: ${name} writes stdout and stderr to one file, ${currentFileName(stemOf(name, 'combined'))} ` +
      `(log.streams: combined), so --stream cannot pick one\n` +
      `hint: leave out --stream, or set log: { streams: separate } on ${name} to keep them apart from now on\n`
    );
  }
  return sets
    .filter((set) => stream === null || set === stream)
    .map((set) => ({
      label: set === 'combined' ? name : `${name} ${set}`,
      name,
      set,
      path: currentLogFile(manifest.log.dir, name, set),
    }));
}

function unknownProcess(manifest: ResolvedManifest, name: string, file: string): string {
  const names = manifest.processes.map((p) => p.name);
  const known = names.length === 0 ? 'it has no processes' : `its processes: ${names.join(', ')}`;
  const guess = closest(name, names);
  const hint =
    guess !== undefined
      ? `did you mean ${guess}?`
      : name === 'corral'
        ? "corral's own log is printed by corral logs --supervisor"
        : undefined;
  return `corral: no process named "${name}" in ${file}; ${known}\n${hint === undefined ? '' : `hint: ${hint}\n`}`;
}

/** Whether any of the sources has a current or rotated file. */
async function anyFiles(dir: string, sources: readonly Source[]): Promise<boolean> {
  for (const source of sources) {
    if ((await listRotated(dir, source.name, source.set)).length > 0) return true;
    try {
      await fs.stat(source.path);
      return true;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return false;
}

/** Prints file contents as text, with a heading before each source's part when there are several. */
class Printer {
  readonly #decoders = new Map<Source, StringDecoder>();
  #current: Source | null = null;

  constructor(
    private readonly io: Io,
    private readonly headings: boolean,
  ) {}

  /** The next text is `source`'s: head it, unless the last text was too. */
  show(source: Source): void {
    if (!this.headings || this.#current === source) return;
    this.io.stdout(`${this.#current === null ? '' : '\n'}==> ${source.label}: ${source.path} <==\n`);
    this.#current = source;
  }

  /** Bytes of `source`; a UTF-8 character cut between two chunks is printed whole with the second. */
  write(source: Source, chunk: Buffer): void {
    let decoder = this.#decoders.get(source);
    if (decoder === undefined) this.#decoders.set(source, (decoder = new StringDecoder('utf8')));
    const text = decoder.write(chunk);
    if (text === '') return;
    this.show(source);
    this.io.stdout(text);
  }

  end(): void {
    for (const [source, decoder] of this.#decoders) {
      const rest = decoder.end();
      if (rest === '') continue;
      this.show(source);
      this.io.stdout(rest);
    }
  }
}

/** -f: the last lines of each source, then what is written, until the signal. */
async function following(
  dir: string,
  sources: readonly Source[],
  lines: number,
  printer: Printer,
  io: Io,
  options: LogsOptions,
): Promise<void> {
  const { signal, dispose } =
    options.signal === undefined ? interruptSignal() : { signal: options.signal, dispose: () => undefined };
  const followers: Follower[] = [];
  try {
    for (const source of sources) {
      if (signal.aborted) break;
      const reported = new Set<string>();
      printer.show(source);
      const follower = follow({
        dir,
        name: source.name,
        set: source.set,
        lines,
        clock: systemClock,
        interval: options.interval ?? FOLLOW_INTERVAL_MS,
        onData: (chunk) => {
          printer.write(source, chunk);
        },
        onError: (error) => {
          // Reported once per kind: the next look tries again.
          const message = error instanceof Error ? error.message : String(error);
          if (reported.has(message)) return;
          reported.add(message);
          io.stderr(`corral: reading ${source.path}: ${message}\n`);
        },
      });
      followers.push(follower);
      await follower.ready; // the sources' earlier lines in order: stdout's, then stderr's
    }
    await aborted(signal);
  } finally {
    await Promise.all(followers.map((f) => f.cancel()));
    dispose();
    printer.end();
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

/** Aborted by the first SIGINT or SIGTERM; after dispose() those act as they normally would. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = (): void => {
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
