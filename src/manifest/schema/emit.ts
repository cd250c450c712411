import { manifestJsonSchema } from './manifest.js';

/** The exact text of manifest.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}
