// Where the control channel listens, so that the CLI finds the supervisor from the same manifest.
//
// POSIX: a Unix domain socket beside the manifest lock, in the per-user runtime folder
// (platform/posix/manifest-lock.ts: $XDG_RUNTIME_DIR/corral, /run/corral as root, else
// <tmpdir>/corral-<uid>), named like the lock: <service>-<first 12 hex of sha256(real manifest
// path)>.sock. The hash tells manifests apart; the service name is there for people, so a CLI whose
// manifest no longer names the service the supervisor runs under (renamed, or the file is broken)
// still finds it by the hash (socketsForManifest).
//
// A Unix socket path must fit in sun_path: 108 bytes with the terminating NUL on Linux, 104 on the
// BSDs and macOS. A longer path is refused with the way out (a shorter XDG_RUNTIME_DIR).
//
// Windows: the named pipe \\.\pipe\corral-<service>. Pipe names are machine-wide, like service
// names; who may open it is the pipe's own security descriptor (pipe-server.ts, pipe-security.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lockFileName, runtimeDirFor, type RuntimeContext } from '../platform/posix/manifest-lock.js';
import { ControlError } from './errors.js';

/** The runtime context from an environment and this process (the same one the lock uses). */
export function runtimeContext(env: Readonly<Record<string, string | undefined>>): RuntimeContext {
  return {
    xdgRuntimeDir: env['XDG_RUNTIME_DIR'],
    uid: process.getuid?.() ?? -1,
    tmpdir: os.tmpdir(),
    platform: process.platform,
  };
}

/** The manifest's real path, which the lock and the socket name are hashed from. */
export function realManifestPath(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    return absolute; // as the lock does: a missing manifest is reported by the loader
  }
}

/** <service>-<hash>.sock: the lock's name with another extension, so the two always match. */
export function socketFileName(manifest: string, service: string): string {
  return lockFileName(manifest, service).replace(/\.lock$/, '.sock');
}

/** The end of every socket name for `manifest`, whatever the service is called: -<hash>.sock. */
function socketSuffix(manifest: string): string {
  return socketFileName(manifest, '_').slice(1);
}

/** <dir>/*-<hash>.sock, to tell people where sockets for `manifest` would be. */
export function socketPattern(dir: string, manifest: string): string {
  return path.join(dir, `*${socketSuffix(manifest)}`);
}

export function pipeName(service: string): string {
  return `\\\\.\\pipe\\corral-${service.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}`;
}

/** The control socket (or pipe) of the supervisor of `manifest` (its real path). */
export function controlSocketPath(manifest: string, service: string, context: RuntimeContext): string {
  if (context.platform === 'win32') return pipeName(service);
  return path.join(runtimeDirFor(context), socketFileName(manifest, service));
}

/** How many bytes of sun_path a path may use (the rest is the terminating NUL). */
export function maxSocketPathBytes(platform: NodeJS.Platform): number {
  return platform === 'linux' ? 107 : 103;
}

/** Why the socket cannot live at `socketPath`, or null when it can. */
export function socketPathProblem(socketPath: string, platform: NodeJS.Platform): ControlError | null {
  if (platform === 'win32') return null;
  const bytes = Buffer.byteLength(socketPath);
  const max = maxSocketPathBytes(platform);
  if (bytes <= max) return null;
  return new ControlError(
    'E_SOCKET_PATH',
    `the control socket path ${socketPath} is ${bytes} bytes long; a Unix socket path can have at most ${max}`,
    `set XDG_RUNTIME_DIR to a shorter folder of your own (the socket goes in $XDG_RUNTIME_DIR/corral), ` +
      `or shorten service.name`,
  );
}

/**
 * The sockets in `dir` named for `manifest` under any service name, newest first: where to look
 * when the socket under the service name the manifest gives now is not there.
 */
export function socketsForManifest(dir: string, manifest: string): string[] {
  const suffix = socketSuffix(manifest);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const found: { file: string; mtime: number }[] = [];
  for (const name of names) {
    if (!name.endsWith(suffix) || name.length === suffix.length) continue;
    const file = path.join(dir, name);
    try {
      const stat = fs.lstatSync(file);
      if (stat.isSocket()) found.push({ file, mtime: stat.mtimeMs });
    } catch {
      // gone since readdir
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map((entry) => entry.file);
}
