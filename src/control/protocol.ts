// The control protocol: one JSON object per line (UTF-8, ending in \n), a request from the CLI and
// one reply from the supervisor for each, in order. Version 1:
//
//   {"v":1,"id":7,"op":"status"}
//   {"v":1,"id":7,"op":"start","names":["web"]}
//   {"v":1,"id":7,"op":"stop","names":["db"],"withDependents":true}      withDependents: default false
//   {"v":1,"id":7,"op":"restart","names":["web","api"]}  or  "names":"all"
//   {"v":1,"id":7,"op":"reload","dryRun":true}                            dryRun: default false
//
//   {"v":1,"id":7,"ok":true,"status":{…StatusSnapshot…}}                 the reply to status
//   {"v":1,"id":7,"ok":true,"message":"…","detail":["…"]}                 to the others (detail optional)
//   {"v":1,"id":7,"ok":false,"code":"E_FAILED","error":"…","hint":"…"}   hint optional; id null when
//                                                                        the request's id was unreadable
//
// Error codes: E_BAD_JSON (not UTF-8 JSON, or not an object), E_BAD_VERSION (v is not 1),
// E_UNKNOWN_OP, E_BAD_ARGS (a field missing, unknown, or of the wrong type), E_TOO_LARGE (a line
// over MAX_REQUEST_BYTES; the server then closes the connection), E_INTERNAL (the supervisor threw),
// E_FAILED (the supervisor refused or could not do it; `error` says why).
//
// Parsing is strict: unknown fields are errors, so a newer CLI talking to an older supervisor hears
// so instead of having an option silently ignored. Everything here is pure.
import type { ActionResult, ProcessStatus, StatusSnapshot } from './target.js';

export const PROTOCOL_VERSION = 1;
/** The longest request line the server reads, newline excluded. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** The longest reply line the client reads (a status of many processes is long). */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;

export const OPS = ['status', 'start', 'stop', 'restart', 'reload'] as const;
export type Op = (typeof OPS)[number];

export type RequestBody =
  | { readonly op: 'status' }
  | { readonly op: 'start'; readonly names: readonly string[] }
  | { readonly op: 'stop'; readonly names: readonly string[]; readonly withDependents: boolean }
  | { readonly op: 'restart'; readonly names: readonly string[] | 'all' }
  | { readonly op: 'reload'; readonly dryRun: boolean };

export type StatusRequestBody = Extract<RequestBody, { op: 'status' }>;
export type ActionRequestBody = Exclude<RequestBody, StatusRequestBody>;

export type Request = RequestBody & { readonly v: typeof PROTOCOL_VERSION; readonly id: number };

export type ErrorCode =
  'E_BAD_JSON' | 'E_BAD_VERSION' | 'E_UNKNOWN_OP' | 'E_BAD_ARGS' | 'E_TOO_LARGE' | 'E_INTERNAL' | 'E_FAILED';

export interface StatusReply {
  readonly v: typeof PROTOCOL_VERSION;
  readonly id: number;
  readonly ok: true;
  readonly status: StatusSnapshot;
}

export interface ActionReply {
  readonly v: typeof PROTOCOL_VERSION;
  readonly id: number;
  readonly ok: true;
  readonly message: string;
  readonly detail?: readonly string[];
}

export interface ErrorReply {
  readonly v: typeof PROTOCOL_VERSION;
  readonly id: number | null;
  readonly ok: false;
  readonly code: ErrorCode;
  readonly error: string;
  readonly hint?: string;
}

export type Reply = StatusReply | ActionReply | ErrorReply;

export type ParsedRequest =
  { readonly ok: true; readonly request: Request } | { readonly ok: false; readonly reply: ErrorReply };

