// The restart-latency child: its first instruction reads the wall clock, then it prints
// `STAMP <pid> <seconds>.<microseconds>` (the format lib/stamp.mjs parses) and stays alive until
// it is killed — or for 5 minutes at most, so that nothing it leaves behind lives for long.
const at = performance.timeOrigin + performance.now();
const micros = Math.round(at * 1000);
const fraction = String(micros % 1_000_000).padStart(6, '0');
process.stdout.write(`STAMP ${process.pid} ${Math.floor(micros / 1_000_000)}.${fraction}\n`);
setTimeout(() => undefined, 300_000);
