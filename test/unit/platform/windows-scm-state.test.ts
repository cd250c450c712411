// What `corral status` says about a Windows service when no supervisor answers on its pipe.
import { describe, expect, it } from 'vitest';
import { describeStatus } from '../../../src/platform/windows/scm-state.js';

const status = (currentState: number, win32ExitCode = 0, serviceSpecificExitCode = 0) => ({
  serviceType: 0x10,
  currentState,
  controlsAccepted: 0,
  win32ExitCode,
  serviceSpecificExitCode,
  checkPoint: 0,
  waitHint: 0,
});

describe('describeStatus', () => {
  it('names the state, and how a stopped service stopped', () => {
    expect(describeStatus('shop', status(4))).toBe('the service shop is RUNNING');
    expect(describeStatus('shop', status(2))).toBe('the service shop is START_PENDING');
    expect(describeStatus('shop', status(1))).toBe('the service shop is STOPPED (it stopped as asked)');
    expect(describeStatus('shop', status(1, 1066, 1))).toBe(
      'the service shop is STOPPED with code 1: a critical process gave up (its restart policy stopped restarting it); the log names it',
    );
    expect(describeStatus('shop', status(1, 1066, 42))).toBe('the service shop is STOPPED with code 42');
    expect(describeStatus('shop', status(1, 1053))).toBe(
      'the service shop is STOPPED with Windows error 1053',
    );
  });
});
