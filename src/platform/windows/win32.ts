// The Win32 calls corral makes on Windows, and the only file that imports koffi there (one file per
// platform reaches native code: STYLE.md). Each function below is one mechanism's worth of calls;
// the files that use them (job-object.ts, console-control.ts, launcher.ts) say why.
//
// koffi and the DLLs are loaded on the first call, not at import: the launcher module is imported on
// every platform, so importing must cost nothing and never throw.
//
// Errors: GetLastError is per thread and every binding here runs synchronously on the JS thread, so
// reading it right after the failing call gives that call's error (koffi keeps Node and V8 from
// overwriting it in between, since koffi 2.6.10).
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { deliverCtrlEvent } from './ctrl-sequence.js';
import { readSid } from './security-descriptor.js';
import { callFailed, Win32Error } from './win32-error.js';

export { Win32Error } from './win32-error.js';

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
  throw callFailed(call, what, kernel32().GetLastError());
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
 * Sends a console control event to every process on the console of process `pid`, and to no other
 * (ctrl-sequence.ts). This process ends up attached to the target's console, so only a short-lived
 * helper process whose console nobody else shares may call it (ctrl-helper.ts).
 */
export function sendCtrlEventToConsoleOf(pid: number, event: number): void {
  deliverCtrlEvent(kernel32(), pid, event);
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

// --- The service control manager (advapi32) ------------------------------------------------------
// The service side (service-dispatcher.ts) and the installer's side (installer.ts). The dispatcher
// is the one call here that runs on a koffi worker thread (.async): it blocks for the service's
// whole life, and the SCM calls ServiceMain and HandlerEx on threads of its own, which koffi relays
// to the JS thread while that thread's event loop runs.

/** SERVICE_STATUS: seven DWORDs, written as bytes (no koffi struct type to register). */
export interface ServiceStatusFields {
  readonly serviceType: number;
  readonly currentState: number;
  readonly controlsAccepted: number;
  readonly win32ExitCode: number;
  readonly serviceSpecificExitCode: number;
  readonly checkPoint: number;
  readonly waitHint: number;
}
const SERVICE_STATUS_SIZE = 28;

/** The parameters of CreateServiceW / ChangeServiceConfigW that corral sets. */
export interface ServiceConfig {
  readonly name: string;
  readonly displayName: string;
  readonly serviceType: number;
  readonly startType: number;
  readonly errorControl: number;
  readonly binaryPath: string;
  /** null: LocalSystem. */
  readonly account: string | null;
  readonly password: string | null;
}

/** SERVICE_FAILURE_ACTIONSW, as corral fills it. */
export interface FailureActionsConfig {
  /** Seconds without failures after which the failure count resets. */
  readonly resetPeriod: number;
  readonly rebootMessage: string | null;
  readonly command: string | null;
  readonly actions: readonly { readonly type: number; readonly delay: number }[];
}

const SC_MANAGER_CONNECT = 0x0001;
const SC_MANAGER_CREATE_SERVICE = 0x0002;
const SERVICE_QUERY_CONFIG = 0x0001;
const SERVICE_CHANGE_CONFIG = 0x0002;
const SERVICE_QUERY_STATUS = 0x0004;
const SERVICE_START = 0x0010;
const SERVICE_STOP = 0x0020;
// Also what PARAMCHANGE needs.
const SERVICE_PAUSE_CONTINUE = 0x0040;
const SERVICE_INTERROGATE = 0x0080;
const DELETE = 0x0001_0000;
const SERVICE_CONFIG_DESCRIPTION = 1;
const SERVICE_CONFIG_FAILURE_ACTIONS = 2;
const SERVICE_CONFIG_DELAYED_AUTO_START_INFO = 3;
const SERVICE_CONFIG_FAILURE_ACTIONS_FLAG = 4;
const SERVICE_CONFIG_PRESHUTDOWN_INFO = 7;
const SERVICE_CONTROL_STOP = 1;
export const ERROR_SERVICE_EXISTS = 1073;
export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
export const ERROR_SERVICE_NOT_ACTIVE = 1062;
export const ERROR_SERVICE_MARKED_FOR_DELETE = 1072;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_LEVEL = 124;

/** Event types of ReportEventW. */
export const EVENTLOG_ERROR_TYPE = 0x0001;
export const EVENTLOG_WARNING_TYPE = 0x0002;
export const EVENTLOG_INFORMATION_TYPE = 0x0004;

interface Advapi32 {
  readonly StartServiceCtrlDispatcherW: {
    async: (table: unknown[], done: (error: unknown, ok: boolean) => void) => void;
  };
  readonly RegisterServiceCtrlHandlerExW: (name: string, handler: bigint, context: null) => Handle | null;
  readonly SetServiceStatus: (handle: Handle, status: Buffer) => boolean;
  readonly OpenSCManagerW: (machine: null, database: null, access: number) => Handle | null;
  readonly CreateServiceW: (
    scm: Handle,
    name: string,
    display: string,
    access: number,
    type: number,
    start: number,
    errorControl: number,
    binaryPath: string,
    group: null,
    tag: null,
    dependencies: null,
    account: string | null,
    password: string | null,
  ) => Handle | null;
  readonly OpenServiceW: (scm: Handle, name: string, access: number) => Handle | null;
  readonly ChangeServiceConfigW: (
    service: Handle,
    type: number,
    start: number,
    errorControl: number,
    binaryPath: string,
    group: null,
    tag: null,
    dependencies: null,
    account: string | null,
    password: string | null,
    display: string,
  ) => boolean;
  readonly ChangeServiceConfig2W_description: (
    service: Handle,
    level: number,
    info: { description: string },
  ) => boolean;
  readonly ChangeServiceConfig2W_failureActions: (
    service: Handle,
    level: number,
    info: {
      resetPeriod: number;
      rebootMessage: string | null;
      command: string | null;
      count: number;
      actions: Buffer | null;
    },
  ) => boolean;
  readonly ChangeServiceConfig2W_dword: (service: Handle, level: number, info: Buffer) => boolean;
  readonly QueryServiceStatus: (service: Handle, status: Buffer) => boolean;
  readonly ControlService: (service: Handle, control: number, status: Buffer) => boolean;
  readonly DeleteService: (service: Handle) => boolean;
  readonly CloseServiceHandle: (handle: Handle) => boolean;
  readonly RegisterEventSourceW: (server: null, source: string) => Handle | null;
  readonly ReportEventW: (
    source: Handle,
    type: number,
    category: number,
    id: number,
    sid: null,
    count: number,
    size: number,
    strings: string[],
    data: null,
  ) => boolean;
  readonly DeregisterEventSource: (source: Handle) => boolean;
  readonly QueryServiceConfigW: (service: Handle, config: bigint, size: number, needed: number[]) => boolean;
  readonly StartServiceW: (service: Handle, argc: number, argv: null) => boolean;
  readonly RegCreateKeyExW: (
    key: bigint,
    subKey: string,
    reserved: number,
    className: null,
    options: number,
    access: number,
    security: null,
    result: (bigint | null)[],
    disposition: number[],
  ) => number;
  readonly RegSetValueExW: (
    key: Handle,
    name: string,
    reserved: number,
    type: number,
    data: Buffer,
    size: number,
  ) => number;
  readonly RegDeleteKeyW: (key: bigint, subKey: string) => number;
  readonly RegCloseKey: (key: Handle) => number;
  readonly LookupAccountNameW: (
    system: string | null,
    account: string,
    sid: Buffer,
    sidSize: number[],
    domain: Buffer,
    domainSize: number[],
    use: number[],
  ) => boolean;
  readonly GetFileSecurityW: (
    name: string,
    info: number,
    descriptor: Buffer,
    length: number,
    needed: number[],
  ) => boolean;
  readonly OpenProcessToken: (process: Handle, access: number, token: (bigint | null)[]) => boolean;
  readonly GetTokenInformation: (
    token: Handle,
    cls: number,
    info: bigint | null,
    length: number,
    returned: number[],
  ) => boolean;
  readonly serviceMainType: Koffi.TypeObject;
  readonly handlerExType: Koffi.TypeObject;
}

let advapi: Advapi32 | undefined;

function advapi32(): Advapi32 {
  if (advapi !== undefined) return advapi;
  const { koffi } = kernel32();
  const lib = koffi.load('advapi32.dll');
  const fn = (signature: string) => lib.func(signature) as never;
  // Named koffi types are global to the process: created once, here.
  koffi.struct('CORRAL_SERVICE_TABLE_ENTRYW', { name: 'char16_t *', proc: 'void *' });
  koffi.struct('CORRAL_SERVICE_DESCRIPTIONW', { description: 'char16_t *' });
  koffi.struct('CORRAL_SERVICE_FAILURE_ACTIONSW', {
    resetPeriod: 'uint32',
    rebootMessage: 'char16_t *',
    command: 'char16_t *',
    count: 'uint32',
    actions: 'void *',
  });
  advapi = {
    StartServiceCtrlDispatcherW: fn(
      'bool __stdcall StartServiceCtrlDispatcherW(CORRAL_SERVICE_TABLE_ENTRYW *table)',
    ),
    RegisterServiceCtrlHandlerExW: fn(
      'void * __stdcall RegisterServiceCtrlHandlerExW(const char16_t *name, void *handler, void *context)',
    ),
    SetServiceStatus: fn('bool __stdcall SetServiceStatus(void *handle, void *status)'),
    OpenSCManagerW: fn(
      'void * __stdcall OpenSCManagerW(const char16_t *machine, const char16_t *database, uint32 access)',
    ),
    CreateServiceW: fn(
      'void * __stdcall CreateServiceW(void *scm, const char16_t *name, const char16_t *display, uint32 access, uint32 type, uint32 start, uint32 errorControl, const char16_t *binaryPath, const char16_t *group, void *tag, const char16_t *dependencies, const char16_t *account, const char16_t *password)',
    ),
    OpenServiceW: fn('void * __stdcall OpenServiceW(void *scm, const char16_t *name, uint32 access)'),
    ChangeServiceConfigW: fn(
      'bool __stdcall ChangeServiceConfigW(void *service, uint32 type, uint32 start, uint32 errorControl, const char16_t *binaryPath, const char16_t *group, void *tag, const char16_t *dependencies, const char16_t *account, const char16_t *password, const char16_t *display)',
    ),
    ChangeServiceConfig2W_description: lib.func('__stdcall', 'ChangeServiceConfig2W', 'bool', [
      'void *',
      'uint32',
      'CORRAL_SERVICE_DESCRIPTIONW *',
    ]) as never,
    ChangeServiceConfig2W_failureActions: lib.func('__stdcall', 'ChangeServiceConfig2W', 'bool', [
      'void *',
      'uint32',
      'CORRAL_SERVICE_FAILURE_ACTIONSW *',
    ]) as never,
    ChangeServiceConfig2W_dword: lib.func('__stdcall', 'ChangeServiceConfig2W', 'bool', [
      'void *',
      'uint32',
      'void *',
    ]) as never,
    QueryServiceStatus: fn('bool __stdcall QueryServiceStatus(void *service, _Out_ uint8 *status)'),
    ControlService: fn('bool __stdcall ControlService(void *service, uint32 control, _Out_ uint8 *status)'),
    DeleteService: fn('bool __stdcall DeleteService(void *service)'),
    CloseServiceHandle: fn('bool __stdcall CloseServiceHandle(void *handle)'),
    RegisterEventSourceW: fn(
      'void * __stdcall RegisterEventSourceW(const char16_t *server, const char16_t *source)',
    ),
    ReportEventW: fn(
      'bool __stdcall ReportEventW(void *source, uint16 type, uint16 category, uint32 id, void *sid, uint16 count, uint32 size, const char16_t **strings, void *data)',
    ),
    DeregisterEventSource: fn('bool __stdcall DeregisterEventSource(void *source)'),
    StartServiceW: fn('bool __stdcall StartServiceW(void *service, uint32 argc, void *argv)'),
    RegCreateKeyExW: fn(
      'int32 __stdcall RegCreateKeyExW(void *key, const char16_t *subKey, uint32 reserved, void *className, uint32 options, uint32 access, void *security, _Out_ void **result, _Out_ uint32 *disposition)',
    ),
    RegSetValueExW: fn(
      'int32 __stdcall RegSetValueExW(void *key, const char16_t *name, uint32 reserved, uint32 type, const uint8 *data, uint32 size)',
    ),
    RegDeleteKeyW: fn('int32 __stdcall RegDeleteKeyW(void *key, const char16_t *subKey)'),
    RegCloseKey: fn('int32 __stdcall RegCloseKey(void *key)'),
    QueryServiceConfigW: fn(
      'bool __stdcall QueryServiceConfigW(void *service, void *config, uint32 size, _Out_ uint32 *needed)',
    ),
    LookupAccountNameW: fn(
      'bool __stdcall LookupAccountNameW(const char16_t *system, const char16_t *account, _Out_ uint8 *sid, _Inout_ uint32 *sidSize, _Out_ uint8 *domain, _Inout_ uint32 *domainSize, _Out_ uint32 *use)',
    ),
    GetFileSecurityW: fn(
      'bool __stdcall GetFileSecurityW(const char16_t *name, uint32 info, _Out_ uint8 *descriptor, uint32 length, _Out_ uint32 *needed)',
    ),
    OpenProcessToken: fn('bool __stdcall OpenProcessToken(void *process, uint32 access, _Out_ void **token)'),
    GetTokenInformation: fn(
      'bool __stdcall GetTokenInformation(void *token, int cls, void *info, uint32 length, _Out_ uint32 *returned)',
    ),
    serviceMainType: koffi.pointer(koffi.proto('void __stdcall CorralServiceMain(uint32 argc, void *argv)')),
    handlerExType: koffi.pointer(
      koffi.proto(
        'uint32 __stdcall CorralHandlerEx(uint32 control, uint32 eventType, void *eventData, void *context)',
      ),
    ),
  };
  return advapi;
}

function advapiFail(call: string, what: string): never {
  return fail(call, what);
}

function encodeStatus(status: ServiceStatusFields): Buffer {
  const buffer = Buffer.alloc(SERVICE_STATUS_SIZE);
  [
    status.serviceType,
    status.currentState,
    status.controlsAccepted,
    status.win32ExitCode,
    status.serviceSpecificExitCode,
    status.checkPoint,
    status.waitHint,
  ].forEach((value, i) => buffer.writeUInt32LE(value >>> 0, 4 * i));
  return buffer;
}

function decodeStatus(buffer: Buffer): ServiceStatusFields {
  const at = (i: number) => buffer.readUInt32LE(4 * i);
  return {
    serviceType: at(0),
    currentState: at(1),
    controlsAccepted: at(2),
    win32ExitCode: at(3),
    serviceSpecificExitCode: at(4),
    checkPoint: at(5),
    waitHint: at(6),
  };
}

/** What the SCM calls in this process first: ServiceMain (then the handler it registers). */
export interface ServiceCallbacks {
  /**
   * argv[0] is the service's name. Must register the handler (registerServiceHandler), report
   * START_PENDING and return promptly: the SCM waits for it on its own thread.
   */
  readonly main: (argv: readonly string[]) => void;
}

/**
 * Connects this process to the SCM as a SERVICE_WIN32_OWN_PROCESS service and resolves when the
 * dispatcher returns (after the service reported STOPPED), with false when it failed (this process
 * was not started by the SCM: error 1063, after some seconds under Wine).
 */
export function runServiceDispatcher(callbacks: ServiceCallbacks): Promise<boolean> {
  const a = advapi32();
  const { koffi } = kernel32();
  const main = koffi.register((argc: number, argv: unknown) => {
    const names: string[] = [];
    for (let i = 0; i < argc; i++) {
      names.push(koffi.decode(argv, 8 * i, 'char16_t *') as string);
    }
    callbacks.main(names);
  }, a.serviceMainType);
  return new Promise((resolve) => {
    // The name is ignored for an own-process service but must not be NULL; the terminating entry is.
    a.StartServiceCtrlDispatcherW.async(
      [
        { name: '', proc: main },
        { name: null, proc: null },
      ],
      (error, ok) => {
        koffi.unregister(main);
        resolve(error === null || error === undefined ? ok : false);
      },
    );
  });
}

/**
 * Registers `handler` as this service's HandlerEx; returns the status handle SetServiceStatus
 * takes. The handler must return at once (NO_ERROR or ERROR_CALL_NOT_IMPLEMENTED) and defer its
 * work: the SCM's thread waits for it, and so does the JS thread it is relayed to.
 */
export function registerServiceHandler(
  name: string,
  handler: (control: number, eventType: number) => number,
): Handle {
  const a = advapi32();
  const { koffi } = kernel32();
  // Never unregistered: the SCM may call it until the process ends.
  const pointer = koffi.register(
    (control: number, eventType: number) => handler(control, eventType),
    a.handlerExType,
  );
  const handle = asHandle(a.RegisterServiceCtrlHandlerExW(name, pointer, null));
  if (handle === 0n) advapiFail('RegisterServiceCtrlHandlerExW', name);
  return handle;
}

export function setServiceStatus(handle: Handle, status: ServiceStatusFields): void {
  if (!advapi32().SetServiceStatus(handle, encodeStatus(status))) {
    advapiFail('SetServiceStatus', `state ${status.currentState}`);
  }
}

/** A handle to the SCM (that may create services when `create`); closeServiceHandle it. */
export function openServiceManager(create: boolean): Handle {
  const access = SC_MANAGER_CONNECT | (create ? SC_MANAGER_CREATE_SERVICE : 0);
  const scm = asHandle(advapi32().OpenSCManagerW(null, null, access));
  if (scm === 0n) advapiFail('OpenSCManagerW', create ? 'SC_MANAGER_CREATE_SERVICE' : 'SC_MANAGER_CONNECT');
  return scm;
}

const SERVICE_ALL_USED =
  SERVICE_QUERY_CONFIG |
  SERVICE_CHANGE_CONFIG |
  SERVICE_QUERY_STATUS |
  SERVICE_START |
  SERVICE_STOP |
  SERVICE_PAUSE_CONTINUE |
  SERVICE_INTERROGATE |
  DELETE;

/** Opens service `name`; null when there is none (ERROR_SERVICE_DOES_NOT_EXIST). */
export function openService(scm: Handle, name: string): Handle | null {
  const a = advapi32();
  const service = asHandle(a.OpenServiceW(scm, name, SERVICE_ALL_USED));
  if (service !== 0n) return service;
  const code = kernel32().GetLastError();
  if (code === ERROR_SERVICE_DOES_NOT_EXIST) return null;
  throw new Win32Error('OpenServiceW', code, `OpenServiceW(${name}) failed: Windows error ${code}`);
}

export function createService(scm: Handle, config: ServiceConfig): Handle {
  const service = asHandle(
    advapi32().CreateServiceW(
      scm,
      config.name,
      config.displayName,
      SERVICE_ALL_USED,
      config.serviceType,
      config.startType,
      config.errorControl,
      config.binaryPath,
      null,
      null,
      null,
      config.account,
      config.password,
    ),
  );
  if (service === 0n) advapiFail('CreateServiceW', config.name);
  return service;
}

export function changeServiceConfig(service: Handle, config: ServiceConfig): void {
  const ok = advapi32().ChangeServiceConfigW(
    service,
    config.serviceType,
    config.startType,
    config.errorControl,
    config.binaryPath,
    null,
    null,
    null,
    // LocalSystem is named explicitly on an update: NULL there means "no change".
    config.account ?? 'LocalSystem',
    config.password ?? '',
    config.displayName,
  );
  if (!ok) advapiFail('ChangeServiceConfigW', config.name);
}

export function setServiceDescription(service: Handle, description: string): void {
  if (!advapi32().ChangeServiceConfig2W_description(service, SERVICE_CONFIG_DESCRIPTION, { description })) {
    advapiFail('ChangeServiceConfig2W', 'SERVICE_CONFIG_DESCRIPTION');
  }
}

/** SC_ACTION: Type then Delay (ms), two DWORDs. */
function encodeActions(actions: FailureActionsConfig['actions']): Buffer | null {
  if (actions.length === 0) return null;
  const buffer = Buffer.alloc(8 * actions.length);
  actions.forEach((action, i) => {
    buffer.writeUInt32LE(action.type, 8 * i);
    buffer.writeUInt32LE(action.delay >>> 0, 8 * i + 4);
  });
  return buffer;
}

/** The recovery actions (SERVICE_CONFIG_FAILURE_ACTIONS). */
export function setServiceFailureActions(service: Handle, config: FailureActionsConfig): void {
  const a = advapi32();
  const info = {
    resetPeriod: config.resetPeriod,
    rebootMessage: config.rebootMessage,
    command: config.command,
    count: config.actions.length,
    actions: encodeActions(config.actions),
  };
  if (!a.ChangeServiceConfig2W_failureActions(service, SERVICE_CONFIG_FAILURE_ACTIONS, info)) {
    advapiFail('ChangeServiceConfig2W', 'SERVICE_CONFIG_FAILURE_ACTIONS');
  }
}

/**
 * Makes the recovery actions fire also when the service reports STOPPED with an error exit code,
 * not only when its process dies: that is how corral reports a failure.
 */
export function setServiceFailureActionsOnStop(service: Handle): void {
  setServiceDword(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, 1, 'SERVICE_CONFIG_FAILURE_ACTIONS_FLAG');
}

export function setServiceDelayedAutoStart(service: Handle, delayed: boolean): void {
  setServiceDword(
    service,
    SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
    delayed ? 1 : 0,
    'DELAYED_AUTO_START_INFO',
  );
}

/** ms the SCM waits for the service after PRESHUTDOWN. */
export function setServicePreshutdownTimeout(service: Handle, ms: number): void {
  setServiceDword(service, SERVICE_CONFIG_PRESHUTDOWN_INFO, ms, 'SERVICE_CONFIG_PRESHUTDOWN_INFO');
}

/** The ChangeServiceConfig2W levels whose info is one DWORD (or BOOL). */
function setServiceDword(service: Handle, level: number, value: number, what: string): void {
  const info = Buffer.alloc(4);
  info.writeUInt32LE(value >>> 0);
  if (!advapi32().ChangeServiceConfig2W_dword(service, level, info))
    advapiFail('ChangeServiceConfig2W', what);
}

export function queryServiceStatus(service: Handle): ServiceStatusFields {
  const buffer = Buffer.alloc(SERVICE_STATUS_SIZE);
  if (!advapi32().QueryServiceStatus(service, buffer)) advapiFail('QueryServiceStatus', '');
  return decodeStatus(buffer);
}

/** Asks the service to stop; false when it was not running (ERROR_SERVICE_NOT_ACTIVE). */
export function stopService(service: Handle): boolean {
  return controlService(service, SERVICE_CONTROL_STOP);
}

/** Sends a control (as `sc control` does); false when the service was not running. */
export function controlService(service: Handle, control: number): boolean {
  const buffer = Buffer.alloc(SERVICE_STATUS_SIZE);
  if (advapi32().ControlService(service, control, buffer)) return true;
  const code = kernel32().GetLastError();
  if (code === ERROR_SERVICE_NOT_ACTIVE) return false;
  throw new Win32Error('ControlService', code, `ControlService(${control}) failed: Windows error ${code}`);
}

export function deleteService(service: Handle): void {
  if (!advapi32().DeleteService(service)) advapiFail('DeleteService', '');
}

export function closeServiceHandle(handle: Handle): void {
  advapi32().CloseServiceHandle(handle);
}

/** An event source for the Application log under `source`; null when it cannot be had. */
export function registerEventSource(source: string): Handle | null {
  const handle = asHandle(advapi32().RegisterEventSourceW(null, source));
  return handle === 0n ? null : handle;
}

/** Writes one event with one message string; false when the event log refused it. */
export function reportEvent(source: Handle, type: number, id: number, message: string): boolean {
  return advapi32().ReportEventW(source, type, 0, id, null, 1, 0, [message], null);
}

export function deregisterEventSource(source: Handle): void {
  advapi32().DeregisterEventSource(source);
}

const OWNER_SECURITY_INFORMATION = 0x1;
const DACL_SECURITY_INFORMATION = 0x4;
const ERROR_FILE_NOT_FOUND = 2;
const ERROR_PATH_NOT_FOUND = 3;
const ERROR_INSUFFICIENT_BUFFER = 122;

/**
 * The owner and DACL of a file or folder as a self-relative security descriptor
 * (security-descriptor.ts reads it); null when the path does not exist.
 */
export function fileSecurity(target: string): Buffer | null {
  const { GetFileSecurityW } = advapi32();
  let size = 4096;
  for (let attempt = 0; attempt < 3; attempt++) {
    const descriptor = Buffer.alloc(size);
    const needed = [0];
    if (
      GetFileSecurityW(
        target,
        OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
        descriptor,
        size,
        needed,
      )
    ) {
      return descriptor;
    }
    const code = kernel32().GetLastError();
    if (code === ERROR_FILE_NOT_FOUND || code === ERROR_PATH_NOT_FOUND) return null;
    if (code !== ERROR_INSUFFICIENT_BUFFER || (needed[0] ?? 0) <= size) {
      throw new Win32Error(
        'GetFileSecurityW',
        code,
        `GetFileSecurityW(${target}) failed: Windows error ${code}`,
      );
    }
    size = needed[0] ?? size * 2;
  }
  throw new Win32Error(
    'GetFileSecurityW',
    ERROR_INSUFFICIENT_BUFFER,
    `GetFileSecurityW(${target}): the descriptor keeps growing`,
  );
}

/**
 * The SID (S-1-5-21-...) of an account name (DOMAIN\\user, or a local name), or null when
 * Windows does not know it.
 */
export function accountSid(account: string): string | null {
  const { LookupAccountNameW } = advapi32();
  const sid = Buffer.alloc(68); // SECURITY_MAX_SID_SIZE
  const domain = Buffer.alloc(2 * 256);
  if (!LookupAccountNameW(null, account, sid, [sid.length], domain, [256], [0])) return null;
  return readSid(sid, 0).sid;
}

const TOKEN_QUERY = 0x0008;
const TokenUser = 1;

/**
 * The SID of the user this process runs as, read from its access token: right for every account a
 * service may run as, LocalService, NetworkService and virtual accounts (NT SERVICE\name) included,
 * which a lookup of USERNAME gets wrong. Null when the token cannot be read.
 */
export function processUserSid(): string | null {
  const k = kernel32();
  const a = advapi32();
  const out: (bigint | null)[] = [null];
  if (!a.OpenProcessToken(k.GetCurrentProcess(), TOKEN_QUERY, out)) return null;
  const token = asHandle(out[0] ?? null);
  try {
    // Asked with no room first, it fails and says how much TOKEN_USER and its SID take.
    const needed = [0];
    a.GetTokenInformation(token, TokenUser, null, 0, needed);
    const size = needed[0] ?? 0;
    if (size === 0) return null;
    // TOKEN_USER.User.Sid points into the same block, after the structure: native memory, which does
    // not move, so the pointer can be turned back into an offset.
    const memory = allocNative(size);
    try {
      if (!a.GetTokenInformation(token, TokenUser, memory.pointer, size, needed)) return null;
      const offset = memory.view.readBigUInt64LE(0) - memory.pointer;
      if (offset < 0n || offset >= BigInt(size)) return null;
      return readSid(memory.view, Number(offset)).sid;
    } finally {
      freeNative(memory);
    }
  } finally {
    k.CloseHandle(token);
  }
}

const PROCESS_SUSPEND_RESUME = 0x0800;

interface Ntdll {
  readonly NtSuspendProcess: (process: Handle) => number;
  readonly NtResumeProcess: (process: Handle) => number;
}

let nt: Ntdll | undefined;

function ntdll(): Ntdll {
  if (nt !== undefined) return nt;
  const { koffi } = kernel32();
  const lib = koffi.load('ntdll.dll');
  nt = {
    NtSuspendProcess: lib.func('int32 __stdcall NtSuspendProcess(void *process)') as never,
    NtResumeProcess: lib.func('int32 __stdcall NtResumeProcess(void *process)') as never,
  };
  return nt;
}

/**
 * Suspends (or resumes) every thread of a process: NtSuspendProcess / NtResumeProcess, the calls
 * behind Sysinternals' pssuspend. False when the process is gone or may not be opened.
 */
export function setProcessSuspended(pid: number, suspended: boolean): boolean {
  const k = kernel32();
  const handle = k.OpenProcess(PROCESS_SUSPEND_RESUME, false, pid);
  if (handle === null) return false;
  try {
    const { NtSuspendProcess, NtResumeProcess } = ntdll();
    return (suspended ? NtSuspendProcess(handle) : NtResumeProcess(handle)) === 0;
  } finally {
    k.CloseHandle(handle);
  }
}

// --- Named pipes for the control channel (control/pipe-server.ts) --------------------------------
// Every pipe instance is opened for overlapped I/O: with a synchronous handle Windows serializes all
// I/O on it, so a ReadFile waiting for the client would hold up the WriteFile of the reply (and a
// DisconnectNamedPipe), and only CancelSynchronousIo on the blocked thread could free it. Overlapped
// calls start here on the JS thread and return at once; their completion is awaited by ONE blocking
// WaitForMultipleObjects at a time (waitForAny, on a libuv pool thread through koffi's .async), and
// read back here with GetOverlappedResult(wait FALSE), so GetLastError is the JS thread's again.
// The kernel writes an OVERLAPPED and the data buffer after the call returns, so both live in
// koffi.alloc memory (which never moves), never in a Buffer.

/** Memory that native code may use after the call that was given it returned; freeNative it. */
export interface NativeMemory {
  readonly pointer: bigint;
  /** The same bytes, seen from JS (no copy). */
  readonly view: Buffer;
}

/** One OVERLAPPED (32 bytes on 64-bit Windows) with its own manual-reset event at hEvent. */
export interface Overlapped {
  readonly memory: NativeMemory;
  readonly event: Handle;
}

/** What an overlapped call did: finished now (with a byte count), is under way, or failed. */
export type IoStart = { readonly done: number } | 'pending' | { readonly error: number };
/** How an overlapped call ended. */
export type IoResult = { readonly done: number } | { readonly error: number };

export const ERROR_BROKEN_PIPE = 109;
export const ERROR_NO_DATA = 232;
export const ERROR_PIPE_CONNECTED = 535;
export const ERROR_OPERATION_ABORTED = 995;
const ERROR_IO_PENDING = 997;
const OVERLAPPED_SIZE = 32;
const OVERLAPPED_EVENT_OFFSET = 24;
const STATUS_PENDING = 0x103n;
const SECURITY_ATTRIBUTES_SIZE = 24;
const PIPE_ACCESS_DUPLEX = 0x3;
const FILE_FLAG_OVERLAPPED = 0x4000_0000;
const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x0008_0000;
const PIPE_TYPE_BYTE = 0;
const PIPE_READMODE_BYTE = 0;
const PIPE_WAIT = 0;
const PIPE_REJECT_REMOTE_CLIENTS = 0x8;
const PIPE_UNLIMITED_INSTANCES = 255;
const SDDL_REVISION_1 = 1;
const INFINITE = 0xffff_ffff;
const WAIT_FAILED = 0xffff_ffff;
const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;
/** At most this many handles in one WaitForMultipleObjects (MAXIMUM_WAIT_OBJECTS). */
export const MAX_WAIT_HANDLES = 64;

interface Pipes {
  readonly CreateNamedPipeW: (
    name: string,
    openMode: number,
    pipeMode: number,
    maxInstances: number,
    outSize: number,
    inSize: number,
    timeout: number,
    attributes: Buffer,
  ) => Handle | null;
  readonly ConnectNamedPipe: (pipe: Handle, overlapped: bigint) => boolean;
  readonly DisconnectNamedPipe: (pipe: Handle) => boolean;
  readonly ReadFile: (file: Handle, buffer: bigint, size: number, read: null, overlapped: bigint) => boolean;
  readonly WriteFile: (
    file: Handle,
    buffer: bigint,
    size: number,
    written: null,
    overlapped: bigint,
  ) => boolean;
  readonly GetOverlappedResult: (file: Handle, overlapped: bigint, bytes: number[], wait: boolean) => boolean;
  readonly CancelIoEx: (file: Handle, overlapped: bigint | null) => boolean;
  readonly CreateEventW: (attributes: null, manual: boolean, initial: boolean, name: null) => Handle | null;
  readonly SetEvent: (event: Handle) => boolean;
  readonly WaitNamedPipeW: (name: string, ms: number) => boolean;
  readonly WaitForMultipleObjects: {
    async: (
      count: number,
      handles: Handle[],
      all: boolean,
      ms: number,
      done: (error: unknown, result: number) => void,
    ) => void;
  };
  readonly LocalFree: (memory: bigint) => bigint | null;
  readonly ConvertStringSecurityDescriptorToSecurityDescriptorW: (
    sddl: string,
    revision: number,
    descriptor: (bigint | null)[],
    size: null,
  ) => boolean;
}

let pipeCalls: Pipes | undefined;

function pipes(): Pipes {
  if (pipeCalls !== undefined) return pipeCalls;
  const { koffi } = kernel32();
  const k = koffi.load('kernel32.dll');
  const a = koffi.load('advapi32.dll');
  const fn = (lib: Koffi.LibraryHandle, signature: string) => lib.func(signature) as never;
  pipeCalls = {
    CreateNamedPipeW: fn(
      k,
      'void * __stdcall CreateNamedPipeW(const char16_t *name, uint32 openMode, uint32 pipeMode, uint32 maxInstances, uint32 outSize, uint32 inSize, uint32 timeout, void *attributes)',
    ),
    ConnectNamedPipe: fn(k, 'bool __stdcall ConnectNamedPipe(void *pipe, void *overlapped)'),
    DisconnectNamedPipe: fn(k, 'bool __stdcall DisconnectNamedPipe(void *pipe)'),
    ReadFile: fn(
      k,
      'bool __stdcall ReadFile(void *file, void *buffer, uint32 size, void *read, void *overlapped)',
    ),
    WriteFile: fn(
      k,
      'bool __stdcall WriteFile(void *file, void *buffer, uint32 size, void *written, void *overlapped)',
    ),
    GetOverlappedResult: fn(
      k,
      'bool __stdcall GetOverlappedResult(void *file, void *overlapped, _Out_ uint32 *bytes, bool wait)',
    ),
    CancelIoEx: fn(k, 'bool __stdcall CancelIoEx(void *file, void *overlapped)'),
    CreateEventW: fn(
      k,
      'void * __stdcall CreateEventW(void *attributes, bool manual, bool initial, const char16_t *name)',
    ),
    SetEvent: fn(k, 'bool __stdcall SetEvent(void *event)'),
    WaitNamedPipeW: fn(k, 'bool __stdcall WaitNamedPipeW(const char16_t *name, uint32 ms)'),
    WaitForMultipleObjects: fn(
      k,
      'uint32 __stdcall WaitForMultipleObjects(uint32 count, void **handles, bool all, uint32 ms)',
    ),
    LocalFree: fn(k, 'void * __stdcall LocalFree(void *memory)'),
    ConvertStringSecurityDescriptorToSecurityDescriptorW: fn(
      a,
      'bool __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(const char16_t *sddl, uint32 revision, _Out_ void **descriptor, void *size)',
    ),
  };
  return pipeCalls;
}

function lastError(): number {
  return kernel32().GetLastError();
}

export function allocNative(size: number): NativeMemory {
  const { koffi } = kernel32();
  const pointer = koffi.address(koffi.alloc('uint8', size));
  return { pointer, view: Buffer.from(koffi.view(pointer, size)) };
}

export function freeNative(memory: NativeMemory): void {
  kernel32().koffi.free(memory.pointer);
}

/** A security descriptor (LocalAlloc'd, freeLocal it) from its SDDL form. */
export function securityDescriptorFromSddl(sddl: string): bigint {
  const out: (bigint | null)[] = [null];
  if (!pipes().ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, out, null)) {
    fail('ConvertStringSecurityDescriptorToSecurityDescriptorW', sddl);
  }
  const descriptor = out[0] ?? 0n;
  if (descriptor === 0n) fail('ConvertStringSecurityDescriptorToSecurityDescriptorW', sddl);
  return descriptor;
}

