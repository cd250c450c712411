// The one status the supervisor reports, from its phase and each process's state.
import { describe, expect, it } from 'vitest';
import { aggregateStatus, type ProcessView, type SupervisorPhase } from '../../../src/core/aggregate.js';
import type { ProcessState } from '../../../src/core/process-machine.js';
import type { ProcessSpec } from '../../../src/manifest/spec.js';
import { HEAD, load } from '../../helpers/manifest.js';

const [plainSpec, criticalSpec, disabledSpec] = load(
  `${HEAD}processes:\n  a: { command: x }\n  b: { command: x, critical: true }\n  c: { command: x, critical: true, disabled: true }\n`,
).processes;
if (plainSpec === undefined || criticalSpec === undefined || disabledSpec === undefined) {
  throw new Error('expected three processes');
}

const running: ProcessState = { kind: 'running', pid: 1, since: 0 };
const starting: ProcessState = { kind: 'starting', pid: null, since: 0 };
const waiting: ProcessState = { kind: 'waiting' };
const backoff: ProcessState = { kind: 'backoff', until: 1, reason: 'r', coolDown: false };
const coolingDown: ProcessState = { kind: 'backoff', until: 1, reason: 'r', coolDown: true };
const failed: ProcessState = { kind: 'failed', reason: 'gave up' };
const exited: ProcessState = { kind: 'exited', code: 0, signal: null };
const idle: ProcessState = { kind: 'idle' };
const restartStop: ProcessState = {
  kind: 'stopping',
  pid: 1,
  step: 0,
  then: 'restart',
  cause: { kind: 'unhealthy' },
  since: 0,
};
const plainStop: ProcessState = { kind: 'stopping', pid: 1, step: 0, then: 'idle', cause: null, since: 0 };

const view = (spec: ProcessSpec, state: ProcessState): ProcessView => ({ spec, state });
const plain = (state: ProcessState) => view(plainSpec, state);
const critical = (state: ProcessState) => view(criticalSpec, state);
const disabled = (state: ProcessState) => view(disabledSpec, state);

describe('aggregateStatus', () => {
  describe('stopped and stopping follow the phase', () => {
    it('stopped, or failed when the stop was fatal', () => {
      expect(aggregateStatus('stopped', [plain(idle), critical(idle)], false)).toBe('stopped');
      expect(aggregateStatus('stopped', [plain(idle), critical(failed)], true)).toBe('failed');
      expect(aggregateStatus('stopped', [], false)).toBe('stopped');
    });

    it('stopping whatever the processes are doing, fatal or not', () => {
      for (const fatal of [false, true]) {
        expect(aggregateStatus('stopping', [plain(running), critical(failed)], fatal)).toBe('stopping');
        expect(aggregateStatus('stopping', [plain(backoff)], fatal)).toBe('stopping');
      }
    });
  });

  describe('failed', () => {
    it.each<SupervisorPhase>(['starting', 'running'])(
      'when a critical process failed (phase %s)',
      (phase) => {
        expect(aggregateStatus(phase, [plain(running), critical(failed)], false)).toBe('failed');
        expect(aggregateStatus(phase, [plain(starting), critical(failed)], false)).toBe('failed');
      },
    );

    it('when fatal is set, even with everything up', () => {
      expect(aggregateStatus('running', [plain(running), critical(running)], true)).toBe('failed');
    });

    it('not for a disabled critical process', () => {
      expect(aggregateStatus('running', [plain(running), disabled(failed)], false)).toBe('running');
    });
  });

  describe('starting', () => {
    it.each<[string, ProcessState]>([
      ['waiting', waiting],
      ['starting', starting],
      ['backing off', backoff],
      ['idle', idle],
    ])('while some enabled process is %s in the start phase', (_label, state) => {
      expect(aggregateStatus('starting', [plain(running), critical(state)], false)).toBe('starting');
    });

    it('not for a disabled process that is not up', () => {
      expect(aggregateStatus('starting', [plain(running), disabled(idle)], false)).toBe('running');
    });

    it('counts a failed non-critical process as done starting (it is not coming up)', () => {
      expect(aggregateStatus('starting', [plain(failed), critical(starting)], false)).toBe('starting');
      expect(aggregateStatus('starting', [plain(failed), critical(running)], false)).toBe('degraded');
    });
  });

  describe('degraded', () => {
    it('when a non-critical process failed', () => {
      expect(aggregateStatus('running', [plain(failed), critical(running)], false)).toBe('degraded');
    });

    it.each<[string, ProcessState]>([
      ['backing off', backoff],
      ['cooling down', coolingDown],
      ['starting again', starting],
      ['being stopped to restart', restartStop],
    ])('when a process is restarting: %s', (_label, state) => {
      expect(aggregateStatus('running', [plain(state), critical(running)], false)).toBe('degraded');
      expect(aggregateStatus('running', [plain(running), critical(state)], false)).toBe('degraded');
    });

    it('but a failed critical process is failed, not degraded', () => {
      expect(aggregateStatus('running', [plain(failed), critical(failed)], false)).toBe('failed');
    });
  });

  describe('running', () => {
    it('when everything enabled is running or has completed', () => {
      expect(aggregateStatus('running', [plain(running), critical(running)], false)).toBe('running');
      expect(aggregateStatus('running', [plain(exited), critical(running)], false)).toBe('running');
      expect(aggregateStatus('starting', [plain(exited), critical(running)], false)).toBe('running');
    });

    it('ignores disabled processes whatever their state', () => {
      expect(aggregateStatus('running', [plain(running), disabled(backoff)], false)).toBe('running');
    });

    it('with nothing to run', () => {
      expect(aggregateStatus('running', [], false)).toBe('running');
      expect(aggregateStatus('starting', [], false)).toBe('running');
    });

    it('while a process is being stopped on request (not a restart)', () => {
      expect(aggregateStatus('running', [plain(plainStop), critical(running)], false)).toBe('running');
    });
  });
});
