// Sends one control to a service through the SCM API, as `sc control <name> <code>` does (Wine's
// sc.exe has no `control` command): argv[3] the service name, argv[4] the control code.
import { report } from './driver.mjs';

const win32 = await import('../../dist/platform/windows/win32.js');
const [name, code] = process.argv.slice(3);
try {
  const scm = win32.openServiceManager(false);
  const service = win32.openService(scm, name);
  if (service === null) throw new Error(`no service ${name}`);
  report('done', { delivered: win32.controlService(service, Number(code)) });
  win32.closeServiceHandle(service);
  win32.closeServiceHandle(scm);
} catch (error) {
  report('failed', { message: String(error) });
}
