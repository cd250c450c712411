// The error every failed Win32 call becomes, in a file of its own so that code which drives Win32
// calls through an interface (ctrl-sequence.ts) can throw it without importing win32.ts.

/** A Win32 call failed; the message names the call, its argument and the error code. */
export class Win32Error extends Error {
  constructor(
    readonly call: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'Win32Error';
  }
}

/** `call(what)` failed with GetLastError() `code`: "AttachConsole(pid 42) failed: Windows error 5". */
export function callFailed(call: string, what: string, code: number): Win32Error {
  return new Win32Error(call, code, `${call}(${what}) failed: Windows error ${code}`);
}
