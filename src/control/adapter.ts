// The running supervisor as the control channel's ControlTarget: status rows from the
// supervisor's processes, actions passed to its operations, reloads to the reload controller.
import type { OperationResult, Supervisor } from '../core/supervisor.js';
import type { ReloadController } from '../reload/controller.js';
import type { ActionResult, ControlTarget, ProcessStatus, StatusSnapshot } from './target.js';

export function controlTarget(
  supervisor: Supervisor,
  reloads: Pick<ReloadController, 'request' | 'dryRun'>,
  self: { readonly pid: number; readonly startedAt: number } = {
    pid: process.pid,
    startedAt: Date.now() - process.uptime() * 1000,
  },
): ControlTarget {
  return {
    status: () => snapshot(supervisor, self),
    start: async (names) => action(await supervisor.startProcesses(names)),
    stop: async (names, options) => action(await supervisor.stopProcesses(names, options)),
    restart: async (names) => action(await supervisor.restartProcesses(names)),
    reload: async ({ dryRun }) =>
      action(await (dryRun ? reloads.dryRun() : reloads.request('corral reload'))),
  };
}

function snapshot(
  supervisor: Supervisor,
  self: { readonly pid: number; readonly startedAt: number },
): StatusSnapshot {
  const manifest = supervisor.manifest;
  return {
    service: manifest.service.name,
    manifest: manifest.file,
    status: supervisor.status,
    pid: self.pid,
    startedAt: Math.round(self.startedAt),
    processes: supervisor.processes().map((p): ProcessStatus => ({
      name: p.name,
      // An operator's stop leaves a process idle; people call that stopped.
      state: p.state.kind === 'idle' ? 'stopped' : p.state.kind,
      pid: p.pid,
      startedAt: p.startedAt,
      restarts: p.restarts,
      lastExit: p.lastExit,
      ready: p.ready,
      nextRestartAt: p.nextRestartAt === null ? null : Math.round(p.nextRestartAt),
      held: p.held,
    })),
  };
}

function action(result: OperationResult): ActionResult {
  if (!result.ok) return result.hint === undefined ? { ok: false, error: result.error } : result;
  return result.detail.length === 0 ? { ok: true, message: result.message } : result;
}
