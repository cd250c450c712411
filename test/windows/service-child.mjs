// A child for the service tests: no output contract, it leaves marker files the Linux side reads
// (a service has no console, and its children's output goes to log files anyway).
//   <dir>/<name>.started   written once it runs: the time (ms since the epoch)
//   <dir>/<name>.stopped   written when Ctrl+C (SIGINT) arrives: the time; then it exits 0 after
//                          --stop-delay ms
// --crash MS: exit 1 after MS instead of running on.
// --ready-after MS: print READY <name> on stdout after MS (for a log ready probe), and write
//   <dir>/<name>.ready then.
// --ignore-ctrl-c 1: on Ctrl+C write <dir>/<name>.ignored and run on (only a kill ends it).
// --grandchild 1: start a child of its own (this script, named <name>-gc) that runs on.
// --say 1: print `HELLO <name>` on stdout and `WARN <name>` on stderr once it runs, and on Ctrl+C
//   `BYE <name>` on stdout with no newline, just before it exits (pipes are synchronous on Windows).
import fs from 'node:fs';
import path from 'node:path';

const flags = new Map();
for (let i = 2; i < process.argv.length; i += 2) flags.set(process.argv[i], process.argv[i + 1]);
const dir = flags.get('--dir');
const name = flags.get('--name');
const stopDelay = Number(flags.get('--stop-delay') ?? 0);

process.on('SIGINT', () => {
  if (flags.has('--ignore-ctrl-c')) {
    fs.writeFileSync(path.join(dir, `${name}.ignored`), String(Date.now()));
    return;
  }
  fs.writeFileSync(path.join(dir, `${name}.stopped`), String(Date.now()));
  setTimeout(() => {
    if (flags.has('--say')) process.stdout.write(`BYE ${name}`);
    process.exit(0);
  }, stopDelay);
});
if (flags.has('--ready-after')) {
  setTimeout(
    () => {
      fs.writeFileSync(path.join(dir, `${name}.ready`), String(Date.now()));
      process.stdout.write(`READY ${name}\n`);
    },
    Number(flags.get('--ready-after')),
  );
}
if (flags.has('--grandchild')) {
  const { spawn } = await import('node:child_process');
  spawn(process.execPath, [process.argv[1], '--dir', dir, '--name', `${name}-gc`], { stdio: 'ignore' });
}
fs.writeFileSync(path.join(dir, `${name}.started`), String(Date.now()));
if (flags.has('--say')) {
  process.stdout.write(`HELLO ${name}\n`);
  process.stderr.write(`WARN ${name}\n`);
}
if (flags.has('--crash')) setTimeout(() => process.exit(1), Number(flags.get('--crash')));
else setInterval(() => undefined, 1 << 30);
