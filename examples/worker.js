// corral demo — worker: a background job. Every WORKER_INTERVAL_MS it "does a job" and records
// it by incrementing the jobs_done counter through examples/api.js (GET, then PUT /kv/jobs_done),
// printing one progress line per tick.
//
// On SIGTERM, SIGINT (Ctrl+C) or SIGBREAK (Ctrl+Break on Windows) it finishes the tick it is in,
// says so and exits 0. After 10 failed ticks in a row (the api is down) it gives up and exits 1,
// so that corral's restart policy takes over.
//
// Environment: API_PORT (default 7402), WORKER_INTERVAL_MS (default 1000).
const port = Number(process.env.API_PORT || 7402);
const interval = Number(process.env.WORKER_INTERVAL_MS || 1000);
const base = `http://127.0.0.1:${port}`;
const MAX_FAILURES = 10;

let stopping = false;
let wakeUp = () => {};

/** Waits `ms`, or less if the worker is told to stop meanwhile. */
function sleep(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wakeUp = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`worker: got ${signal}, finishing the current tick`);
  wakeUp();
}

/** One job: read the counter, add one, write it back. Resolves with the new count. */
async function tick() {
  const url = `${base}/kv/jobs_done`;
  const read = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!read.ok && read.status !== 404) throw new Error(`GET ${url} answered ${read.status}`);
  const done = read.ok ? Number((await read.json()).value) || 0 : 0;
  const write = await fetch(url, {
    method: 'PUT',
    body: String(done + 1),
    signal: AbortSignal.timeout(3000),
  });
  if (!write.ok) throw new Error(`PUT ${url} answered ${write.status}`);
  return done + 1;
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ...) is in its cause. */
function reason(error) {
  return error.cause ? `${error.message}: ${error.cause.code ?? error.cause.message}` : error.message;
}

if (!Number.isInteger(port) || port < 1 || port > 65535 || !(interval > 0)) {
  console.error('worker: API_PORT must be a port number and WORKER_INTERVAL_MS a positive number');
  process.exitCode = 1;
} else {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGBREAK']) process.on(signal, () => stop(signal));
  console.log(`worker: started, one job every ${interval}ms, recorded through ${base}`);
  let ticks = 0;
  let failures = 0;
  while (!stopping && failures < MAX_FAILURES) {
    try {
      const total = await tick();
      ticks++;
      failures = 0;
      console.log(`worker: tick ${ticks} done, jobs_done is now ${total}`);
    } catch (error) {
      failures++;
      console.error(`worker: tick failed (${failures} of ${MAX_FAILURES} in a row): ${reason(error)}`);
    }
    if (!stopping) await sleep(interval);
  }
  if (stopping) {
    console.log(`worker: stopped cleanly after ${ticks} ticks, exiting`);
  } else {
    console.error(`worker: giving up after ${MAX_FAILURES} failed ticks in a row`);
    process.exitCode = 1;
  }
}