export function freeLocal(memory: bigint): void {
  pipes().LocalFree(memory);
}

/**
 * A new instance of the byte-mode, duplex, overlapped pipe `name`, local clients only, with the
 * security descriptor `descriptor` and a non-inheritable handle. `first`: fail (ERROR_ACCESS_DENIED)
 * when an instance of that name exists already, whoever made it.
 */
export function createPipeInstance(
  name: string,
  descriptor: bigint,
  first: boolean,
  bufferSize: number,
): Handle {
  const attributes = Buffer.alloc(SECURITY_ATTRIBUTES_SIZE);
  attributes.writeUInt32LE(SECURITY_ATTRIBUTES_SIZE, 0);
  attributes.writeBigUInt64LE(descriptor, 8);
  attributes.writeUInt32LE(0, 16); // bInheritHandle FALSE
  const pipe = pipes().CreateNamedPipeW(
    name,
    PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
    PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
    PIPE_UNLIMITED_INSTANCES,
    bufferSize,
    bufferSize,
    0,
    attributes,
  );
  if (pipe === null || pipe === INVALID_HANDLE_VALUE || pipe === 0n) {
    fail('CreateNamedPipeW', `${name}${first ? ', FILE_FLAG_FIRST_PIPE_INSTANCE' : ''}`);
  }
  return pipe;
}

