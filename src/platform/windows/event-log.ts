// The Windows Application event log, under the service's name as its source. corral install
// registers the source with the .NET Framework's generic message file (installer.ts), which
// formats every event id as its text; without it (no .NET Framework 4), Event Viewer shows each
// message with a note that the description was not found, the text itself complete. Writing
// never throws: the event log is a second copy of what the supervisor log says.
import type { EventSink } from './service-controller.js';
import {
  deregisterEventSource,
  EVENTLOG_ERROR_TYPE,
  EVENTLOG_INFORMATION_TYPE,
  EVENTLOG_WARNING_TYPE,
  registerEventSource,
  reportEvent,
  type Handle,
} from './win32.js';

/** Event ids: one per level, so a filter in Event Viewer can pick errors out. */
const EVENT_IDS = { info: 1, warn: 2, error: 3 } as const;
const TYPES = { info: EVENTLOG_INFORMATION_TYPE, warn: EVENTLOG_WARNING_TYPE, error: EVENTLOG_ERROR_TYPE };

export interface EventLog extends EventSink {
  close(): void;
}

export function openEventLog(source: string): EventLog {
  let handle: Handle | null;
  try {
    handle = registerEventSource(source);
  } catch {
    handle = null;
  }
  return {
    write(level, message) {
      if (handle === null) return;
      try {
        reportEvent(handle, TYPES[level], EVENT_IDS[level], message);
      } catch {
        // A second copy only: the supervisor log has the line.
      }
    },
    close() {
      if (handle !== null) deregisterEventSource(handle);
      handle = null;
    },
  };
}
