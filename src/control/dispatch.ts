// One request line → the ControlTarget → the reply to send. Never throws: a request it cannot read
// and a target that throws both become error replies.
import type { LogRecord } from '../core/supervisor.js';
import { actionReply, errorReply, parseRequest, statusReply, type Reply, type Request } from './protocol.js';
import type { ControlTarget } from './target.js';

export type Log = (record: LogRecord) => void;

export async function answer(target: ControlTarget, line: Uint8Array, log: Log): Promise<Reply> {
  const parsed = parseRequest(line);
  if (!parsed.ok) {
    log({ level: 'debug', event: 'control', message: `refused a control request: ${parsed.reply.error}` });
    return parsed.reply;
  }
  const { request } = parsed;
  try {
    return await perform(target, request);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log({ level: 'error', event: 'control', message: `control request ${request.op} failed: ${reason}` });
    return errorReply(
      request.id,
      'E_INTERNAL',
      `the supervisor failed to ${request.op}: ${reason}`,
      'this is a bug in corral; the supervisor log has the details',
    );
  }
}

async function perform(target: ControlTarget, request: Request): Promise<Reply> {
  switch (request.op) {
    case 'status':
      return statusReply(request.id, target.status());
    case 'start':
      return actionReply(request.id, await target.start(request.names));
    case 'stop':
      return actionReply(
        request.id,
        await target.stop(request.names, { withDependents: request.withDependents }),
      );
    case 'restart':
      return actionReply(request.id, await target.restart(request.names));
    case 'reload':
      return actionReply(request.id, await target.reload({ dryRun: request.dryRun }));
  }
}