/**
 * Whether a pipe of that name exists (WaitNamedPipeW, waiting 1 ms for a free instance): only
 * ERROR_FILE_NOT_FOUND says there is none. A check before FILE_FLAG_FIRST_PIPE_INSTANCE, which
 * Wine ignores; on Windows the flag closes the gap between the two.
 */
export function pipeExists(name: string): boolean {
  if (pipes().WaitNamedPipeW(name, 1)) return true;
  return lastError() !== ERROR_FILE_NOT_FOUND;
}

export function createOverlapped(): Overlapped {
  const event = asHandle(pipes().CreateEventW(null, true, false, null));
  if (event === 0n) fail('CreateEventW', 'manual reset');
  const memory = allocNative(OVERLAPPED_SIZE);
  memory.view.fill(0);
  memory.view.writeBigUInt64LE(event, OVERLAPPED_EVENT_OFFSET);
  return { memory, event };
}

/** Frees an OVERLAPPED: only once no call that was given it is under way. */
export function freeOverlapped(overlapped: Overlapped): void {
  freeNative(overlapped.memory);
  closeHandle(overlapped.event);
}

/** HasOverlappedIoCompleted: whether the call that was given `overlapped` has finished. */
export function overlappedDone(overlapped: Overlapped): boolean {
  return overlapped.memory.view.readBigUInt64LE(0) !== STATUS_PENDING;
}

