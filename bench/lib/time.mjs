// The harness's clocks: wall time with sub-millisecond resolution (to compare with a child's stamp)
// and deadlines, so that a measurement that never completes fails instead of hanging the run.

/** Wall-clock milliseconds, fractional: the same reading a stamp child takes as its first instruction. */
export const wallNow = () => performance.timeOrigin + performance.now();

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves like `promise`, or rejects after `ms` saying what did not happen (`what`: text, or a function giving it). */
export function withDeadline(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`));
    }, ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
