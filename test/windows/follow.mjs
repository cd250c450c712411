// `corral logs -f`'s follower on Windows file semantics: it polls the current file while a writer
// rotates it, first by renaming (the follower's open handle must not stop the rename), then, while
// another program holds the file without sharing delete, by copying and emptying it. Every line
// must come through once, in order.
import path from 'node:path';
import { report, scenario, scratch, withTimeout } from './driver.mjs';
import { holdFiles, joined, numbered, outputFile } from './output-driver.mjs';

const { follow } = await import('../../dist/logging/follow-log.js');
const { currentFileName } = await import('../../dist/logging/output-files.js');

await scenario(async () => {
  const dir = path.join(scratch, 'logs');
  const { file, problems, write: writeLine } = outputFile(dir);
  let received = '';
  let wake = () => undefined;
  const errors = [];
  const follower = follow({
    dir,
    name: 'web',
    set: 'combined',
    interval: 5,
    onData: (chunk) => {
      received += chunk.toString('latin1');
      wake();
    },
    onError: (error) => errors.push(String(error)),
  });
  await withTimeout(follower.ready, 10_000, 'follower ready');

  const write = async (lines) => {
    // In batches with a flush between, so the follower looks at the files while they rotate.
    for (let i = 0; i < lines.length; i += 100) {
      for (const text of lines.slice(i, i + 100)) await writeLine(text);
      await withTimeout(file.flush(), 10_000, 'flush');
    }
  };
  const caughtUp = async (text, what) => {
    const reached = async () => {
      while (received.length < text.length) await new Promise((resolve) => (wake = resolve));
    };
    await withTimeout(reached(), 20_000, `${what}: ${text.length} bytes (have ${received.length})`);
    return received === text;
  };

  const renamed = numbered(0, 1500);
  await write(renamed);
  const afterRenames = await caughtUp(joined(renamed), 'after the renames');

  const { held, release } = await holdFiles([path.join(dir, currentFileName('web'))]);
  const copied = numbered(1500, 1500);
  await write(copied);
  const afterCopies = await caughtUp(joined([...renamed, ...copied]), 'after the copies');
  await release();
  await withTimeout(follower.cancel(), 10_000, 'cancel');
  await withTimeout(file.close(), 10_000, 'close');
  report('follow', { held, afterRenames, afterCopies, bytes: received.length, problems, errors });
});
