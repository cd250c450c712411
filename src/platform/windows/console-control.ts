// Ctrl+C and Ctrl+Break for one child: each child owns a hidden console of its own (see
// launcher.ts), and a short-lived helper process attaches to it and generates the event there
// (ctrl-helper.ts), so the event reaches that child and whatever shares its console, never corral
// or a sibling.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How long the helper may take (a cold Node start on a busy machine) before it is killed. */
export const HELPER_TIMEOUT_MS = 10_000;

const HELPER = fileURLToPath(new URL('./ctrl-helper.js', import.meta.url));

export type CtrlEvent = 'c' | 'break';

/** Resolves once the helper delivered the event; rejects with the helper's reason when it could not. */
export function sendCtrlEvent(pid: number, event: CtrlEvent): Promise<void> {
  return new Promise((resolve, reject) => {
    // windowsHide with no inherited stdio: libuv starts the helper with CREATE_NO_WINDOW, which gives
    // it a console of its own, so its FreeConsole leaves nobody else's.
    const helper = spawn(process.execPath, [HELPER, String(pid), event], {
      windowsHide: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    helper.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => helper.kill(), HELPER_TIMEOUT_MS);
    helper.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start the Ctrl+${event === 'c' ? 'C' : 'Break'} helper: ${error.message}`));
    });
    helper.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve();
        return;
      }
      const reason =
        stderr.trim() || `it exited with ${code ?? 'a signal'} (timeout ${HELPER_TIMEOUT_MS} ms)`;
      reject(new Error(`Ctrl+${event === 'c' ? 'C' : 'Break'} to pid ${pid} failed: ${reason}`));
    });
  });
}
