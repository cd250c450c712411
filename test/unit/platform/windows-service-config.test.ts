// What `corral install` asks the SCM for: the quoted command line, the start type, the account,
// the recovery actions. Pure; the calls themselves run under Wine (windows-service.test.ts).
import { describe, expect, it } from 'vitest';
import {
  installPlan,
  quoteArgument,
  SC_ACTION,
  SERVICE_AUTO_START,
  SERVICE_DEMAND_START,
  SERVICE_DISABLED,
  isCorralCommandLine,
  serviceCommandLine,
} from '../../../src/platform/windows/service-config.js';
import { load } from '../../helpers/manifest.js';

const manifestWith = (service: string) =>
  load(`version: 1\nservice: { name: billing${service} }\nprocesses:\n  a: { command: [a] }\n`);

describe('serviceCommandLine', () => {
  it('quotes every path, so C:\\Program Files\\... is one argument', () => {
    expect(
      serviceCommandLine(
        'C:\\Program Files\\nodejs\\node.exe',
        'C:\\Program Files\\corral\\bin\\corral.js',
        'D:\\stacks\\billing stack\\corral.yaml',
      ),
    ).toBe(
      '"C:\\Program Files\\nodejs\\node.exe" "C:\\Program Files\\corral\\bin\\corral.js" "service" "D:\\stacks\\billing stack\\corral.yaml"',
    );
  });
  it('puts the flags install adds (--trust, --insecure-manifest) before the manifest', () => {
    expect(
      serviceCommandLine('n.exe', 'c.js', 'm.yaml', [
        '--trust',
        'S-1-5-21-1-2-3-1001',
        '--insecure-manifest',
      ]),
    ).toBe('"n.exe" "c.js" "service" "--trust" "S-1-5-21-1-2-3-1001" "--insecure-manifest" "m.yaml"');
  });

  it('doubles backslashes only before a quote or the closing quote', () => {
    expect(quoteArgument('C:\\a\\')).toBe('"C:\\a\\\\"');
    expect(quoteArgument('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteArgument('a\\"b')).toBe('"a\\\\\\"b"');
    expect(quoteArgument('')).toBe('""');
  });
});

describe('isCorralCommandLine', () => {
  it('knows the command lines install writes, and nothing else', () => {
    expect(
      isCorralCommandLine(serviceCommandLine('C:\\n\\node.exe', 'C:\\c\\bin\\corral.js', 'D:\\m.yaml')),
    ).toBe(true);
    expect(
      isCorralCommandLine(
        serviceCommandLine('n.exe', 'C:\\c\\bin\\corral.js', 'm.yaml', ['--trust', 'S-1-5-18']),
      ),
    ).toBe(true);
    expect(isCorralCommandLine('C:\\Windows\\System32\\spoolsv.exe')).toBe(false);
    expect(isCorralCommandLine('"C:\\tools\\corral.js.bak" "service"')).toBe(false);
    expect(isCorralCommandLine('')).toBe(false);
  });
});

describe('installPlan', () => {
  it('uses the defaults: auto start, LocalSystem, restart after 10 s and 1 min, then none, reset after a day', () => {
    const plan = installPlan(manifestWith(''), 'billing', 'BIN');
    expect(plan.config).toMatchObject({
      name: 'billing',
      displayName: 'billing',
      serviceType: 0x10,
      startType: SERVICE_AUTO_START,
      binaryPath: 'BIN',
      account: null,
      password: null,
    });
    expect(plan.delayedAutoStart).toBe(false);
    expect(plan.preshutdownTimeout).toBeNull();
    expect(plan.failureActions).toEqual({
      resetPeriod: 86_400,
      rebootMessage: null,
      command: null,
      actions: [
        { type: SC_ACTION.restart, delay: 10_000 },
        { type: SC_ACTION.restart, delay: 60_000 },
        { type: SC_ACTION.none, delay: 0 },
      ],
    });
  });

  it('maps start types, accounts, failure actions and the preshutdown timeout from the manifest', () => {
    const plan = installPlan(
      manifestWith(
        ', display_name: Billing, description: The stack, start_type: delayed-auto, account: NetworkService,' +
          ' preshutdown_timeout: 2m, failure_actions: { reset_after: 1h, command: "notify.exe", reboot_message: bye,' +
          ' actions: [{ restart: 5s }, { run: 30s }, { reboot: 1m }, none] }',
      ),
      'billing',
      'BIN',
    );
    expect(plan.config).toMatchObject({
      displayName: 'Billing',
      startType: SERVICE_AUTO_START,
      account: 'NT AUTHORITY\\NetworkService',
      password: null,
    });
    expect(plan.description).toBe('The stack');
    expect(plan.delayedAutoStart).toBe(true);
    expect(plan.preshutdownTimeout).toBe(120_000);
    expect(plan.failureActions).toEqual({
      resetPeriod: 3_600,
      rebootMessage: 'bye',
      command: 'notify.exe',
      actions: [
        { type: SC_ACTION.restart, delay: 5_000 },
        { type: SC_ACTION.run, delay: 30_000 },
        { type: SC_ACTION.reboot, delay: 60_000 },
        { type: SC_ACTION.none, delay: 0 },
      ],
    });
    expect(installPlan(manifestWith(', start_type: manual'), 'b', 'B').config.startType).toBe(
      SERVICE_DEMAND_START,
    );
    expect(installPlan(manifestWith(', start_type: disabled'), 'b', 'B').config.startType).toBe(
      SERVICE_DISABLED,
    );
    expect(installPlan(manifestWith(', account: LocalService'), 'b', 'B').config.account).toBe(
      'NT AUTHORITY\\LocalService',
    );
    expect(
      installPlan(manifestWith(', account: { user: ".\\\\svc", password: pw }'), 'b', 'B').config,
    ).toMatchObject({ account: '.\\svc', password: 'pw' });
  });
});
