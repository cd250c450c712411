// The calls that deliver Ctrl+C or Ctrl+Break to one console, against a fake kernel32: their order,
// the event passed through, and a failure that stops the sequence before any event is generated.
// Wine does not implement CTRL_BREAK_EVENT, so this is where its delivery is shown.
import { describe, expect, it } from 'vitest';
import {
  CTRL_BREAK_EVENT,
  CTRL_C_EVENT,
  deliverCtrlEvent,
  type ConsoleCtrlCalls,
} from '../../../src/platform/windows/ctrl-sequence.js';
import { Win32Error } from '../../../src/platform/windows/win32-error.js';

/** Records each call; a call named in `failing` returns FALSE and leaves `code` for GetLastError. */
function fakeKernel32(failing: Partial<Record<keyof ConsoleCtrlCalls, number>> = {}) {
  const calls: string[] = [];
  let lastError = 0;
  const answer = (name: keyof ConsoleCtrlCalls, text: string): boolean => {
    calls.push(text);
    const code = failing[name];
    if (code === undefined) return true;
    lastError = code;
    return false;
  };
  const kernel32: ConsoleCtrlCalls = {
    FreeConsole: () => answer('FreeConsole', 'FreeConsole()'),
    AttachConsole: (pid) => answer('AttachConsole', `AttachConsole(${pid})`),
    SetConsoleCtrlHandler: (handler, add) =>
      answer('SetConsoleCtrlHandler', `SetConsoleCtrlHandler(${String(handler)}, ${String(add)})`),
    GenerateConsoleCtrlEvent: (event, group) =>
      answer('GenerateConsoleCtrlEvent', `GenerateConsoleCtrlEvent(${event}, ${group})`),
    GetLastError: () => lastError,
  };
  return { kernel32, calls };
}

function thrown(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('it did not throw');
}

describe('deliverCtrlEvent', () => {
  it("leaves its console, attaches to the target's, ignores the event itself, then generates it for the whole console", () => {
    const { kernel32, calls } = fakeKernel32();
    deliverCtrlEvent(kernel32, 4_242, CTRL_C_EVENT);
    expect(calls).toEqual([
      'FreeConsole()',
      'AttachConsole(4242)',
      'SetConsoleCtrlHandler(null, true)',
      'GenerateConsoleCtrlEvent(0, 0)',
    ]);
  });

  it('passes Ctrl+Break through as event 1, still to process group 0 (every process on that console)', () => {
    const { kernel32, calls } = fakeKernel32();
    deliverCtrlEvent(kernel32, 4_242, CTRL_BREAK_EVENT);
    expect(CTRL_C_EVENT).toBe(0);
    expect(CTRL_BREAK_EVENT).toBe(1);
    expect(calls.at(-1)).toBe('GenerateConsoleCtrlEvent(1, 0)');
  });

  it('goes on when it had no console to leave', () => {
    const { kernel32, calls } = fakeKernel32({ FreeConsole: 6 });
    deliverCtrlEvent(kernel32, 4_242, CTRL_C_EVENT);
    expect(calls.at(-1)).toBe('GenerateConsoleCtrlEvent(0, 0)');
  });

  it('throws a Win32Error naming AttachConsole, the pid and the code when it cannot attach, and generates nothing', () => {
    const { kernel32, calls } = fakeKernel32({ AttachConsole: 31 });
    const error = thrown(() => {
      deliverCtrlEvent(kernel32, 4_242, CTRL_C_EVENT);
    });
    expect(error).toBeInstanceOf(Win32Error);
    expect(error).toMatchObject({
      call: 'AttachConsole',
      code: 31,
      message: 'AttachConsole(pid 4242) failed: Windows error 31',
    });
    expect(calls).toEqual(['FreeConsole()', 'AttachConsole(4242)']);
  });

  it('generates nothing when it cannot ignore the event itself, which would end this process too', () => {
    const { kernel32, calls } = fakeKernel32({ SetConsoleCtrlHandler: 87 });
    expect(() => {
      deliverCtrlEvent(kernel32, 4_242, CTRL_BREAK_EVENT);
    }).toThrow('SetConsoleCtrlHandler(NULL, TRUE) failed: Windows error 87');
    expect(calls.filter((call) => call.startsWith('GenerateConsoleCtrlEvent'))).toEqual([]);
  });

  it('names the event and the group when generating it fails (as Wine does for Ctrl+Break)', () => {
    const { kernel32 } = fakeKernel32({ GenerateConsoleCtrlEvent: 6 });
    expect(() => {
      deliverCtrlEvent(kernel32, 4_242, CTRL_BREAK_EVENT);
    }).toThrow(
      new Win32Error('GenerateConsoleCtrlEvent', 6, 'GenerateConsoleCtrlEvent(1, 0) failed: Windows error 6'),
    );
  });
});
