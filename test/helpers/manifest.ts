import path from 'node:path';
import { checkManifest, type LoadOptions, type LoadResult } from '../../src/manifest/load.js';
import type { ResolvedManifest } from '../../src/manifest/spec.js';

/** Where in-memory manifests pretend to live (nothing is read from there but env_files and cwds). */
export const FAKE_MANIFEST = path.resolve('test/fixtures/in-memory/corral.yaml');

export function check(yaml: string, options: LoadOptions = {}): LoadResult {
  return checkManifest(Buffer.from(yaml), FAKE_MANIFEST, { displayPath: 'corral.yaml', env: {}, ...options });
}

/** Loads a manifest that must be valid; fails the test with its diagnostics otherwise. */
export function load(yaml: string, options: LoadOptions = {}): ResolvedManifest {
  const { manifest, diagnostics } = check(yaml, options);
  if (manifest === null)
    throw new Error(`expected a valid manifest, got:\n${JSON.stringify(diagnostics, null, 2)}`);
  return manifest;
}

export const HEAD = 'version: 1\nservice: { name: demo }\n';
