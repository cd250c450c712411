// The error family for failures that are not manifest diagnostics: a file that cannot be read, a
// bad command line. Each has a stable code (documented in README.md) and a message that says what,
// which value, and how to fix it. The CLI maps them to exit codes; nothing else calls process.exit.
export const errorCodes = {
  E_READ: 'the manifest file cannot be read (missing, a folder, no permission)',
  E_USAGE: 'the command line is wrong (unknown command or option, missing argument)',
  E_LOCKED: 'a live corral already supervises this manifest',
  E_LOCK_FILE: 'a lock file is unreadable, not a corral lock, or was lost while held',
  E_RUNTIME_DIR: 'the runtime folder for locks cannot be created or is unsafe',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class CorralError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CorralError';
  }
}
