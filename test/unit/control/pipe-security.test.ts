// The DACL of the Windows control pipe, as SDDL. Wine does not enforce DACLs as Windows does, so
// this string is the only proof of who may open the pipe (pipe-server.ts turns it into the
// security descriptor of every instance).
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../../src/control/errors.js';
import { ADMINISTRATORS_SID, pipeSddl, SYSTEM_SID } from '../../../src/control/pipe-security.js';

describe('pipeSddl', () => {
  it('admits SYSTEM, the Administrators and the account the supervisor runs as, nobody else', () => {
    const user = 'S-1-5-21-3623811015-3361044348-30300820-1013';
    expect(pipeSddl(user)).toBe(`D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;${user})`);
  });

  it('is protected (no inherited ACEs) and names neither Everyone, Anonymous nor any group of users', () => {
    const sddl = pipeSddl('S-1-5-21-1-2-3-1001');
    expect(sddl.startsWith('D:P')).toBe(true);
    for (const unwanted of ['WD', 'AN', 'BU', 'AU', 'IU', 'NU', 'S-1-1-0', 'S-1-5-7', 'S-1-5-11']) {
      expect(sddl).not.toContain(`;${unwanted})`);
    }
    expect(sddl).not.toMatch(/\(D;/); // allow ACEs only: nothing to order
  });

  it('does not repeat SYSTEM (a LocalSystem service) or the Administrators', () => {
    expect(pipeSddl(SYSTEM_SID)).toBe('D:P(A;;GA;;;SY)(A;;GA;;;BA)');
    expect(pipeSddl(ADMINISTRATORS_SID)).toBe('D:P(A;;GA;;;SY)(A;;GA;;;BA)');
  });

  it('admits a service account (NT SERVICE\\..., LocalService, NetworkService) by its SID', () => {
    expect(pipeSddl('S-1-5-19')).toBe('D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;S-1-5-19)');
    const virtual = 'S-1-5-80-1234567890-1234567890-1234567890-1234567890-1234567890';
    expect(pipeSddl(virtual)).toContain(`(A;;GA;;;${virtual})`);
  });

  it.each(['', 'Everyone', 'WD', 'S-1-5-21-1)(A;;GA;;;WD', 'S-1-1', 's-1-5-18', 'S-1-5-18 ', 'S-2-5-18'])(
    'refuses %j, which is not a SID and could smuggle in an ACE',
    (bad) => {
      expect(() => pipeSddl(bad)).toThrow(ControlError);
    },
  );
});
