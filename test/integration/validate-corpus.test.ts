// Every manifest under test/fixtures/invalid and test/fixtures/warnings, validated by the CLI and
// compared word for word with its .expected file: the validator's output is user-facing API.
// A fixture may start with `# args: ...` to add arguments (e.g. --platform windows).
// To regenerate after an intended change: CORRAL_UPDATE_CORPUS=1 npx vitest run test/integration/validate-corpus.test.ts
// and review every changed .expected file before committing it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const update = process.env['CORRAL_UPDATE_CORPUS'] === '1';
const env = { CORRAL_TEST_PORT: '8080' };

function fixtures(folder: string): string[] {
  const dir = path.join('test', 'fixtures', folder);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}

function extraArgs(file: string): string[] {
  const first = fs.readFileSync(file, 'utf8').split('\n')[0] ?? '';
  const m = /^# args: (.*)$/.exec(first);
  return m?.[1] === undefined ? [] : m[1].split(' ');
}

function check(file: string, expectedCode: number) {
  return async () => {
    const result = await runCli(['validate', file, ...extraArgs(file)], env);
    const expectedFile = file.replace(/\.yaml$/, '.expected');
    if (update) fs.writeFileSync(expectedFile, result.stdout);
    expect(result.stdout).toBe(fs.readFileSync(expectedFile, 'utf8'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(expectedCode);
  };
}

describe('invalid manifests: exit 1 and the exact diagnostics', () => {
  const files = fixtures('invalid');
  it('has at least 40 of them', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });
  for (const file of files) it(path.basename(file), check(file, 1));
});

describe('manifests with warnings only: exit 0 and the exact warnings', () => {
  for (const file of fixtures('warnings')) it(path.basename(file), check(file, 0));
});