/** The request line, without its newline, followed by one. */
export function encodeRequest(id: number, body: RequestBody): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, id, ...body })}\n`;
}

export function encodeReply(reply: Reply): string {
  return `${JSON.stringify(reply)}\n`;
}

export function errorReply(id: number | null, code: ErrorCode, error: string, hint?: string): ErrorReply {
  const base = { v: PROTOCOL_VERSION, id, ok: false, code, error } as const;
  return hint === undefined ? base : { ...base, hint };
}

export function statusReply(id: number, status: StatusSnapshot): StatusReply {
  return { v: PROTOCOL_VERSION, id, ok: true, status };
}

/** The reply carrying what the supervisor said about an operation. */
export function actionReply(id: number, result: ActionResult): ActionReply | ErrorReply {
  if (!result.ok) return errorReply(id, 'E_FAILED', result.error, result.hint);
  const base = { v: PROTOCOL_VERSION, id, ok: true, message: result.message } as const;
  return result.detail === undefined ? base : { ...base, detail: [...result.detail] };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Fields = Readonly<Record<string, unknown>>;

function parseObject(line: Uint8Array | string, what: 'request' | 'reply'): Fields | string {
  let text: string;
  if (typeof line === 'string') text = line;
  else {
    try {
      text = utf8.decode(line);
    } catch {
      return `the ${what} is not valid UTF-8`;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `the ${what} is not JSON: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `the ${what} must be a JSON object, got ${describe(value)}`;
  }
  return value as Fields;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

const isId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const ARGS: Readonly<Record<Op, readonly string[]>> = {
  status: [],
  start: ['names'],
  stop: ['names', 'withDependents'],
  restart: ['names'],
  reload: ['dryRun'],
};

/** Reads one request line (without its newline); a request it cannot accept becomes the error reply to send. */
export function parseRequest(line: Uint8Array | string): ParsedRequest {
  const fields = parseObject(line, 'request');
  if (typeof fields === 'string') return fail(null, 'E_BAD_JSON', fields, 'send one JSON object per line');
  const id = isId(fields['id']) ? fields['id'] : null;
  const { v, op } = fields;
  if (v !== PROTOCOL_VERSION) {
    const found = v === undefined ? 'no protocol version (field v)' : `protocol version ${describe(v)}`;
    return fail(
      id,
      'E_BAD_VERSION',
      `the request has ${found}; this supervisor speaks version ${PROTOCOL_VERSION}`,
      'use the corral command of the same version as the running supervisor',
    );
  }
  if (id === null) {
    const found = fields['id'] === undefined ? 'missing' : describe(fields['id']);
    return fail(null, 'E_BAD_ARGS', `id must be a non-negative integer, got ${found}`);
  }
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    const found = typeof op === 'string' ? JSON.stringify(op) : op === undefined ? 'missing' : describe(op);
    return fail(id, 'E_UNKNOWN_OP', `unknown op ${found}; expected one of ${OPS.join(', ')}`);
  }
  const known = new Set(['v', 'id', 'op', ...ARGS[op as Op]]);
  const unknown = Object.keys(fields).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    const list = unknown.map((key) => JSON.stringify(key)).join(', ');
    return fail(id, 'E_BAD_ARGS', `${op} does not take ${list}`);
  }
  const body = parseBody(op as Op, fields);
  if (typeof body === 'string') return fail(id, 'E_BAD_ARGS', `${op}: ${body}`);
  return { ok: true, request: { v: PROTOCOL_VERSION, id, ...body } };
}

function fail(id: number | null, code: ErrorCode, error: string, hint?: string): ParsedRequest {
  return { ok: false, reply: errorReply(id, code, error, hint) };
}

function parseBody(op: Op, fields: Fields): RequestBody | string {
  switch (op) {
    case 'status':
      return { op };
    case 'start': {
      const names = parseNames(fields['names']);
      return typeof names === 'string' ? names : { op, names };
    }
    case 'stop': {
      const names = parseNames(fields['names']);
      const withDependents = parseFlag(fields, 'withDependents');
      if (typeof names === 'string') return names;
      return typeof withDependents === 'string' ? withDependents : { op, names, withDependents };
    }
    case 'restart': {
      if (fields['names'] === 'all') return { op, names: 'all' };
      const names = parseNames(fields['names'], ' or "all"');
      return typeof names === 'string' ? names : { op, names };
    }
    case 'reload': {
      const dryRun = parseFlag(fields, 'dryRun');
      return typeof dryRun === 'string' ? dryRun : { op, dryRun };
    }
  }
}

