// `corral status` as people and programs read it: the table word for word at a fixed time, colour
// only on a terminal without NO_COLOR, and the documented JSON shape.
import { describe, expect, it } from 'vitest';
import { formatDuration, renderStatus, shouldColour, statusJson } from '../../../src/control/status-table.js';
import type { ProcessStatus, StatusSnapshot } from '../../../src/control/target.js';

const NOW = Date.UTC(2026, 0, 2, 12, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;

const base: ProcessStatus = {
  name: 'web',
  state: 'running',
  pid: 4250,
  startedAt: NOW - (H + 2 * M + 7 * S),
  restarts: { total: 0, window: 0 },
  lastExit: null,
  ready: true,
  nextRestartAt: null,
  held: false,
};

const snapshot: StatusSnapshot = {
  service: 'shop',
  manifest: '/srv/shop/corral.yaml',
  status: 'degraded',
  pid: 4242,
  startedAt: NOW - (H + 3 * M),
  processes: [
    { ...base, name: 'db', ready: null },
    {
      ...base,
      name: 'worker',
      state: 'backoff',
      pid: null,
      startedAt: null,
      restarts: { total: 5, window: 3 },
      lastExit: { code: 1, signal: null, at: NOW - 12 * S },
      ready: false,
      nextRestartAt: NOW + 3_200,
    },
    {
      ...base,
      name: 'web',
      state: 'stopped',
      pid: null,
      startedAt: null,
      lastExit: { code: null, signal: 'SIGTERM', at: NOW - 3 * M - 4 * S },
      ready: null,
      held: true,
    },
  ],
};

const plain = `shop: degraded (corral pid 4242, up 1h03m)
manifest /srv/shop/corral.yaml

NAME    STATE           PID   UPTIME  RESTARTS  LAST EXIT           READY  NEXT RESTART
db      running         4250  1h02m   0/0       -                   -      -
worker  backoff         -     -       5/3       code 1, 12s ago     no     in 4s
web     stopped (held)  -     -       0/0       SIGTERM, 3m04s ago  -      -
`;

describe('renderStatus', () => {
  it('prints the aggregate state, then one row per process', () => {
    expect(renderStatus(snapshot, { now: NOW, colour: false })).toBe(plain);
  });

  it('colours states and readiness without moving the columns', () => {
    const coloured = renderStatus(snapshot, { now: NOW, colour: true });
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[[0-9]+m/g, '')).toBe(plain);
    expect(coloured).toContain('shop: \u001b[33mdegraded\u001b[0m (corral');
    expect(coloured).toContain('\u001b[32mrunning\u001b[0m         4250');
    expect(coloured).toContain('\u001b[2mstopped (held)\u001b[0m  -');
    expect(coloured).toContain('\u001b[33mno\u001b[0m     in 4s');
  });

  it('says when there are no processes', () => {
    const empty = { ...snapshot, status: 'running', processes: [] };
    expect(renderStatus(empty, { now: NOW, colour: false })).toBe(
      'shop: running (corral pid 4242, up 1h03m)\nmanifest /srv/shop/corral.yaml\n\nno processes\n',
    );
  });

  it('shows a restart that is due as now, and an exit without code or signal as ended', () => {
    const due = {
      ...base,
      state: 'backoff',
      lastExit: { code: null, signal: null, at: NOW },
      nextRestartAt: NOW - 5,
    };
    const text = renderStatus({ ...snapshot, processes: [due] }, { now: NOW, colour: false });
    expect(text.split('\n')[4]).toBe('web   backoff  4250  1h02m   0/0       ended, 0s ago  yes    now');
  });

  it('turns control characters from the supervisor into ?', () => {
    const hostile = { ...snapshot, service: 'shop\u001b[2J', processes: [{ ...base, name: 'a\rb' }] };
    const text = renderStatus(hostile, { now: NOW, colour: false });
    expect(text).toContain('shop?[2J: degraded');
    expect(text).toContain('\na?b  ');
  });
});

describe('shouldColour', () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '0' }, false],
    [false, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
  ])('isTTY %s with %j → %s', (isTTY, env, expected) => {
    expect(shouldColour(isTTY, env)).toBe(expected);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [-5 * S, '0s'],
    [999, '0s'],
    [59 * S, '59s'],
    [60 * S, '1m00s'],
    [3 * M + 5 * S, '3m05s'],
    [H + 2 * M + 59 * S, '1h02m'],
    [24 * H - 1, '23h59m'],
    [3 * 24 * H + 4 * H + 30 * M, '3d04h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('statusJson', () => {
  it('is the snapshot, keys in the documented order, whatever order they came in', () => {
    const shuffled = JSON.parse(
      JSON.stringify({
        processes: snapshot.processes.map((p) => Object.fromEntries(Object.entries(p).reverse())),
        startedAt: snapshot.startedAt,
        pid: snapshot.pid,
        status: snapshot.status,
        manifest: snapshot.manifest,
        service: snapshot.service,
      }),
    ) as StatusSnapshot;
    const json = statusJson(shuffled);
    expect(JSON.parse(json)).toEqual(snapshot);
    expect(json).toBe(statusJson(snapshot));
    expect(Object.keys(JSON.parse(json) as object)).toEqual([
      'service',
      'manifest',
      'status',
      'pid',
      'startedAt',
      'processes',
    ]);
    expect(json).toContain(
      `    {
      "name": "worker",
      "state": "backoff",
      "pid": null,
      "startedAt": null,
      "restarts": {
        "total": 5,
        "window": 3
      },
      "lastExit": {
        "code": 1,
        "signal": null,
        "at": ${NOW - 12 * S}
      },
      "ready": false,
      "nextRestartAt": ${NOW + 3_200},
      "held": false
    }`,
    );
  });
});
