import { describe, expect, it } from 'vitest';
import { ReportThrottle } from '../../../src/logging/report-throttle.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('ReportThrottle', () => {
  it('allows each kind of report once per interval', () => {
    const clock = new FakeClock();
    const throttle = new ReportThrottle(clock, 30_000);
    expect(throttle.allow('ENOSPC')).toBe(true);
    expect(throttle.allow('ENOSPC')).toBe(false);
    expect(throttle.allow('EACCES')).toBe(true);
    clock.advance(29_999);
    expect(throttle.wait('ENOSPC')).toBe(1);
    expect(throttle.allow('ENOSPC')).toBe(false);
    clock.advance(1);
    expect(throttle.wait('ENOSPC')).toBe(0);
    expect(throttle.allow('ENOSPC')).toBe(true);
    expect(throttle.allow('ENOSPC')).toBe(false);
  });
});
