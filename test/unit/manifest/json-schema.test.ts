// manifest.schema.json is generated from the schema source, committed for editors, and must agree
// with the validator on what a manifest looks like.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderJsonSchema } from '../../../src/manifest/schema/emit.js';

const committed = fs.readFileSync('manifest.schema.json', 'utf8');
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(committed) as object);

const shape = (yaml: string) => validate(parse(yaml, { merge: true }));

describe('manifest.schema.json', () => {
  it('is up to date with the schema source (run `npm run schema` after changing it)', () => {
    expect(committed).toBe(renderJsonSchema());
  });

  it('accepts the manifests the validator accepts', () => {
    for (const dir of ['test/fixtures/warnings']) {
      for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
        const ok = shape(fs.readFileSync(path.join(dir, f), 'utf8'));
        expect({ f, ok, errors: validate.errors }).toEqual({ f, ok: true, errors: null });
      }
    }
  });

  it('rejects what the validator rejects for its shape', () => {
    const head = 'version: 1\nservice: { name: demo }\n';
    const rejected = [
      `${head}processes:\n  web: { comand: x }\n`,
      `${head}processes:\n  web: { command: x, stop: [ { graceful: 10 sec }, kill ] }\n`,
      `${head}processes:\n  web: { command: x, stop: [ { graceful: 10s, timeout: 5s } ] }\n`,
      `${head}processes:\n  web: { command: x, depends_on: { db: redy } }\n`,
      `${head}processes:\n  web: { command: x, restart: { policy: sometimes } }\n`,
      `${head}processes:\n  web: { command: x, ready: { timeout: 5s } }\n`,
      `version: 2\nservice: { name: demo }\nprocesses:\n  web: { command: x }\n`,
      `version: 1\nservice: { name: "two words" }\nprocesses:\n  web: { command: x }\n`,
      `${head}log: { max_line: 1 megabyte }\nprocesses:\n  web: { command: x }\n`,
    ];
    for (const yaml of rejected) expect({ yaml, ok: shape(yaml) }).toEqual({ yaml, ok: false });
    expect(
      shape(
        `${head}x-any: 1\nprocesses:\n  web: { command: x, x-note: hi, stop: [ { graceful: 10s }, kill ] }\n`,
      ),
    ).toBe(true);
  });
});
