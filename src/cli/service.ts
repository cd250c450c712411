// `corral service <manifest>`: the command line the SCM runs (corral install writes it). Service
// mode is this command, never a guess from a failed dispatcher call. The process connects to the
// SCM (StartServiceCtrlDispatcherW on a koffi worker thread: it blocks for the service's life), and
// in ServiceMain registers HandlerEx, reports START_PENDING and returns; the supervisor host then
// runs here as in `corral run`, with the SCM's controls in place of Ctrl+C and SIGHUP.
//
// A service has no console: what `corral run` prints goes to the supervisor log file
// (<log.dir>/_corral.<service>.log) and the event log. What comes before that log exists (the
// manifest cannot be loaded) goes to the event log and to <manifest folder>/corral-service.log.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import type { LogRecord } from '../core/supervisor.js';
import { CorralError } from '../errors.js';
import type { EventLog } from '../platform/windows/event-log.js';
import { EXIT, type Io } from './io.js';
import { parseRunArgs } from './run.js';

export const serviceUsage = `usage: corral service [--insecure-manifest] <manifest>

The Windows service entry: what the service manager starts (corral install registers it). It runs
the supervisor as \`corral run\` does and reports its state to the service manager. Not for use by
hand: run \`corral run\` in a console instead.
`;

export async function serviceCommand(args: string[], io: Io): Promise<number> {
  const options = parseRunArgs(args, 'service');
  if (options === null) {
    io.stdout(serviceUsage);
    return EXIT.ok;
  }
  if (process.platform !== 'win32') {
    throw new CorralError(
      'E_USAGE',
      'corral service is the Windows service entry; elsewhere run the supervisor with corral run',
      'corral run <manifest>',
    );
  }
  const file = path.resolve(options.file);
  const { runServiceDispatcher, registerServiceHandler, setServiceStatus } =
    await import('../platform/windows/win32.js');
  const { ServiceReporter } = await import('../platform/windows/service-reporter.js');
  const { ServiceController } = await import('../platform/windows/service-controller.js');
  const { ERROR_CALL_NOT_IMPLEMENTED } = await import('../platform/windows/service-status.js');
  const { openEventLog } = await import('../platform/windows/event-log.js');
  const { supervise } = await import('./host.js');

  const early = earlyLog(file);
  let controller: InstanceType<typeof ServiceController> | null = null;
  let result = EXIT.failed as number;
  const host = async (control: InstanceType<typeof ServiceController>, events: EventLog) => {
    // In an object: closures change it, and TypeScript would narrow a plain variable to false.
    const seen = { attached: false };
    // Until the supervisor log exists everything said goes to the early log; after, the
    // supervisor log file has it all (this is its console copy, and there is no console).
    const serviceIo: Io = {
      stdout: () => undefined,
      stderr: (text) => {
        if (!seen.attached) early.write(text);
      },
      env: io.env,
    };
    try {
      result = await supervise(options, serviceIo, new EventEmitter(), {
        onLoaded: (manifest) => {
          reporter.preshutdown = manifest.service.preshutdown_timeout !== null;
        },
        onSupervisor: (supervisor, reloads) => {
          seen.attached = true;
          control.attach(supervisor, reloads);
        },
      });
    } catch (error) {
      early.write(
        `corral service: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      result = EXIT.failed;
    }
    if (!seen.attached && early.text() !== '') events.write('error', `could not start: ${early.text()}`);
    control.finish(result);
    events.close();
  };

  // Set in ServiceMain; read by the controller's reports.
  let reporter = new ServiceReporter({ clock: systemClock, report: () => undefined });
  const connected = await runServiceDispatcher({
    main: (argv) => {
      const name = argv[0] ?? 'corral';
      const log = (record: LogRecord) => {
        early.write(`${record.level}: ${record.message}\n`);
      };
      const events = openEventLog(name);
      let handle: bigint | null = null;
      reporter = new ServiceReporter({
        clock: systemClock,
        report: (status) => {
          if (handle === null) return;
          try {
            setServiceStatus(handle, status);
          } catch (error) {
            log({ level: 'error', event: 'scm', message: (error as Error).message });
          }
        },
      });
      const created = new ServiceController({
        reporter,
        clock: systemClock,
        defer: (work) => setImmediate(work),
        events,
        log,
      });
      controller = created;
      handle = registerServiceHandler(
        name,
        (code) => controller?.control(code) ?? ERROR_CALL_NOT_IMPLEMENTED,
      );
      reporter.set({ kind: 'starting' });
      // ServiceMain returns now; the host runs on the JS thread's event loop.
      setImmediate(() => void host(created, events));
    },
  });
  if (!connected) {
    io.stderr(
      'corral: could not connect to the Windows service manager (StartServiceCtrlDispatcherW failed): corral service is started by the service manager, not by hand; use corral run\n',
    );
    return EXIT.failed;
  }
  return result;
}

/** Lines said before the supervisor log exists, kept and appended to <manifest folder>/corral-service.log. */
function earlyLog(manifest: string) {
  const file = path.join(path.dirname(manifest), 'corral-service.log');
  let text = '';
  return {
    write(line: string) {
      text += line;
      try {
        fs.appendFileSync(file, `${new Date().toISOString()} ${line}`);
      } catch {
        // Nowhere else to say it: the event log gets the text at the end.
      }
    },
    text: () => text,
  };
}