function started(ok: boolean, overlapped: Overlapped, file: Handle): IoStart {
  if (ok) return overlappedResult(file, overlapped);
  const code = lastError();
  return code === ERROR_IO_PENDING ? 'pending' : { error: code };
}

function prepare(overlapped: Overlapped): bigint {
  overlapped.memory.view.fill(0, 0, OVERLAPPED_EVENT_OFFSET);
  return overlapped.memory.pointer;
}

/** ConnectNamedPipe: waits for a client. ERROR_PIPE_CONNECTED: one came before the call. */
export function connectPipe(pipe: Handle, overlapped: Overlapped): IoStart {
  const ok = pipes().ConnectNamedPipe(pipe, prepare(overlapped));
  return started(ok, overlapped, pipe);
}

export function readFile(file: Handle, into: NativeMemory, size: number, overlapped: Overlapped): IoStart {
  const ok = pipes().ReadFile(
    file,
    into.pointer,
    Math.min(size, into.view.length),
    null,
    prepare(overlapped),
  );
  return started(ok, overlapped, file);
}

export function writeFile(file: Handle, from: NativeMemory, size: number, overlapped: Overlapped): IoStart {
  const ok = pipes().WriteFile(
    file,
    from.pointer,
    Math.min(size, from.view.length),
    null,
    prepare(overlapped),
  );
  return started(ok, overlapped, file);
}

