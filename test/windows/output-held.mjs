// Rotation of an output file that another program holds open without sharing delete: the rename
// fails as it does on Windows (checked on a second held file), and rotation copies and empties the
// file instead. Every line must end up exactly once, in order, across the files.
import fs from 'node:fs';
import path from 'node:path';
import { report, scenario, scratch, withTimeout } from './driver.mjs';
import { holdFiles, joined, numbered, outputFile } from './output-driver.mjs';

const { rotatedFiles, currentFileName } = await import('../../dist/logging/output-files.js');

/** 'renamed', or the code renaming `file` failed with. */
function tryRename(file) {
  try {
    fs.renameSync(file, `${file}.moved`);
    return 'renamed';
  } catch (error) {
    return error.code;
  }
}

await scenario(async () => {
  const dir = path.join(scratch, 'logs');
  const { file, problems, write } = outputFile(dir);
  const lines = numbered(0, 3000);
  await write(lines[0]);
  await withTimeout(file.flush(), 10_000, 'first flush');

  const current = path.join(dir, currentFileName('web'));
  const probe = path.join(dir, 'probe.txt');
  fs.writeFileSync(probe, 'probe\n');
  const { held, release } = await holdFiles([current, probe]);
  const probeRename = tryRename(probe);

  for (const text of lines.slice(1)) await write(text);
  await withTimeout(file.flush(), 10_000, 'flush');
  await withTimeout(file.idle(), 10_000, 'idle');
  const names = fs.readdirSync(dir);
  const ordered = [...rotatedFiles('web', names).map((f) => f.plain), currentFileName('web')];
  const text = ordered.map((name) => fs.readFileSync(path.join(dir, name), 'latin1')).join('');
  const expected = joined(lines);
  // Still the file the holder opened, so no rotation renamed it: each was a copy and an emptying.
  const currentRename = tryRename(current);
  await release();
  await withTimeout(file.close(), 10_000, 'close');
  report('held', {
    held,
    probeRename,
    currentRename,
    files: ordered.length,
    intact: text === expected,
    bytes: text.length,
    expectedBytes: expected.length,
    problems,
  });
});
