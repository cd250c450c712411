// The Win32 calls corral makes on Windows, and the only file that imports koffi there (one file per
// platform reaches native code: STYLE.md). Each function below is one mechanism's worth of calls;
// the files that use them (job-object.ts, console-control.ts, close-windows.ts) say why.
//
// koffi and the DLLs are loaded on the first call, not at import: the launcher module is imported on
// every platform, so importing must cost nothing and never throw.
//
// Errors: GetLastError is per thread and every binding here runs synchronously on the JS thread, so
// reading it right after the failing call gives that call's error (koffi keeps Node and V8 from
// overwriting it in between, since koffi 2.6.10).
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

/** A kernel handle as koffi 3 passes pointers: a BigInt, 0n for NULL. */
export type Handle = bigint;

const PROCESS_TERMINATE = 0x0001;
const PROCESS_SET_QUOTA = 0x0100;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const SYNCHRONIZE = 0x0010_0000;
const STILL_ACTIVE = 259;

const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000;
const JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x0400;
const JobObjectBasicAccountingInformation = 1;
const JobObjectBasicProcessIdList = 3;
const JobObjectExtendedLimitInformation = 9;
// JOBOBJECT_EXTENDED_LIMIT_INFORMATION on 64-bit Windows: 144 bytes; BasicLimitInformation.LimitFlags
// sits after two LARGE_INTEGERs. Written as bytes so no koffi struct type has to be registered.
const EXTENDED_LIMIT_SIZE = 144;
const LIMIT_FLAGS_OFFSET = 16;
// JOBOBJECT_BASIC_ACCOUNTING_INFORMATION: four LARGE_INTEGER times, then four DWORD counters.
const ACCOUNTING_SIZE = 48;
const ACTIVE_PROCESSES_OFFSET = 40;
// JOBOBJECT_BASIC_PROCESS_ID_LIST: two DWORD counts, then ULONG_PTR ids.
const PID_LIST_HEADER = 8;

const WM_CLOSE = 0x0010;

/** Ctrl events for GenerateConsoleCtrlEvent. */
export const CTRL_C_EVENT = 0;
export const CTRL_BREAK_EVENT = 1;

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

interface Kernel32 {
  readonly koffi: typeof Koffi;
  readonly GetLastError: () => number;
  readonly CloseHandle: (h: Handle) => boolean;
  readonly GetCurrentProcess: () => Handle;
  readonly OpenProcess: (access: number, inherit: boolean, pid: number) => Handle | null;
  readonly GetExitCodeProcess: (h: Handle, code: number[]) => boolean;
  readonly GetProcessTimes: (
    h: Handle,
    creation: (number | bigint)[],
    exit: (number | bigint)[],
    kernel: (number | bigint)[],
    user: (number | bigint)[],
  ) => boolean;
  readonly CreateJobObjectW: (attributes: null, name: null) => Handle | null;
  readonly SetInformationJobObject: (job: Handle, cls: number, info: Buffer, length: number) => boolean;
  readonly QueryInformationJobObject: (
    job: Handle,
    cls: number,
    info: Buffer,
    length: number,
    returned: null,
  ) => boolean;
  readonly AssignProcessToJobObject: (job: Handle, process: Handle) => boolean;
  readonly TerminateJobObject: (job: Handle, exitCode: number) => boolean;
  readonly FreeConsole: () => boolean;
  readonly AttachConsole: (pid: number) => boolean;
  readonly SetConsoleCtrlHandler: (handler: null, add: boolean) => boolean;
  readonly GenerateConsoleCtrlEvent: (event: number, group: number) => boolean;
}

interface User32 {
  readonly EnumWindows: (callback: (hwnd: Handle, lparam: bigint) => boolean, lparam: bigint) => boolean;
  readonly GetWindowThreadProcessId: (hwnd: Handle, pid: number[]) => number;
  readonly PostMessageW: (hwnd: Handle, message: number, wparam: bigint, lparam: bigint) => boolean;
}

let kernel: Kernel32 | undefined;
let user: User32 | undefined;