/** The outcome of a finished overlapped call (`wait`: block until it finishes). */
export function overlappedResult(file: Handle, overlapped: Overlapped, wait = false): IoResult {
  const bytes = [0];
  if (pipes().GetOverlappedResult(file, overlapped.memory.pointer, bytes, wait))
    return { done: bytes[0] ?? 0 };
  return { error: lastError() };
}

/** Cancels every overlapped call under way on `file` (from any thread); they end with error 995. */
export function cancelIo(file: Handle): void {
  pipes().CancelIoEx(file, null);
}

export function disconnectPipe(pipe: Handle): void {
  pipes().DisconnectNamedPipe(pipe);
}

/** An auto-reset event, not signalled. */
export function createWakeEvent(): Handle {
  const event = asHandle(pipes().CreateEventW(null, false, false, null));
  if (event === 0n) fail('CreateEventW', 'auto reset');
  return event;
}

export function setEvent(event: Handle): void {
  if (!pipes().SetEvent(event)) fail('SetEvent', '');
}

/**
 * Waits on a libuv pool thread (koffi .async) until one of `handles` (at most MAX_WAIT_HANDLES) is
 * signalled; calls back on the JS thread with its index, or with null when the wait failed.
 */
export function waitForAny(handles: readonly Handle[], callback: (index: number | null) => void): void {
  pipes().WaitForMultipleObjects.async(handles.length, [...handles], false, INFINITE, (error, result) => {
    const failed =
      (error !== null && error !== undefined) || result === WAIT_FAILED || result >= handles.length;
    callback(failed ? null : result);
  });
}

