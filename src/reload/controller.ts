// What a reload trigger sets off (a saved manifest or env_file, SIGHUP, PARAMCHANGE, `corral
// reload`): read the manifest again, validate it, plan against what runs, and hand the plan to the
// supervisor — or, when anything is wrong, change nothing and log every diagnostic.
//
// Triggers never interleave and never pile up: while a reload runs, any number of new triggers
// become one more reload after it, which reads the file as it is then (the last save wins). A
// trigger while corral stops is ignored with a log line.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { OperationResult, LogRecord } from '../core/supervisor.js';
import type { SupervisorPhase } from '../core/aggregate.js';
import { CorralError } from '../errors.js';
import { formatDiagnostic } from '../manifest/format.js';
import type { LoadResult } from '../manifest/load.js';
import type { ResolvedManifest } from '../manifest/spec.js';
import { diffManifests } from './diff.js';
import { describePlan, planReload, type ReloadPlan } from './plan.js';

/** The running supervisor, as a reload sees it. */
export interface ReloadTarget {
  readonly manifest: ResolvedManifest;
  readonly phase: SupervisorPhase;
  applyReload(next: ResolvedManifest, plan: ReloadPlan): Promise<OperationResult>;
}

export interface ReloadControllerDeps {
  readonly target: ReloadTarget;
  /** Reads and validates the manifest (loadManifest); throws CorralError E_READ when it cannot read it. */
  readonly load: (file: string) => Promise<LoadResult>;
  /** Why a manifest that validates must still not run (root and writable by others), or null. */
  readonly refuse?: (manifest: ResolvedManifest) => string | null | Promise<string | null>;
  readonly log: (record: LogRecord) => void;
  /** After a reload was applied: the manifest now running (to watch its env_files, new log settings). */
  readonly onApplied?: (manifest: ResolvedManifest) => void;
  /** An env_file's contents, or null when it cannot be read; default: fs.readFileSync. */
  readonly readFile?: (file: string) => Buffer | null;
}

/** The trigger of the check made once the watcher runs (an edit between load and watch is not lost). */
export const START_UP_CHECK = 'start-up check';

export class ReloadController {
  /** The reload running now, and the one queued behind it (every trigger meanwhile joins that one). */
  #running: Promise<OperationResult> | null = null;
  #queued: Promise<OperationResult> | null = null;
  #queuedTriggers: string[] = [];
  /** Fingerprints of the env_files' contents as of the manifest that runs. */
  #envPrints: Map<string, string | null>;

  constructor(private readonly deps: ReloadControllerDeps) {
    this.#envPrints = this.#fingerprints(deps.target.manifest);
  }

  /** The files whose changes trigger a reload: the manifest, then every env_file it names. */
  watchedFiles(): string[] {
    const manifest = this.deps.target.manifest;
    return [manifest.file, ...envFiles(manifest)];
  }

