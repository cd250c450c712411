// Hot reload as an operator meets it: `corral run` (in this process) with real children and the real
// file watcher; the manifest is edited on disk the ways editors and tools save it, and the log and
// each child's READY lines (which carry its pid) show what restarted and what did not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runForeground, stopRuns } from '../helpers/run-harness.js';
import { child } from '../helpers/supervised.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-reload-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
// A test that fails halfway still stops its supervisor and children.
afterEach(stopRuns);

/** The manifest text: `processes` is the YAML under `processes:`. */
function text(name: string, processes: string): string {
  return `version: 1\nservice: { name: ${name}, stop_timeout: 20s }\nprocesses:\n${processes}`;
}

function proc(name: string, ...flags: string[]): string {
  return `  ${name}: { command: ${child('--name', name, ...flags)} }\n`;
}

/** The pid in each READY line of `name`, in order. */
function readyPids(log: string, name: string): string[] {
  return [...log.matchAll(new RegExp(`READY ${name} pid=(\\d+)`, 'g'))].map((m) => m[1] as string);
}

const APPLIED = /reload applied/g;
const REJECTED = /reload \([^)]*\) rejected, nothing changed/g;

/** Starts a run of `processes` and waits until every named process is READY. */
async function running(name: string, processes: string, names: string[]) {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, text(name, processes));
  const r = runForeground(file);
  for (const n of names) await r.until(new RegExp(`READY ${n} `));
  await r.until(/status: running/);
  const stop = async () => {
    r.signals.emit('SIGINT');
    expect(await r.exit).toBe(0);
  };
  return { ...r, file, stop };
}

