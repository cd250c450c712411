// Loading a manifest: read → decode → parse with positions → check against the schema → resolve →
// semantic checks. Every problem is collected; nothing throws except an unreadable file.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CorralError } from '../errors.js';
import { DiagnosticSink, type Diagnostic } from './diagnostics.js';
import { resolveManifest } from './resolve.js';
import { YamlCheckContext } from './schema/context.js';
import { INVALID } from './schema/dsl.js';
import { manifestSchema, type ManifestInput } from './schema/manifest.js';
import { checkSemantics, displayRelativeTo } from './semantic.js';
import type { Platform, ResolvedManifest } from './spec.js';
import { decodeManifest, MAX_MANIFEST_BYTES } from './text.js';
import { parseYaml } from './yaml-source.js';

export interface LoadOptions {
  /** The platform to check for; default: the one we run on. */
  readonly platform?: Platform;
  /** Environment for `${VAR}` expansion; default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How the file is named in diagnostics; default: the path as given. */
  readonly displayPath?: string;
}

export interface LoadResult {
  /** Null when there is any error. */
  readonly manifest: ResolvedManifest | null;
  /** Errors and warnings, in file order. */
  readonly diagnostics: readonly Diagnostic[];
}

export function hostPlatform(): Platform {
  return process.platform === 'win32' ? 'windows' : 'linux';
}

/** Reads and checks a manifest. Throws CorralError(E_READ) only when the file cannot be read. */
export async function loadManifest(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const { bytes, size } = await readManifestBytes(file);
  return checkManifest(
    bytes,
    path.resolve(file),
    { ...options, displayPath: options.displayPath ?? file },
    size,
  );
}

/** Reads at most one byte past the size limit, so /dev/zero or a 10 GB log cannot hang us. */
async function readManifestBytes(file: string): Promise<{ bytes: Uint8Array; size: number }> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory())
      throw Object.assign(new Error('EISDIR: it is a folder, not a file'), { code: 'EISDIR' });
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length), size: Math.max(stat.size, length) };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const hint =
      e.code === 'ENOENT'
        ? 'check the path; every command takes the manifest as -c/--config (default ./corral.yaml)'
        : undefined;
    throw new CorralError('E_READ', `cannot read manifest ${file}: ${e.message}`, hint);
  } finally {
    await handle?.close();
  }
}

/** Checks manifest bytes as if read from `file` (absolute). Pure apart from env_file/cwd checks. */
export function checkManifest(
  bytes: Uint8Array,
  file: string,
  options: LoadOptions = {},
  fileSize = bytes.length,
): LoadResult {
  const display = options.displayPath ?? file;
  const platform = options.platform ?? hostPlatform();
  const sink = new DiagnosticSink(display);
  const result = (manifest: ResolvedManifest | null): LoadResult => ({
    manifest: sink.errorCount === 0 ? manifest : null,
    diagnostics: sink.sorted(),
  });
  const text = decodeManifest(bytes, sink, fileSize);
  if (text === null) return result(null);
  const parsed = parseYaml(text, sink);
  if (parsed === null) return result(null);
  const ctx = new YamlCheckContext(sink, platform, options.env ?? process.env, parsed.doc, parsed.lines);
  const root = ctx.deref(parsed.doc.contents, '');
  if (root === INVALID) return result(null);
  // The top level and the processes map check partially: what is valid comes back even when other
  // parts are not, so the checks below still run and every problem is reported at once.
  const input = manifestSchema().check(root, '', ctx) as Partial<ManifestInput> | typeof INVALID;
  if (input === INVALID || input.processes === undefined) return result(null);
  const names = new Set([
    ...Object.keys(input.processes),
    ...[...ctx.invalid].flatMap((p) => /^processes\.([A-Za-z][A-Za-z0-9_-]*)$/.exec(p)?.[1] ?? []),
  ]);
  const { manifest, complete, serviceValid } = resolveManifest(input, {
    file,
    platform,
    sink,
    positions: ctx.positions,
    invalid: ctx.invalid,
  });
  checkSemantics(manifest, {
    sink,
    positions: ctx.positions,
    checkFilesystem: platform === hostPlatform(),
    displayPath: displayRelativeTo(file, display),
    names,
    serviceValid,
    invalid: ctx.invalid,
  });
  return result(complete ? manifest : null);
}
