// The control protocol's messages: every request parses back from its encoding, and each way a
// request can be wrong gets its own error code and a message that says what was wrong.
import { describe, expect, it } from 'vitest';
import {
  actionReply,
  encodeReply,
  encodeRequest,
  errorReply,
  parseReply,
  parseRequest,
  statusReply,
  type ErrorReply,
  type RequestBody,
} from '../../../src/control/protocol.js';
import type { StatusSnapshot } from '../../../src/control/target.js';

function refused(line: string | Uint8Array): ErrorReply {
  const parsed = parseRequest(line);
  if (parsed.ok) throw new Error(`expected ${String(line)} to be refused`);
  return parsed.reply;
}

const snapshot: StatusSnapshot = {
  service: 'shop',
  manifest: '/srv/shop/corral.yaml',
  status: 'running',
  pid: 4242,
  startedAt: 1_700_000_000_000,
  processes: [
    {
      name: 'web',
      state: 'running',
      pid: 4250,
      startedAt: 1_700_000_001_000,
      restarts: { total: 1, window: 0 },
      lastExit: { code: null, signal: 'SIGKILL', at: 1_700_000_000_500 },
      ready: true,
      nextRestartAt: null,
      held: false,
    },
  ],
};

describe('requests', () => {
  const bodies: RequestBody[] = [
    { op: 'status' },
    { op: 'start', names: ['web'] },
    { op: 'stop', names: ['db', 'cache'], withDependents: true },
    { op: 'restart', names: ['web'] },
    { op: 'restart', names: 'all' },
    { op: 'reload', dryRun: true },
  ];

  it.each(bodies)('round-trips %j', (body) => {
    const line = encodeRequest(7, body);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseRequest(line.slice(0, -1))).toEqual({ ok: true, request: { v: 1, id: 7, ...body } });
  });

  it('reads bytes as UTF-8 and tolerates a \\r before the newline', () => {
    const line = Buffer.from('{"v":1,"id":1,"op":"start","names":["wéb"]}\r');
    expect(parseRequest(line)).toEqual({ ok: true, request: { v: 1, id: 1, op: 'start', names: ['wéb'] } });
  });

  it('defaults withDependents and dryRun to false', () => {
    expect(parseRequest('{"v":1,"id":2,"op":"stop","names":["db"]}')).toEqual({
      ok: true,
      request: { v: 1, id: 2, op: 'stop', names: ['db'], withDependents: false },
    });
    expect(parseRequest('{"v":1,"id":3,"op":"reload"}')).toEqual({
      ok: true,
      request: { v: 1, id: 3, op: 'reload', dryRun: false },
    });
  });

  it('refuses what is not JSON, with id null', () => {
    const reply = refused('{"v":1,');
    expect(reply).toMatchObject({ v: 1, id: null, ok: false, code: 'E_BAD_JSON' });
    expect(reply.error).toMatch(/^the request is not JSON: /);
    expect(reply.hint).toBe('send one JSON object per line');
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(refused(Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({
      code: 'E_BAD_JSON',
      error: 'the request is not valid UTF-8',
    });
  });

  it.each([
    ['[1,2]', 'an array'],
    ['"status"', 'the string "status"'],
    ['42', 'number 42'],
    ['null', 'null'],
  ])('refuses JSON that is not an object: %s', (line, what) => {
    expect(refused(line)).toMatchObject({
      code: 'E_BAD_JSON',
      error: `the request must be a JSON object, got ${what}`,
    });
  });

  it('refuses another protocol version, naming it and keeping the id', () => {
    expect(refused('{"v":2,"id":5,"op":"status"}')).toEqual({
      v: 1,
      id: 5,
      ok: false,
      code: 'E_BAD_VERSION',
      error: 'the request has protocol version number 2; this supervisor speaks version 1',
      hint: 'use the corral command of the same version as the running supervisor',
    });
    expect(refused('{"id":5,"op":"status"}').error).toBe(
      'the request has no protocol version (field v); this supervisor speaks version 1',
    );
    expect(refused('{"v":"1","id":5,"op":"status"}').code).toBe('E_BAD_VERSION');
  });

  it.each([
    ['{"v":1,"op":"status"}', 'id must be a non-negative integer, got missing'],
    ['{"v":1,"id":-1,"op":"status"}', 'id must be a non-negative integer, got number -1'],
    ['{"v":1,"id":1.5,"op":"status"}', 'id must be a non-negative integer, got number 1.5'],
    ['{"v":1,"id":"7","op":"status"}', 'id must be a non-negative integer, got the string "7"'],
  ])('refuses a bad id: %s', (line, error) => {
    expect(refused(line)).toMatchObject({ id: null, code: 'E_BAD_ARGS', error });
  });

  it('refuses an unknown op, listing the known ones', () => {
    expect(refused('{"v":1,"id":4,"op":"kill"}')).toEqual({
      v: 1,
      id: 4,
      ok: false,
      code: 'E_UNKNOWN_OP',
      error: 'unknown op "kill"; expected one of status, start, stop, restart, reload',
    });
    expect(refused('{"v":1,"id":4}').error).toMatch(/^unknown op missing;/);
    expect(refused('{"v":1,"id":4,"op":3}').error).toMatch(/^unknown op number 3;/);
    expect(refused('{"v":1,"id":4,"op":"toString"}').code).toBe('E_UNKNOWN_OP');
  });

  it.each([
    ['{"v":1,"id":1,"op":"status","names":["web"]}', 'status does not take "names"'],
    ['{"v":1,"id":1,"op":"start","names":["web"],"force":true}', 'start does not take "force"'],
    ['{"v":1,"id":1,"op":"start","__proto__":{"x":1},"names":["a"]}', 'start does not take "__proto__"'],
    ['{"v":1,"id":1,"op":"start"}', 'start: names must be a non-empty list of process names, got none'],
    [
      '{"v":1,"id":1,"op":"start","names":"web"}',
      'start: names must be a non-empty list of process names, got the string "web"',
    ],
    [
      '{"v":1,"id":1,"op":"start","names":[]}',
      'start: names must be a non-empty list of process names, got an empty list',
    ],
    [
      '{"v":1,"id":1,"op":"stop","names":["a",3]}',
      'stop: names must be a non-empty list of process names, got number 3 at names[1]',
    ],
    [
      '{"v":1,"id":1,"op":"stop","names":["a",""]}',
      'stop: names must be a non-empty list of process names, got the string "" at names[1]',
    ],
    [
      '{"v":1,"id":1,"op":"stop","names":["a"],"withDependents":"yes"}',
      'stop: withDependents must be true or false, got the string "yes"',
    ],
    [
      '{"v":1,"id":1,"op":"restart","names":"some"}',
      'restart: names must be a non-empty list of process names or "all", got the string "some"',
    ],
    ['{"v":1,"id":1,"op":"reload","dryRun":1}', 'reload: dryRun must be true or false, got number 1'],
  ])('refuses wrong arguments: %s', (line, error) => {
    expect(refused(line)).toEqual({ v: 1, id: 1, ok: false, code: 'E_BAD_ARGS', error });
  });
});

describe('replies', () => {
  it('carry an action result, with or without detail', () => {
    expect(actionReply(3, { ok: true, message: 'started web' })).toEqual({
      v: 1,
      id: 3,
      ok: true,
      message: 'started web',
    });
    expect(actionReply(3, { ok: true, message: 'reloaded', detail: ['restart web'] })).toEqual({
      v: 1,
      id: 3,
      ok: true,
      message: 'reloaded',
      detail: ['restart web'],
    });
    expect(actionReply(3, { ok: false, error: 'no process named "wbe"', hint: 'did you mean web?' })).toEqual(
      {
        v: 1,
        id: 3,
        ok: false,
        code: 'E_FAILED',
        error: 'no process named "wbe"',
        hint: 'did you mean web?',
      },
    );
  });

  it('encode as one line and parse back', () => {
    const replies = [
      statusReply(1, snapshot),
      actionReply(1, { ok: true, message: 'm', detail: ['a', 'b'] }),
      errorReply(1, 'E_FAILED', 'no'),
      errorReply(null, 'E_BAD_JSON', 'not JSON', 'send JSON'),
    ];
    for (const reply of replies) {
      const line = encodeReply(reply);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      const op = 'status' in reply ? 'status' : 'start';
      expect(parseReply(line.slice(0, -1), 1, op)).toEqual({ ok: true, reply });
    }
  });

  it.each([
    ['not json', 'status', /^the reply is not JSON: /],
    [
      '{"v":2,"id":1,"ok":true,"message":"m"}',
      'start',
      /^the reply has protocol version number 2, this corral/,
    ],
    ['{"v":1,"id":2,"ok":true,"message":"m"}', 'start', /^the reply answers request number 2, not 1$/],
    ['{"v":1,"id":1,"message":"m"}', 'start', /^the reply has no ok field$/],
    ['{"v":1,"id":1,"ok":true,"message":3}', 'start', /^the reply is malformed$/],
    ['{"v":1,"id":1,"ok":true,"message":"m","detail":[1]}', 'start', /^the reply is malformed$/],
    ['{"v":1,"id":1,"ok":true,"message":"m"}', 'status', /^the status in the reply is malformed$/],
    ['{"v":1,"id":1,"ok":false,"error":"e"}', 'start', /^the error reply is malformed$/],
  ] as const)('find fault with %s', (line, op, problem) => {
    const parsed = parseReply(line, 1, op);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });

  it('check every field of a status snapshot', () => {
    const broken = { ...snapshot, processes: [{ ...snapshot.processes[0], restarts: { total: 1 } }] };
    const line = JSON.stringify({ v: 1, id: 1, ok: true, status: broken });
    expect(parseReply(line, 1, 'status')).toEqual({
      ok: false,
      problem: 'the status in the reply is malformed',
    });
  });
});
