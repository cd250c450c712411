// The launcher contract that the bytes of onLine are valid only during the call (read-lines.ts
// reads every pipe into one reused buffer), held to from the supervisor down to the file: the fake
// launcher overwrites each line's buffer as soon as the handler returns, and the file must still
// hold what was printed: short lines, a line over 64 KB (once queued by reference), and lines that
// wait in the queue while the file is written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeLauncher } from '../helpers/fake-launcher.js';
import { HEAD, load } from '../helpers/manifest.js';
import { supervisorWithFiles } from '../helpers/output-supervisor.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-contract-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('output bytes kept past a handler call', () => {
  it('are copied on the way to the file: overwriting the launcher buffer changes nothing', async () => {
    const dir = path.join(tmp, 'logs');
    const manifest = load(
      `${HEAD}log: { dir: ${JSON.stringify(dir)} }\nprocesses:\n  chatty: { command: x }\n`,
    );
    const launcher = new FakeLauncher();
    const supervisor = supervisorWithFiles(manifest, launcher);
    const exited = new Promise<void>((resolve) => {
      supervisor.on('state', (name, state) => {
        if (name === 'chatty' && state.kind === 'exited') resolve();
      });
    });
    const running = new Promise<void>((resolve) => {
      supervisor.on('state', (name, state) => {
        if (name === 'chatty' && state.kind === 'running') resolve();
      });
    });
    supervisor.start();
    await running;
    const printed: string[] = [];
    for (let i = 0; i < 2_000; i++) printed.push(`line ${i} ${'z'.repeat(i % 150)}`);
    printed.splice(1_000, 0, 'L'.repeat(200 * 1024));
    for (const line of printed) launcher.print('chatty', 'stdout', Buffer.from(line));
    launcher.exit(launcher.pidOf('chatty') as number, 0);
    await exited; // reported only once its lines are in the file
    await supervisor.stop('test');
    await supervisor.closeOutputs();
    expect(fs.readFileSync(path.join(dir, 'chatty.log'), 'latin1')).toBe(`${printed.join('\n')}\n`);
  });
});