/**
 * The command line a service runs (QUERY_SERVICE_CONFIGW.lpBinaryPathName). The structure's
 * strings point into the same block, after it: the block is native memory, read back here.
 */
export function serviceBinaryPath(service: Handle): string {
  const size = 8192;
  const memory = allocNative(size);
  try {
    if (!advapi32().QueryServiceConfigW(service, memory.pointer, size, [0])) {
      advapiFail('QueryServiceConfigW', '');
    }
    // x64 layout: three DWORDs, padding, then lpBinaryPathName at offset 16.
    const address = memory.view.readBigUInt64LE(16);
    if (address === 0n) return '';
    const start = Number(address - memory.pointer);
    if (start < 0 || start >= size) return '';
    let end = start;
    while (end + 1 < size && (memory.view[end] !== 0 || memory.view[end + 1] !== 0)) end += 2;
    return memory.view.toString('utf16le', start, end);
  } finally {
    freeNative(memory);
  }
}

const ERROR_SERVICE_ALREADY_RUNNING = 1056;

/** Asks the SCM to start the service; false when it was already running. */
export function startService(service: Handle): boolean {
  if (advapi32().StartServiceW(service, 0, null)) return true;
  const code = kernel32().GetLastError();
  if (code === ERROR_SERVICE_ALREADY_RUNNING) return false;
  throw new Win32Error('StartServiceW', code, `StartServiceW failed: Windows error ${code}`);
}

