// What the control channel needs from the running supervisor. The supervisor host implements it;
// the control server (server.ts) calls it for each request and sends back what it returns. The
// server never touches the supervisor any other way, so tests drive the channel with a fake.

/** One process as `corral status` shows it. Times are wall-clock epoch ms. */
export interface ProcessStatus {
  readonly name: string;
  /** The ProcessState kind, as the supervisor names it for people: waiting, starting, running, stopping,
   * backoff, exited, failed, stopped… */
  readonly state: string;
  readonly pid: number | null;
  /** When the current run was spawned; null when there is no current run. */
  readonly startedAt: number | null;
  /** Restarts ever, and within the restart limit's window. */
  readonly restarts: { readonly total: number; readonly window: number };
  readonly lastExit: {
    readonly code: number | null;
    readonly signal: string | null;
    readonly at: number;
  } | null;
  /** Whether the ready probe has passed; null when the process has no ready probe. */
  readonly ready: boolean | null;
  /** When the next restart is due, while in backoff. */
  readonly nextRestartAt: number | null;
  /** Stopped by an operator: stays stopped until started. */
  readonly held: boolean;
}

export interface StatusSnapshot {
  readonly service: string;
  /** The real path of the manifest the supervisor runs. */
  readonly manifest: string;
  /** The aggregate status (core/aggregate.ts): starting, running, degraded, stopping, stopped, failed. */
  readonly status: string;
  /** The supervisor's own pid and start time. */
  readonly pid: number;
  readonly startedAt: number;
  /** In manifest order. */
  readonly processes: readonly ProcessStatus[];
}

/** What an operation did, for people: a line, and optional lines under it; or why it did nothing. */
export type ActionResult =
  | { readonly ok: true; readonly message: string; readonly detail?: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly hint?: string };

/**
 * The running supervisor, as the control channel sees it. Each promise settles when the operation
 * is done (or refused); a rejection is reported to the client as an internal error. Operations run
 * to completion even when the client that asked has gone away.
 */
export interface ControlTarget {
  status(): StatusSnapshot;
  start(names: readonly string[]): Promise<ActionResult>;
  stop(names: readonly string[], options: { readonly withDependents: boolean }): Promise<ActionResult>;
  restart(names: readonly string[] | 'all'): Promise<ActionResult>;
  reload(options: { readonly dryRun: boolean }): Promise<ActionResult>;
}