function parseNames(value: unknown, alternative = ''): readonly string[] | string {
  const expected = `names must be a non-empty list of process names${alternative}`;
  if (!Array.isArray(value)) return `${expected}, got ${value === undefined ? 'none' : describe(value)}`;
  if (value.length === 0) return `${expected}, got an empty list`;
  const bad = (value as unknown[]).findIndex((name) => typeof name !== 'string' || name === '');
  if (bad !== -1) return `${expected}, got ${describe(value[bad])} at names[${bad}]`;
  return value as string[];
}

function parseFlag(fields: Fields, key: string): boolean | string {
  const value = fields[key];
  if (value === undefined) return false;
  return typeof value === 'boolean' ? value : `${key} must be true or false, got ${describe(value)}`;
}

export type ParsedReply<R> =
  { readonly ok: true; readonly reply: R } | { readonly ok: false; readonly problem: string };

/** Reads the reply to request `id` (of op `op`); anything else is a problem described for the user. */
export function parseReply(
  line: Uint8Array | string,
  id: number,
  op: 'status',
): ParsedReply<StatusReply | ErrorReply>;
export function parseReply(line: Uint8Array | string, id: number, op: Op): ParsedReply<Reply>;
export function parseReply(line: Uint8Array | string, id: number, op: Op): ParsedReply<Reply> {
  const fields = parseObject(line, 'reply');
  if (typeof fields === 'string') return { ok: false, problem: fields };
  const problem = replyProblem(fields, id, op);
  return problem === null ? { ok: true, reply: fields as unknown as Reply } : { ok: false, problem };
}

function replyProblem(fields: Fields, id: number, op: Op): string | null {
  if (fields['v'] !== PROTOCOL_VERSION) {
    return `the reply has protocol version ${describe(fields['v'])}, this corral speaks version ${PROTOCOL_VERSION}`;
  }
  if (fields['ok'] === false) {
    const { code, error, hint } = fields;
    const fine =
      (fields['id'] === id || fields['id'] === null) &&
      typeof code === 'string' &&
      typeof error === 'string' &&
      (hint === undefined || typeof hint === 'string');
    return fine ? null : 'the error reply is malformed';
  }
  if (fields['ok'] !== true) return 'the reply has no ok field';
  if (fields['id'] !== id) return `the reply answers request ${describe(fields['id'])}, not ${id}`;
  if (op === 'status') return isSnapshot(fields['status']) ? null : 'the status in the reply is malformed';
  const { message, detail } = fields;
  const fine =
    typeof message === 'string' &&
    (detail === undefined || (Array.isArray(detail) && detail.every((line) => typeof line === 'string')));
  return fine ? null : 'the reply is malformed';
}

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNullable =
  <T>(is: (value: unknown) => value is T) =>
  (value: unknown): value is T | null =>
    value === null || is(value);
const isString = (value: unknown): value is string => typeof value === 'string';

function isProcessStatus(value: unknown): value is ProcessStatus {
  if (!isObject(value)) return false;
  const { name, state, pid, startedAt, restarts, lastExit, ready, nextRestartAt, held } = value;
  const exitOk =
    lastExit === null ||
    (isObject(lastExit) &&
      isNullable(isNumber)(lastExit['code']) &&
      isNullable(isString)(lastExit['signal']) &&
      isNumber(lastExit['at']));
  return (
    isString(name) &&
    isString(state) &&
    isNullable(isNumber)(pid) &&
    isNullable(isNumber)(startedAt) &&
    isObject(restarts) &&
    isNumber(restarts['total']) &&
    isNumber(restarts['window']) &&
    exitOk &&
    (ready === null || typeof ready === 'boolean') &&
    isNullable(isNumber)(nextRestartAt) &&
    typeof held === 'boolean'
  );
}

export function isSnapshot(value: unknown): value is StatusSnapshot {
  if (!isObject(value)) return false;
  const { service, manifest, status, pid, startedAt, processes } = value;
  return (
    isString(service) &&
    isString(manifest) &&
    isString(status) &&
    isNumber(pid) &&
    isNumber(startedAt) &&
    Array.isArray(processes) &&
    processes.every(isProcessStatus)
  );
}
