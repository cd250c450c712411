// `corral status` for people, and for programs. Pure: the time and whether to colour are passed in.
//
// For people:
//   shop: degraded (corral pid 4242, up 1h02m)
//   manifest /srv/shop/corral.yaml
//
//   NAME    STATE           PID   UPTIME  RESTARTS  LAST EXIT        READY  NEXT RESTART
//   db      running         4250  1h02m   0/0       -                yes    -
//   worker  backoff         -     -       5/3       code 1, 12s ago  -      in 4s
//   web     stopped (held)  -     -       0/0       SIGTERM, 3m ago  -      -
// RESTARTS is total/within the restart limit's window; READY is - for a process without a ready probe.
//
// For programs (`corral status --json`), the snapshot as the supervisor sent it, keys in this order:
//   { "service": string, "manifest": string (real path), "status": string (aggregate: starting,
//     running, degraded, stopping, stopped, failed), "pid": number, "startedAt": number,
//     "processes": [ { "name": string, "state": string, "pid": number | null,
//       "startedAt": number | null, "restarts": { "total": number, "window": number },
//       "lastExit": { "code": number | null, "signal": string | null, "at": number } | null,
//       "ready": boolean | null, "nextRestartAt": number | null, "held": boolean } ] }
// Times are epoch milliseconds (wall clock). Fields may be added, never removed or renamed.
import type { ProcessStatus, StatusSnapshot } from './target.js';

export interface RenderOptions {
  /** Epoch ms to measure uptimes and "ago" from. */
  readonly now: number;
  readonly colour: boolean;
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function shouldColour(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColor = env['NO_COLOR'];
  return isTTY && (noColor === undefined || noColor === '');
}

type Tint = 'green' | 'yellow' | 'red' | 'dim';
const SGR: Readonly<Record<Tint, string>> = { green: '32', yellow: '33', red: '31', dim: '2' };

const STATE_TINT: Readonly<Record<string, Tint>> = {
  running: 'green',
  starting: 'yellow',
  waiting: 'yellow',
  stopping: 'yellow',
  backoff: 'yellow',
  degraded: 'yellow',
  failed: 'red',
  exited: 'dim',
  stopped: 'dim',
  idle: 'dim',
};

interface Cell {
  readonly text: string;
  readonly tint?: Tint | undefined;
}

export function renderStatus(snapshot: StatusSnapshot, options: RenderOptions): string {
  const { now, colour } = options;
  const paint = (cell: Cell, width: number): string => {
    const padding = ' '.repeat(Math.max(0, width - cell.text.length));
    if (!colour || cell.tint === undefined) return cell.text + padding;
    return `\u001b[${SGR[cell.tint]}m${cell.text}\u001b[0m${padding}`;
  };
  const status = { text: clean(snapshot.status), tint: STATE_TINT[snapshot.status] };
  const head =
    `${clean(snapshot.service)}: ${paint(status, 0)} ` +
    `(corral pid ${snapshot.pid}, up ${formatDuration(now - snapshot.startedAt)})\n` +
    `manifest ${clean(snapshot.manifest)}\n\n`;
  if (snapshot.processes.length === 0) return `${head}no processes\n`;
  const header = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'LAST EXIT', 'READY', 'NEXT RESTART'];
  const rows: Cell[][] = [header.map((text) => ({ text })), ...snapshot.processes.map((p) => row(p, now))];
  const widths = header.map((_, column) => Math.max(...rows.map((cells) => cells[column]?.text.length ?? 0)));
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => paint(cell, column === cells.length - 1 ? 0 : (widths[column] ?? 0)))
      .join('  '),
  );
  return `${head}${lines.join('\n')}\n`;
}

function row(p: ProcessStatus, now: number): Cell[] {
  const state = clean(p.state);
  return [
    { text: clean(p.name) },
    { text: p.held ? `${state} (held)` : state, tint: STATE_TINT[p.state] },
    { text: p.pid === null ? '-' : String(p.pid) },
    { text: p.startedAt === null ? '-' : formatDuration(now - p.startedAt) },
    { text: `${p.restarts.total}/${p.restarts.window}` },
    { text: lastExit(p.lastExit, now) },
    ready(p.ready),
    { text: p.nextRestartAt === null ? '-' : until(p.nextRestartAt - now) },
  ];
}

function lastExit(exit: ProcessStatus['lastExit'], now: number): string {
  if (exit === null) return '-';
  const how = exit.code !== null ? `code ${exit.code}` : exit.signal !== null ? clean(exit.signal) : 'ended';
  return `${how}, ${formatDuration(now - exit.at)} ago`;
}

function ready(value: boolean | null): Cell {
  if (value === null) return { text: '-' };
  return value ? { text: 'yes', tint: 'green' } : { text: 'no', tint: 'yellow' };
}

function until(ms: number): string {
  return ms <= 0 ? 'now' : `in ${formatDuration(Math.ceil(ms / 1000) * 1000)}`;
}

/** 45s, 3m05s, 1h02m, 3d04h: two units at most, rounded down; negative (clock skew) shows as 0s. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${two(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${two(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${two(hours % 24)}h`;
}

/** Text from the supervisor must not steer the terminal: control characters become '?'. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** `corral status --json`: the snapshot with its keys in the documented order (see the top). */
export function statusJson(snapshot: StatusSnapshot): string {
  const processes = snapshot.processes.map((p) => ({
    name: p.name,
    state: p.state,
    pid: p.pid,
    startedAt: p.startedAt,
    restarts: { total: p.restarts.total, window: p.restarts.window },
    lastExit:
      p.lastExit === null ? null : { code: p.lastExit.code, signal: p.lastExit.signal, at: p.lastExit.at },
    ready: p.ready,
    nextRestartAt: p.nextRestartAt,
    held: p.held,
  }));
  const { service, manifest, status, pid, startedAt } = snapshot;
  return `${JSON.stringify({ service, manifest, status, pid, startedAt, processes }, null, 2)}\n`;
}
