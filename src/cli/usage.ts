import { CorralError } from '../errors.js';

export const DEFAULT_MANIFEST = './corral.yaml';

export function usageError(message: string, usage: string): CorralError {
  return new CorralError('E_USAGE', message, usage.split('\n')[0]);
}

/** The manifest a command works on: the positional argument or -c/--config, not both. */
export function manifestArgument(config: string | undefined, positionals: string[], command: string): string {
  if (positionals.length > 1) {
    throw new CorralError(
      'E_USAGE',
      `corral ${command} takes one manifest, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const [positional] = positionals;
  if (positional !== undefined && config !== undefined && positional !== config) {
    throw new CorralError('E_USAGE', `two manifests given: ${positional} and --config ${config}; give one`);
  }
  return positional ?? config ?? DEFAULT_MANIFEST;
}