/** HKEY_LOCAL_MACHINE, as the sign-extended handle value Windows defines it as. */
const HKEY_LOCAL_MACHINE = 0xffffffff80000002n;
const KEY_SET_VALUE = 0x0002;
const REG_EXPAND_SZ = 2;
const REG_DWORD = 4;
const ERROR_FILE_NOT_FOUND_REG = 2;

function eventSourceKey(source: string): string {
  return `SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\${source}`;
}

/**
 * Registers `source` in the Application event log with `messageFile` (REG_EXPAND_SZ) as the file
 * whose message table Event Viewer formats its events with, and every event type supported.
 */
export function registerEventLogSource(source: string, messageFile: string): void {
  const a = advapi32();
  const out: (bigint | null)[] = [null];
  const created = a.RegCreateKeyExW(
    HKEY_LOCAL_MACHINE,
    eventSourceKey(source),
    0,
    null,
    0,
    KEY_SET_VALUE,
    null,
    out,
    [0],
  );
  if (created !== 0)
    throw new Win32Error(
      'RegCreateKeyExW',
      created,
      `RegCreateKeyExW(${source}) failed: Windows error ${created}`,
    );
  const key = asHandle(out[0] ?? null);
  try {
    const file = Buffer.from(`${messageFile}\0`, 'utf16le');
    const set1 = a.RegSetValueExW(key, 'EventMessageFile', 0, REG_EXPAND_SZ, file, file.length);
    if (set1 !== 0)
      throw new Win32Error(
        'RegSetValueExW',
        set1,
        `RegSetValueExW(EventMessageFile) failed: Windows error ${set1}`,
      );
    const types = Buffer.alloc(4);
    types.writeUInt32LE(7); // error, warning, information
    const set2 = a.RegSetValueExW(key, 'TypesSupported', 0, REG_DWORD, types, 4);
    if (set2 !== 0)
      throw new Win32Error(
        'RegSetValueExW',
        set2,
        `RegSetValueExW(TypesSupported) failed: Windows error ${set2}`,
      );
  } finally {
    a.RegCloseKey(key);
  }
}

/** Removes what registerEventLogSource wrote; nothing to do when it is not there. */
export function removeEventLogSource(source: string): void {
  const code = advapi32().RegDeleteKeyW(HKEY_LOCAL_MACHINE, eventSourceKey(source));
  if (code !== 0 && code !== ERROR_FILE_NOT_FOUND_REG) {
    throw new Win32Error('RegDeleteKeyW', code, `RegDeleteKeyW(${source}) failed: Windows error ${code}`);
  }
}
