// Where the supervisor's own log lives in log.dir, as pure functions of the service name, so the
// writer (supervisor-log.ts) and `corral logs --supervisor` agree without talking to each other.
//
//   current file   _corral.<service>.log                                e.g. _corral.shop.log
//   rotated files  _corral.<service>.<YYYYMMDD-HHMMSS>[_<seq>].log[.gz] (output-files.ts names them)
//
// Why `_corral.`: process output files are `<process>.log`, `<process>.out.log` and
// `<process>.err.log`, and a process name starts with a letter (PROCESS_NAME), so no process file
// ever starts with `_`. `corral.<service>.log` would not be safe: a process may be called `corral`,
// and a service called `out` would then write into that process's stdout file. The service name
// keeps two services that share a log.dir apart, and sorts the file to the top of `ls`.
import * as path from 'node:path';
import { currentFileName } from './output-files.js';

/** `_corral.shop`: the part every file of the supervisor's log starts with. */
export function supervisorLogStem(service: string): string {
  return `_corral.${service}`;
}

/** `<dir>/_corral.<service>.log`, the file being written. */
export function supervisorLogFile(dir: string, service: string): string {
  return path.join(dir, currentFileName(supervisorLogStem(service)));
}
