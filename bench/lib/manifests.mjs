// The manifests corral runs in the benchmark, as YAML text, and loading one the way `corral run`
// does (checkManifest), failing loudly on any diagnostic.
import path from 'node:path';
import { checkManifest } from '../../dist/manifest/load.js';

/** The idle child of the start, stop and idle measures; 307 s: it outlives no run for long. */
export const SLEEP = ['sleep', '307'];

/** Restart at once, every time, without ever reaching the limit. */
export const QUICK_RESTART =
  '{ policy: always, delay: 0, jitter: 0, limit: { restarts: 100000, window: 1s } }';

/** `processes` is a list of `{ name, command, restart? }`. */
export function manifestYaml(service, processes) {
  const lines = ['version: 1', `service: { name: ${service} }`, 'processes:'];
  for (const p of processes) {
    lines.push(`  ${p.name}:`, `    command: ${JSON.stringify(p.command.map(literal))}`);
    if (p.restart !== undefined) lines.push(`    restart: ${p.restart}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The resolved manifest of `yaml`, as if read from `file` (its folder is the children's cwd). */
export function resolveManifest(yaml, file) {
  const { manifest, diagnostics } = checkManifest(Buffer.from(yaml), path.resolve(file), {
    env: process.env,
  });
  if (manifest === null) throw new Error(`bench manifest is invalid:\n${JSON.stringify(diagnostics)}`);
  return manifest;
}

/** A manifest string stands for itself: `$` is written `$$` so that no `${...}` is expanded. */
function literal(text) {
  return text.replaceAll('$', '$$$$');
}
