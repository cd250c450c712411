// The four calls that deliver a console control event to one console and no other, apart from the
// koffi bindings that make them (win32.ts passes kernel32), so their order and their failures are
// unit-tested on any platform. Only the short-lived helper process runs it (ctrl-helper.ts): it
// leaves its own console for the target's and stays there.
import { callFailed } from './win32-error.js';

/** Events for GenerateConsoleCtrlEvent. */
export const CTRL_C_EVENT = 0;
export const CTRL_BREAK_EVENT = 1;

/** The kernel32 calls the sequence makes, as koffi binds them. */
export interface ConsoleCtrlCalls {
  FreeConsole(): boolean;
  AttachConsole(pid: number): boolean;
  SetConsoleCtrlHandler(handler: null, add: boolean): boolean;
  GenerateConsoleCtrlEvent(event: number, group: number): boolean;
  GetLastError(): number;
}

/**
 * Sends `event` to every process on the console of process `pid`: leaves this process's console,
 * attaches to that one, ignores the event itself, generates it. Throws a Win32Error naming the call
 * that failed; nothing is generated once a step before it failed.
 */
export function deliverCtrlEvent(calls: ConsoleCtrlCalls, pid: number, event: number): void {
  const fail = (call: string, what: string): never => {
    throw callFailed(call, what, calls.GetLastError());
  };
  // Its result does not matter: a helper started without a console has none to leave.
  calls.FreeConsole();
  if (!calls.AttachConsole(pid)) fail('AttachConsole', `pid ${pid}`);
  if (!calls.SetConsoleCtrlHandler(null, true)) fail('SetConsoleCtrlHandler', 'NULL, TRUE');
  // Process group 0: every process attached to that console, which is the target's tree and this
  // process, which ignores it.
  if (!calls.GenerateConsoleCtrlEvent(event, 0)) fail('GenerateConsoleCtrlEvent', `${event}, 0`);
}
