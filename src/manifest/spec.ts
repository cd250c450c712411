// The resolved manifest: what the user wrote, normalized once and frozen. Everything downstream of
// src/manifest reads only these types. Conventions:
// - keys keep the manifest's names (snake_case), so a generic diff reports paths users recognize;
// - every duration is in milliseconds, every size in bytes;
// - every path is absolute; defaults are applied; `${VAR}` references are expanded;
// - objects are deeply frozen; user-keyed maps (env, depends_on) have a null prototype.

export type Platform = 'linux' | 'windows';

export interface ResolvedManifest {
  /** Absolute path of the manifest file. */
  readonly file: string;
  /** The folder relative paths were resolved against. */
  readonly dir: string;
  /** The platform the manifest was checked for. */
  readonly platform: Platform;
  readonly version: 1;
  readonly service: ServiceSpec;
  readonly log: LogSpec;
  /** In manifest order; disabled processes are included (with `disabled: true`). */
  readonly processes: readonly ProcessSpec[];
}

export type StartType = 'auto' | 'delayed-auto' | 'manual' | 'disabled';

export type Account =
  | { readonly kind: 'LocalSystem' }
  | { readonly kind: 'LocalService' }
  | { readonly kind: 'NetworkService' }
  | { readonly kind: 'user'; readonly user: string; readonly password: string | null };

export type FailureAction =
  | { readonly kind: 'restart'; readonly delay: number }
  | { readonly kind: 'reboot'; readonly delay: number }
  | { readonly kind: 'run'; readonly delay: number }
  | { readonly kind: 'none' };

export interface ServiceSpec {
  readonly name: string;
  readonly display_name: string;
  readonly description: string;
  readonly start_type: StartType;
  readonly account: Account;
  /** Hard cap for the whole ordered stop, ms. */
  readonly stop_timeout: number;
  /** Whether saved edits to the manifest and its env_files are applied without being asked. */
  readonly auto_reload: boolean;
  /** ms; null when the service does not ask for PRESHUTDOWN. */
  readonly preshutdown_timeout: number | null;
  readonly failure_actions: {
    /** ms of no failures after which the SCM resets its failure count. */
    readonly reset_after: number;
    readonly command: string | null;
    readonly reboot_message: string | null;
    readonly actions: readonly FailureAction[];
  };
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface RotationSpec {
  /** Rotate when the file reaches this many bytes; null for no size limit. */
  readonly size: number | null;
  readonly every: 'never' | 'hourly' | 'daily';
  /** Rotated files to keep. */
  readonly keep: number;
  /** ms; rotated files older than this are deleted; null to keep by count only. */
  readonly max_age: number | null;
  readonly compress: boolean;
}

export interface OutputSpec {
  /** `combined`: one file for stdout and stderr; `separate`: one each. */
  readonly streams: 'combined' | 'separate';
  readonly timestamps: boolean;
  readonly rotation: RotationSpec;
}

export interface LogSpec {
  readonly dir: string;
  readonly level: LogLevel;
  readonly format: 'json' | 'text';
  /** Rotation of the supervisor's own log. */
  readonly rotation: RotationSpec;
  /** Bytes; a longer child output line is split at this cap. */
  readonly max_line: number;
}

export type DependencyCondition = 'started' | 'ready' | 'completed';

export type ProbeCheck =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly method: string;
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'exec'; readonly command: readonly string[]; readonly shell: boolean }
  | { readonly kind: 'log'; readonly pattern: string };

export interface ReadyProbe {
  readonly check: ProbeCheck;
  /** ms to wait for the first success before the start counts as failed. */
  readonly timeout: number;
  /** ms between attempts. */
  readonly interval: number;
  readonly initial_delay: number;
}

export interface LivenessProbe {
  readonly check: ProbeCheck;
  /** ms between checks. */
  readonly every: number;
  /** Consecutive failures that restart the process. */
  readonly failures: number;
  /** ms one check may take. */
  readonly timeout: number;
  readonly initial_delay: number;
}

export type StopStep =
  | { readonly kind: 'graceful'; readonly timeout: number }
  | { readonly kind: 'signal'; readonly signal: string; readonly timeout: number }
  | { readonly kind: 'ctrl_c'; readonly timeout: number }
  | { readonly kind: 'ctrl_break'; readonly timeout: number }
  | { readonly kind: 'wm_close'; readonly timeout: number }
  | {
      readonly kind: 'command';
      readonly command: readonly string[];
      readonly shell: boolean;
      readonly timeout: number;
    }
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly method: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string | null;
      readonly timeout: number;
    }
  | {
      readonly kind: 'stdin';
      readonly text: string | null;
      readonly close: boolean;
      readonly timeout: number;
    }
  | { readonly kind: 'kill' };

export type RestartPolicyName = 'always' | 'on-failure' | 'never';
export type OnLimit = 'cool-down' | 'give-up' | 'stop-service';

export interface RestartSpec {
  readonly policy: RestartPolicyName;
  /** Exit codes that count as success (for on-failure, and for `completed`). */
  readonly success_codes: readonly number[];
  /** ms before the first restart. */
  readonly delay: number;
  /** Each further restart waits `backoff` times longer... */
  readonly backoff: number;
  /** ...up to this many ms. */
  readonly max_delay: number;
  /** Fraction (0–1) of random spread added to each delay. */
  readonly jitter: number;
  /** ms of uptime after which the delay and the attempt count start afresh. */
  readonly reset_after: number;
  readonly limit: { readonly restarts: number; readonly window: number };
  readonly on_limit: OnLimit;
  /** ms to wait after hitting the limit, with on_limit: cool-down. */
  readonly cool_down: number;
}

export interface ProcessSpec {
  readonly name: string;
  /** The executable and its arguments; with `shell`, one element: the shell command line. */
  readonly command: readonly string[];
  readonly shell: boolean;
  readonly cwd: string;
  /** The variables `env` sets (on top of the supervisor's environment and the env_files). */
  readonly env: Readonly<Record<string, string>>;
  /** Read in order at each start; later files and then `env` win. */
  readonly env_file: readonly string[];
  readonly depends_on: Readonly<Record<string, DependencyCondition>>;
  readonly ready: ReadyProbe | null;
  readonly liveness: LivenessProbe | null;
  readonly stop: readonly StopStep[];
  readonly restart: RestartSpec;
  readonly critical: boolean;
  readonly pause: 'suspend' | 'ignore';
  readonly disabled: boolean;
  readonly output: OutputSpec;
}
