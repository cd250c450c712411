// Every stable code is documented in README.md: scripts and users look codes up there.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors.js';
import { diagnosticCodes } from '../../src/manifest/codes.js';

const readme = fs.readFileSync('README.md', 'utf8');

describe('README.md', () => {
  it.each(Object.keys(diagnosticCodes))('documents diagnostic code %s', (code) => {
    expect(readme).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  });
  it.each(Object.keys(errorCodes))('documents error code %s', (code) => {
    expect(readme).toContain(`\`${code}\``);
  });
});