  /** Reloads now, or after the reload that runs now (coalescing with every trigger meanwhile). */
  request(trigger: string): Promise<OperationResult> {
    if (this.#running === null) return this.#start([trigger]);
    this.#queuedTriggers.push(trigger);
    this.#queued ??= this.#running.then(() => {
      const triggers = this.#queuedTriggers;
      this.#queuedTriggers = [];
      this.#queued = null;
      return this.#start(triggers);
    });
    return this.#queued;
  }

  /** What a reload would do now, without doing it. */
  async dryRun(): Promise<OperationResult> {
    const loaded = await this.#load();
    if (!loaded.ok) return loaded.result;
    const plan = this.#plan(loaded.manifest);
    return { ok: true, message: 'a reload would do this (nothing applied)', detail: planLines(plan) };
  }

  #start(triggers: string[]): Promise<OperationResult> {
    const run = this.#reload(describeTriggers(triggers)).finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #reload(trigger: string): Promise<OperationResult> {
    const phase = this.deps.target.phase;
    if (phase === 'stopping' || phase === 'stopped') {
      this.deps.log({
        level: 'info',
        event: 'reload',
        message: `reload (${trigger}) ignored: corral is stopping`,
      });
      return { ok: false, error: 'corral is stopping; the reload is ignored' };
    }
    const loaded = await this.#load(trigger);
    if (!loaded.ok) return loaded.result;
    const next = loaded.manifest;
    const plan = this.#plan(next);
    const lines = planLines(plan);
    const nothing = plan.stop.length === 0 && plan.start.length === 0 && plan.update.length === 0;
    if (nothing && plan.needsServiceRestart.length === 0 && sameSettings(this.deps.target.manifest, next)) {
      // Said when asked (SIGHUP, corral reload, a save that changed only comments); the check
      // made at start-up only says so at debug level.
      const level = trigger === START_UP_CHECK ? 'debug' : 'info';
      this.deps.log({ level, event: 'reload', message: `reload (${trigger}): nothing changed` });
      this.#envPrints = this.#fingerprints(next);
      return { ok: true, message: 'nothing changed', detail: [] };
    }
    for (const key of plan.needsServiceRestart) {
      this.deps.log({
        level: 'warn',
        event: 'reload',
        message: `reload (${trigger}): ${key} changed; it applies only when the service is restarted`,
      });
    }
    const result = await this.deps.target.applyReload(next, plan);
    if (!result.ok) {
      this.deps.log({
        level: 'warn',
        event: 'reload',
        message: `reload (${trigger}) not applied: ${result.error}`,
      });
      return result;
    }
    this.#envPrints = this.#fingerprints(next);
    this.deps.log({
      level: 'info',
      event: 'reload',
      message: `reload applied (${trigger}): ${nothing ? 'settings only' : lines.join('; ')}`,
    });
    this.deps.onApplied?.(next);
    return { ok: true, message: 'reload applied', detail: [...lines, ...result.detail] };
  }

  async #load(
    trigger?: string,
  ): Promise<{ ok: true; manifest: ResolvedManifest } | { ok: false; result: OperationResult }> {
    const file = this.deps.target.manifest.file;
    const rejected = (error: string, hint?: string) => {
      if (trigger !== undefined) {
        this.deps.log({
          level: 'error',
          event: 'reload-rejected',
          message: `reload (${trigger}) rejected, nothing changed: ${error}; still running the last good manifest`,
        });
      }
      return {
        ok: false as const,
        result: { ok: false as const, error, ...(hint === undefined ? {} : { hint }) },
      };
    };
    let loaded: LoadResult;
    try {
      loaded = await this.deps.load(file);
    } catch (error) {
      if (!(error instanceof CorralError)) throw error;
      return rejected(error.message, error.hint);
    }
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    if (loaded.manifest === null) {
      if (trigger !== undefined) {
        for (const d of loaded.diagnostics) {
          this.deps.log({ level: 'error', event: 'reload-invalid', message: formatDiagnostic(d) });
        }
      }
      const problems = `${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}`;
      return rejected(`${file} is invalid (${problems})`, `corral validate ${file}`);
    }
    if (trigger !== undefined) {
      for (const d of loaded.diagnostics) {
        this.deps.log({ level: 'warn', event: 'manifest', message: formatDiagnostic(d) });
      }
    }
    const refusal = (await this.deps.refuse?.(loaded.manifest)) ?? null;
    if (refusal !== null) return rejected(refusal);
    return { ok: true, manifest: loaded.manifest };
  }

  #plan(next: ResolvedManifest): ReloadPlan {
    const current = this.deps.target.manifest;
    const now = this.#fingerprints(next);
    const touched = new Set<string>();
    for (const [file, print] of now) {
      if (this.#envPrints.has(file) && this.#envPrints.get(file) !== print) touched.add(file);
    }
    return planReload(current, next, diffManifests(current, next), touched);
  }

  #fingerprints(manifest: ResolvedManifest): Map<string, string | null> {
    const read = this.deps.readFile ?? readOrNull;
    return new Map(
      envFiles(manifest).map((file) => {
        const bytes = read(file);
        return [file, bytes === null ? null : createHash('sha256').update(bytes).digest('hex')];
      }),
    );
  }
}

function envFiles(manifest: ResolvedManifest): string[] {
  return [...new Set(manifest.processes.flatMap((p) => p.env_file))];
}

function readOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch {
    return null;
  }
}

function planLines(plan: ReloadPlan): string[] {
  return describePlan(plan)
    .trimEnd()
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' '));
}

/** Whether the settings that apply live (service.stop_timeout, service.auto_reload, log.*) are the same. */
function sameSettings(a: ResolvedManifest, b: ResolvedManifest): boolean {
  return a.service.stop_timeout === b.service.stop_timeout && JSON.stringify(a.log) === JSON.stringify(b.log);
}

function describeTriggers(triggers: readonly string[]): string {
  const unique = [...new Set(triggers)];
  return unique.length <= 3
    ? unique.join(', ')
    : `${unique.slice(0, 3).join(', ')} and ${unique.length - 3} more`;
}
