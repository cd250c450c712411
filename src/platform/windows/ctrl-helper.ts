// The short-lived process that delivers Ctrl+C (or Ctrl+Break) to one child's console:
//   node ctrl-helper.js <pid> c|break
// It runs in a console of its own (spawned hidden, stdio piped), leaves it, attaches to the
// child's, and generates the event there, ignoring it itself. It exists so the supervisor never
// detaches from its own console: when `corral run` sits in a console window, Ctrl+C generated from
// there would reach corral, and every child sharing that console, instead of one child.
//
// Exit codes: 0 delivered; 1 a Win32 call failed (the message on stderr); 2 bad arguments.
import { CTRL_BREAK_EVENT, CTRL_C_EVENT } from './ctrl-sequence.js';
import { sendCtrlEventToConsoleOf } from './win32.js';

const [pidText, eventName] = process.argv.slice(2);
const pid = Number(pidText);
const event = eventName === 'c' ? CTRL_C_EVENT : eventName === 'break' ? CTRL_BREAK_EVENT : undefined;
if (!Number.isInteger(pid) || pid <= 0 || event === undefined) {
  process.stderr.write(`usage: ctrl-helper <pid> c|break (got ${process.argv.slice(2).join(' ')})\n`);
  process.exitCode = 2;
} else {
  try {
    sendCtrlEventToConsoleOf(pid, event);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
