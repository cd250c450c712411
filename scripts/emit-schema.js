// Writes manifest.schema.json from the schema source (src/manifest/schema). Run `npm run schema`
// after changing the schema; a test fails while the committed file is stale.
import fs from 'node:fs';
import { renderJsonSchema } from '../dist/manifest/schema/emit.js';

const target = new URL('../manifest.schema.json', import.meta.url);
fs.writeFileSync(target, renderJsonSchema());
console.log(`wrote ${target.pathname}`);
