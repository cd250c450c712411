// /proc reading against real process trees from the fixture child (Linux only).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  descendantsOf,
  identify,
  isAlive,
  parseStat,
  readStat,
  type ProcessIdentity,
} from '../../src/platform/posix/proc.js';
import { waitForLine } from '../helpers/lines.js';

const linux = process.platform === 'linux';
const started: ProcessIdentity[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const who of started.splice(0)) if (isAlive(who)) process.kill(who.pid, 'SIGKILL');
});

function fixture(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['test/fixtures/child.mjs', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

describe('parseStat', () => {
  it('reads the fields after a comm that holds spaces and parentheses', () => {
    const line =
      '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000000 200';
    expect(parseStat(line)).toEqual({
      pid: 4242,
      comm: 'my (odd) name',
      state: 'S',
      ppid: 17,
      pgrp: 4242,
      session: 4242,
      startTime: 987654,
    });
  });

  it('refuses what is not a stat line', () => {
    expect(parseStat('')).toBeNull();
    expect(parseStat('12 no parens S 1')).toBeNull();
  });
});

describe.skipIf(!linux)('live processes', () => {
  it('identifies a process by pid and start time; a different start time is a different process', () => {
    const me = identify(process.pid);
    expect(me).not.toBeNull();
    expect(isAlive(me as ProcessIdentity)).toBe(true);
    expect(isAlive({ pid: process.pid, startTime: (me as ProcessIdentity).startTime + 1 })).toBe(false);
    expect(readStat(process.pid)?.ppid).toBe(process.ppid);
  });

  it('finds every member of a tree, a grandchild in its own session included', async () => {
    const child = fixture('--name', 't', '--tree', '2', '--setsid-grandchild');
    const stdout = child.stdout as Readable;
    const grandchild = Number((await waitForLine(stdout, /^GRANDCHILD \S+ (\d+)/, 10_000))[1]);
    await waitForLine(stdout, /^READY /, 10_000);
    const pid = child.pid as number;
    const tree = descendantsOf(pid);
    for (const p of tree) started.push({ pid: p.pid, startTime: p.startTime });
    expect(tree.map((p) => p.pid)).toContain(grandchild);
    expect(tree).toHaveLength(3);
    const lonely = tree.find((p) => p.pid === grandchild);
    expect(lonely?.session).toBe(grandchild);
    expect(lonely?.session).not.toBe(readStat(pid)?.session);
  });

  it('says a process is gone once it exits', async () => {
    const child = fixture('--name', 'brief', '--exit', '0', '--after', '50');
    const who = identify(child.pid as number) as ProcessIdentity;
    await new Promise((resolve) => child.once('exit', resolve));
    expect(isAlive(who)).toBe(false);
  });
});
