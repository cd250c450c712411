// What the output writer tells the operator when the disk fails it: what failed, on which path,
// the fix when the error code names one, and what happens to the output meanwhile.

const FIXES: Readonly<Record<string, string>> = {
  ENOSPC: 'free space on that disk',
  EDQUOT: 'raise the disk quota or free space',
  EACCES: 'let the account corral runs as write to log.dir',
  EPERM: 'let the account corral runs as write to log.dir',
  EROFS: 'point log.dir at a writable disk',
  ENOTDIR: 'a file stands where log.dir or one of its parents should be a folder',
  EEXIST: 'a file stands where log.dir or one of its parents should be a folder',
};

export function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? 'EUNKNOWN';
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

/** `cannot write /logs/web.log: ENOSPC: no space left on device, write (free space on that disk); holding …` */
export function faultMessage(
  what: 'open' | 'write',
  file: string,
  error: unknown,
  held: { readonly queueBytes: number; readonly retryMs: number },
): string {
  const fix = FIXES[errorCode(error)];
  return (
    `cannot ${what} ${file}: ${describeError(error)}${fix === undefined ? '' : ` (${fix})`}; ` +
    `holding up to ${megabytes(held.queueBytes)} of output in memory and retrying every ${held.retryMs / 1000} s`
  );
}
