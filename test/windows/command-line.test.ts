// How batch files are run through cmd.exe: pure, so it runs on Linux with the rest of the unit suite.
import { describe, expect, it } from 'vitest';
import {
  BatchArgumentError,
  batchCommandLine,
  cmdArguments,
  isBatchFile,
} from '../../src/platform/windows/command-line.js';

describe('isBatchFile', () => {
  it.each([
    ['run.bat', true],
    ['C:\\x\\RUN.CMD', true],
    ['run.bat.exe', false],
    ['node.exe', false],
    ['bat', false],
  ])('%s → %s', (program, expected) => {
    expect(isBatchFile(program)).toBe(expected);
  });
});

describe('batchCommandLine', () => {
  it.each([
    [['run.bat'], '""run.bat""'],
    [['C:\\Program Files\\app\\run.bat', 'a b'], '""C:\\Program Files\\app\\run.bat" "a b""'],
    // Operators are literal inside quotes; backslashes mean nothing to cmd.exe, so none is doubled.
    [['x.cmd', 'c&d', 'e|f', '<g>', '^h', '(i)'], '""x.cmd" "c&d" "e|f" "<g>" "^h" "(i)""'],
    [['x.bat', 'C:\\dir\\', ''], '""x.bat" "C:\\dir\\" """'],
  ])('%j → %s', (argv, expected) => {
    expect(batchCommandLine(argv)).toBe(expected);
  });

  it.each([
    ['100%', '%'],
    ['%PATH%', '%'],
    ['say "hi"', '"'],
    ['wow!', '!'],
    ['two\nlines', '\n'],
  ])('refuses %j, naming %j and the way out', (word, character) => {
    const run = () => batchCommandLine(['run.bat', 'ok', word]);
    expect(run).toThrow(BatchArgumentError);
    expect(run).toThrow(
      `command[2] contains ${JSON.stringify(character)}, which cmd.exe would change when it runs a batch file; ` +
        'pass the batch file its arguments another way (environment variables, a file) or write the whole ' +
        'command line yourself with shell: true',
    );
  });
});

describe('cmdArguments', () => {
  it('runs the line with no AutoRun and no delayed expansion, outer quotes stripped by /s', () => {
    expect(cmdArguments('""run.bat" "a""')).toEqual(['/d', '/v:off', '/s', '/c', '""run.bat" "a""']);
  });
});
