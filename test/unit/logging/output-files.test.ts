import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import {
  currentLogFile,
  fileSetsOf,
  formatStamp,
  isCompressionTemp,
  rotatedFileName,
  rotatedFiles,
  stemOf,
} from '../../../src/logging/output-files.js';

const AT = Date.UTC(2026, 10, 27, 21, 15, 0); // 2026-11-27T21:15:00Z

describe('output file names', () => {
  it('names the current file of each set', () => {
    expect(fileSetsOf('combined')).toEqual(['combined']);
    expect(fileSetsOf('separate')).toEqual(['stdout', 'stderr']);
    expect(['combined', 'stdout', 'stderr'].map((set) => stemOf('web', set as 'combined'))).toEqual([
      'web',
      'web.out',
      'web.err',
    ]);
    expect(currentLogFile('/var/log/corral', 'web', 'combined')).toBe(
      path.join('/var/log/corral', 'web.log'),
    );
    expect(currentLogFile('logs', 'web', 'stderr')).toBe(path.join('logs', 'web.err.log'));
  });

  it('stamps rotated files in UTC, with a sequence only for a second rotation in the same second', () => {
    expect(formatStamp(AT + 999)).toBe('20261127-211500');
    expect(rotatedFileName('web', AT, 0)).toBe('web.20261127-211500.log');
    expect(rotatedFileName('web.out', AT, 2, true)).toBe('web.out.20261127-211500_002.log.gz');
    expect(rotatedFileName('web', Date.UTC(2027, 0, 3, 4, 5, 6), 1234)).toBe('web.20270103-040506_1234.log');
  });

  it('lists rotated files oldest first, pairing a plain file with its gzip', () => {
    const names = [
      'web.log',
      'web.20261127-211500_010.log.gz',
      'web.20261127-211500_002.log',
      'web.20261127-211500.log',
      'web.20261127-211500.log.gz',
      'web.20261126-000000.log.gz',
      'web.out.20261125-000000.log',
      'webby.20261125-000000.log',
      'api.20261125-000000.log',
      'web.20261127-211500_002.log.gz.tmp',
    ];
    expect(rotatedFiles('web', names)).toEqual([
      { stamp: Date.UTC(2026, 10, 26), seq: 0, plain: null, gzip: 'web.20261126-000000.log.gz' },
      { stamp: AT, seq: 0, plain: 'web.20261127-211500.log', gzip: 'web.20261127-211500.log.gz' },
      { stamp: AT, seq: 2, plain: 'web.20261127-211500_002.log', gzip: null },
      { stamp: AT, seq: 10, plain: null, gzip: 'web.20261127-211500_010.log.gz' },
    ]);
    expect(rotatedFiles('web.out', names).map((f) => f.plain)).toEqual(['web.out.20261125-000000.log']);
  });

  it('ignores names the writer never makes', () => {
    const names = [
      'web.20261399-000000.log', // month 13
      'web.20261127-246000.log',
      'web.20261127-211500_000.log',
      'web.20261127-211500_02.log',
      'web.20261127-211500_0002.log',
      'web.20261127-211500.txt',
      'web.20261127-211500.log.bak',
    ];
    expect(rotatedFiles('web', names)).toEqual([]);
  });

  it('sorts the same in `ls` order as in time order, up to 999 rotations in a second', () => {
    const stamps = [AT - 1000, AT, AT, AT, AT + 1000];
    const seqs = [0, 0, 1, 999, 0];
    const names = stamps.map((stamp, i) => rotatedFileName('web', stamp, seqs[i] as number));
    expect([...names].sort()).toEqual(names);
    expect(rotatedFiles('web', [...names].reverse()).map((f) => f.plain)).toEqual(names);
  });

  it('recognises a compression left unfinished', () => {
    expect(isCompressionTemp('web', 'web.20261127-211500_002.log.gz.tmp')).toBe(true);
    expect(isCompressionTemp('web', 'web.20261127-211500.log.tmp')).toBe(false);
    expect(isCompressionTemp('web', 'web.out.20261127-211500.log.gz.tmp')).toBe(false);
    expect(isCompressionTemp('web.out', 'web.out.20261127-211500.log.gz.tmp')).toBe(true);
  });
});