function kernel32(): Kernel32 {
  if (kernel !== undefined) return kernel;
  if (process.platform !== 'win32') {
    throw new Error(`platform/windows/win32: called on ${process.platform}; these are Windows API calls`);
  }
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const lib = koffi.load('kernel32.dll');
  const fn = (signature: string) => lib.func(signature) as never;
  kernel = {
    koffi,
    GetLastError: fn('uint32 __stdcall GetLastError()'),
    CloseHandle: fn('bool __stdcall CloseHandle(void *h)'),
    GetCurrentProcess: fn('void * __stdcall GetCurrentProcess()'),
    OpenProcess: fn('void * __stdcall OpenProcess(uint32 access, bool inherit, uint32 pid)'),
    GetExitCodeProcess: fn('bool __stdcall GetExitCodeProcess(void *h, _Out_ uint32 *code)'),
    GetProcessTimes: fn(
      'bool __stdcall GetProcessTimes(void *h, _Out_ uint64 *creation, _Out_ uint64 *exit, _Out_ uint64 *kernel, _Out_ uint64 *user)',
    ),
    // Security attributes NULL: the job handle is not inheritable, so no child can hold it open.
    CreateJobObjectW: fn('void * __stdcall CreateJobObjectW(void *attributes, const char16_t *name)'),
    SetInformationJobObject: fn(
      'bool __stdcall SetInformationJobObject(void *job, int cls, void *info, uint32 length)',
    ),
    QueryInformationJobObject: fn(
      'bool __stdcall QueryInformationJobObject(void *job, int cls, _Out_ void *info, uint32 length, _Out_ uint32 *returned)',
    ),
    AssignProcessToJobObject: fn('bool __stdcall AssignProcessToJobObject(void *job, void *process)'),
    TerminateJobObject: fn('bool __stdcall TerminateJobObject(void *job, uint32 exitCode)'),
    FreeConsole: fn('bool __stdcall FreeConsole()'),
    AttachConsole: fn('bool __stdcall AttachConsole(uint32 pid)'),
    SetConsoleCtrlHandler: fn('bool __stdcall SetConsoleCtrlHandler(void *handler, bool add)'),
    GenerateConsoleCtrlEvent: fn('bool __stdcall GenerateConsoleCtrlEvent(uint32 event, uint32 group)'),
  };
  return kernel;
}

function user32(): User32 {
  if (user !== undefined) return user;
  const { koffi } = kernel32();
  const lib = koffi.load('user32.dll');
  const enumProc = koffi.proto('bool __stdcall CorralEnumWindowsProc(void *hwnd, intptr lparam)');
  user = {
    EnumWindows: lib.func('__stdcall', 'EnumWindows', 'bool', [
      koffi.pointer(enumProc),
      'intptr',
    ]) as User32['EnumWindows'],
    GetWindowThreadProcessId: lib.func(
      'uint32 __stdcall GetWindowThreadProcessId(void *hwnd, _Out_ uint32 *pid)',
    ) as User32['GetWindowThreadProcessId'],
    PostMessageW: lib.func(
      'bool __stdcall PostMessageW(void *hwnd, uint32 message, uintptr wparam, intptr lparam)',
    ) as User32['PostMessageW'],
  };
  return user;
}

function fail(call: string, what: string): never {
  const code = kernel32().GetLastError();
  throw new Win32Error(call, code, `${call}(${what}) failed: Windows error ${code}`);
}

function asHandle(value: Handle | null): Handle {
  return value ?? 0n;
}

export function closeHandle(handle: Handle): void {
  kernel32().CloseHandle(handle);
}

/**
 * A new job that kills every process in it when its last handle closes (the supervisor's death
 * included, however it dies), with no breakaway allowed: a process in it cannot start a child
 * outside it.
 */
export function createKillOnCloseJob(): Handle {
  const k = kernel32();
  const job = asHandle(k.CreateJobObjectW(null, null));
  if (job === 0n) fail('CreateJobObjectW', 'NULL, NULL');
  const info = Buffer.alloc(EXTENDED_LIMIT_SIZE);
  // DIE_ON_UNHANDLED_EXCEPTION: a crashing child ends instead of waiting on an error dialog nobody sees.
  info.writeUInt32LE(
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
    LIMIT_FLAGS_OFFSET,
  );
  if (!k.SetInformationJobObject(job, JobObjectExtendedLimitInformation, info, info.length)) {
    const code = k.GetLastError();
    k.CloseHandle(job);
    throw new Win32Error(
      'SetInformationJobObject',
      code,
      `SetInformationJobObject(KILL_ON_JOB_CLOSE) failed: Windows error ${code}`,
    );
  }
  return job;
}