describe.skipIf(process.platform === 'win32')('hot reload', () => {
  it('an edit to one of five commands restarts only that process', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const r = await running('five', names.map((n) => proc(n)).join(''), names);
    const before = Object.fromEntries(names.map((n) => [n, readyPids(r.log(), n)]));
    fs.writeFileSync(
      r.file,
      text('five', names.map((n) => (n === 'c' ? proc(n, '--print', '1') : proc(n))).join('')),
    );
    await r.untilCount(APPLIED, 1);
    await r.untilCount(/READY c /g, 2);
    expect(r.log()).toMatch(/reload applied \([^)]*five\.yaml changed\): restart c \(changed: command/);
    for (const n of ['a', 'b', 'd', 'e']) expect(readyPids(r.log(), n)).toEqual(before[n]);
    expect(readyPids(r.log(), 'c')).toHaveLength(2);
    expect(r.log()).toMatch(/GOT c SIGTERM/);
    await r.stop();
  });

  it('adds and removes processes; the others keep running', async () => {
    const r = await running('addremove', proc('keep') + proc('gone'), ['keep', 'gone']);
    fs.writeFileSync(r.file, text('addremove', proc('keep') + proc('fresh')));
    await r.untilCount(APPLIED, 1);
    await r.until(/READY fresh /);
    expect(r.log()).toMatch(/GOT gone SIGTERM/);
    expect(r.log()).toMatch(/stop gone \(removed from the manifest\); start fresh \(added to the manifest\)/);
    expect(readyPids(r.log(), 'keep')).toHaveLength(1);
    await r.stop();
  });

  it('an invalid edit changes nothing and logs where it is wrong; the next good edit applies', async () => {
    const good = proc('a') + proc('b');
    const r = await running('invalid', good, ['a', 'b']);
    const bad = [
      // Truncated mid-save.
      {
        yaml: `version: 1\nservice: { name: invalid }\nprocesses:\n  a: { command: [x`,
        where: /invalid\.yaml:4:\d+/,
      },
      // A dependency cycle.
      {
        yaml: text(
          'invalid',
          `  a: { command: x, depends_on: { b: started } }\n  b: { command: x, depends_on: { a: started } }\n`,
        ),
        where: /invalid\.yaml:\d+:\d+ .*cycle/,
      },
      // A tab in the indentation.
      { yaml: text('invalid', `\ta: { command: x }\n`), where: /invalid\.yaml:4:1 .*tab/i },
    ];
    for (const [i, { yaml, where }] of bad.entries()) {
      fs.writeFileSync(r.file, yaml);
      await r.untilCount(REJECTED, i + 1);
      expect(r.log()).toMatch(where);
    }
    expect(r.count(APPLIED)).toBe(0);
    expect(readyPids(r.log(), 'a')).toHaveLength(1);
    expect(readyPids(r.log(), 'b')).toHaveLength(1);
    fs.writeFileSync(r.file, text('invalid', proc('a') + proc('b', '--print', '2')));
    await r.untilCount(APPLIED, 1);
    await r.untilCount(/READY b /g, 2);
    expect(readyPids(r.log(), 'a')).toHaveLength(1);
    await r.stop();
  });

  it('sees a save by rename-over, and goes on seeing later ones', async () => {
    const r = await running('atomic', proc('a'), ['a']);
    for (const [n, flags] of [
      [1, ['--print', '1']],
      [2, ['--print', '2']],
    ] as const) {
      const temp = `${r.file}.tmp`;
      fs.writeFileSync(temp, text('atomic', proc('a', ...flags)));
      fs.renameSync(temp, r.file);
      await r.untilCount(APPLIED, n);
      await r.untilCount(/READY a /g, n + 1);
    }
    await r.stop();
  });

  it('a deleted manifest warns and changes nothing; when it is back, it is loaded', async () => {
    const r = await running('deleted', proc('a'), ['a']);
    fs.rmSync(r.file);
    await r.until(/deleted\.yaml was deleted; everything goes on running/);
    fs.writeFileSync(r.file, text('deleted', proc('a') + proc('b')));
    await r.untilCount(APPLIED, 1);
    await r.until(/READY b /);
    expect(readyPids(r.log(), 'a')).toHaveLength(1);
    await r.stop();
  });

  it('200 writes within 2 s end in the last one, applied by a bounded number of reloads', async () => {
    const r = await running('burst', proc('a') + proc('v0'), ['a', 'v0']);
    for (let i = 1; i <= 200; i++) {
      fs.writeFileSync(r.file, text('burst', proc('a') + proc(`v${i}`)));
      // Shapes the burst (the writes are the input here), not a wait for anything.
      await new Promise((resolve) => setTimeout(resolve, 8));
    }
    await r.until(/READY v200 /, 15_000);
    await r.until(/reload applied[^\n]*start v200/);
    const applied = r.count(APPLIED);
    expect(applied).toBeGreaterThanOrEqual(1);
    expect(applied).toBeLessThanOrEqual(20);
    expect(readyPids(r.log(), 'a')).toHaveLength(1);
    await r.stop();
    // After the stop nothing from the burst but v200 may still have been running.
    const started = [...r.log().matchAll(/READY (v\d+) /g)].map((m) => m[1]);
    expect(started.at(-1)).toBe('v200');
  });

  it('a changed env_file restarts the processes that read it, and only those', async () => {
    const envFile = path.join(tmp, 'envfile.env');
    fs.writeFileSync(envFile, 'GREETING=hello\n');
    const r = await running(
      'envfile',
      `  reader: { command: ${child('--name', 'reader')}, env_file: ${envFile} }\n${proc('other')}`,
      ['reader', 'other'],
    );
    fs.writeFileSync(envFile, 'GREETING=bonjour\n');
    await r.untilCount(APPLIED, 1);
    await r.untilCount(/READY reader /g, 2);
    expect(r.log()).toMatch(/restart reader \(env_file [^)]*envfile\.env changed\)/);
    expect(readyPids(r.log(), 'other')).toHaveLength(1);
    await r.stop();
  });

  it('SIGHUP reloads (and says when nothing changed); during a stop it is ignored with a log line', async () => {
    const r = await running('hup', proc('slow', '--stop-delay', '500'), ['slow']);
    r.signals.emit('SIGHUP');
    await r.until(/reload \(SIGHUP\): nothing changed/);
    r.signals.emit('SIGINT');
    r.signals.emit('SIGHUP');
    await r.until(/reload \(SIGHUP\) ignored: corral is stopping/);
    expect(await r.exit).toBe(0);
  });
});
