// config.example.yaml is the demo `npm start` uses and the first manifest a newcomer reads:
// it must validate cleanly on both platforms and match the JSON Schema editors check it against.
import fs from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/run-cli.js';

describe('config.example.yaml', () => {
  it('starts with the schema comment for editors', () => {
    expect(fs.readFileSync('config.example.yaml', 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./manifest.schema.json',
    );
  });

  for (const platform of ['linux', 'windows']) {
    it(`validates with no errors and no warnings for ${platform}`, async () => {
      const r = await runCli(['validate', 'config.example.yaml', '--platform', platform]);
      expect(r).toEqual({
        code: 0,
        stdout: 'config.example.yaml: valid, 4 processes, 0 warnings\n',
        stderr: '',
      });
    });
  }

  it('is a small stack with dependencies, readiness, a stop chain and a restart policy', async () => {
    const r = await runCli(['validate', 'config.example.yaml', '--json', '--plan']);
    expect(r.code).toBe(0);
    const plan = (await runCli(['validate', 'config.example.yaml', '--plan'])).stdout;
    expect(plan).toContain('waits for db ready');
    expect(plan).toContain('ready: tcp');
    expect(plan).toContain('ready: http');
    expect(plan).toMatch(/command 15s → graceful \(SIGTERM\) 10s → kill/);
  });

  it('matches manifest.schema.json as an editor would read it', () => {
    const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
      JSON.parse(fs.readFileSync('manifest.schema.json', 'utf8')) as object,
    );
    const ok = validate(parse(fs.readFileSync('config.example.yaml', 'utf8'), { merge: true }));
    expect({ ok, errors: validate.errors }).toEqual({ ok: true, errors: null });
  });
});