/** Puts process `pid` (or this process, for pid 0) into `job`; a process already in a job nests. */
export function assignToJob(job: Handle, pid: number): void {
  const k = kernel32();
  if (pid === 0) {
    if (!k.AssignProcessToJobObject(job, k.GetCurrentProcess())) fail('AssignProcessToJobObject', 'self');
    return;
  }
  const process = asHandle(k.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, false, pid));
  if (process === 0n) fail('OpenProcess', `pid ${pid}`);
  try {
    if (!k.AssignProcessToJobObject(job, process)) fail('AssignProcessToJobObject', `pid ${pid}`);
  } finally {
    k.CloseHandle(process);
  }
}

export function terminateJob(job: Handle, exitCode: number): void {
  if (!kernel32().TerminateJobObject(job, exitCode)) fail('TerminateJobObject', `exit code ${exitCode}`);
}

/** How many processes in the job have not exited yet. */
export function activeProcessesOf(job: Handle): number {
  const info = Buffer.alloc(ACCOUNTING_SIZE);
  if (
    !kernel32().QueryInformationJobObject(job, JobObjectBasicAccountingInformation, info, info.length, null)
  ) {
    fail('QueryInformationJobObject', 'JobObjectBasicAccountingInformation');
  }
  return info.readUInt32LE(ACTIVE_PROCESSES_OFFSET);
}

/** The ids of the processes in the job (at most `max` of them). */
export function processIdsOf(job: Handle, max = 1024): number[] {
  const info = Buffer.alloc(PID_LIST_HEADER + 8 * max);
  if (!kernel32().QueryInformationJobObject(job, JobObjectBasicProcessIdList, info, info.length, null)) {
    fail('QueryInformationJobObject', 'JobObjectBasicProcessIdList');
  }
  const count = info.readUInt32LE(4);
  return Array.from({ length: count }, (_, i) => Number(info.readBigUInt64LE(PID_LIST_HEADER + 8 * i)));
}

/** When the process started, in ms since 1601 (its FILETIME): with the pid, it names one process. */
export function processStartTime(pid: number): number | null {
  const k = kernel32();
  const process = asHandle(k.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, pid));
  if (process === 0n) return null;
  try {
    // koffi gives a uint64 as a number when it fits in one exactly, else as a BigInt.
    const creation: (number | bigint)[] = [0];
    if (!k.GetProcessTimes(process, creation, [0], [0], [0])) return null;
    return Number(BigInt(creation[0] ?? 0) / 10_000n);
  } finally {
    k.CloseHandle(process);
  }
}

/** Whether process `pid` exists and has not exited. */
export function isRunning(pid: number): boolean {
  const k = kernel32();
  const process = asHandle(k.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, false, pid));
  if (process === 0n) return false;
  try {
    const code = [0];
    return k.GetExitCodeProcess(process, code) && code[0] === STILL_ACTIVE;
  } finally {
    k.CloseHandle(process);
  }
}

/**
 * Sends a console control event to every process on the console of process `pid`, and to no other:
 * leaves this process's console, attaches to that one, ignores the event itself, generates it.
 * This process ends up attached to the target's console, so only a short-lived helper process
 * whose console nobody else shares may call it (ctrl-helper.ts).
 */
export function sendCtrlEventToConsoleOf(pid: number, event: number): void {
  const k = kernel32();
  k.FreeConsole();
  if (!k.AttachConsole(pid)) fail('AttachConsole', `pid ${pid}`);
  if (!k.SetConsoleCtrlHandler(null, true)) fail('SetConsoleCtrlHandler', 'NULL, TRUE');
  if (!k.GenerateConsoleCtrlEvent(event, 0)) fail('GenerateConsoleCtrlEvent', `${event}, 0`);
}

/** Posts WM_CLOSE to every top-level window of the given processes; returns how many it reached. */
export function postCloseToWindowsOf(pids: ReadonlySet<number>): number {
  const u = user32();
  const targets: Handle[] = [];
  const owner = [0];
  u.EnumWindows((hwnd) => {
    u.GetWindowThreadProcessId(hwnd, owner);
    if (pids.has(owner[0] ?? 0)) targets.push(hwnd);
    return true;
  }, 0n);
  return targets.filter((hwnd) => u.PostMessageW(hwnd, WM_CLOSE, 0n, 0n)).length;
}
