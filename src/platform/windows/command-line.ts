// How a batch file's command line is built. Node refuses to spawn .bat and .cmd files directly
// (CVE-2024-27980), and cmd.exe, which runs them, parses its own command line by rules of its own:
// a caret, an ampersand or a pipe outside quotes is an operator, and %NAME% expands even inside
// quotes. So every word is quoted, and words cmd.exe would still change are refused with a message
// that says what to do, rather than escaped by rules that differ between cmd.exe versions.

/** Whether the program is run by cmd.exe: a .bat or .cmd file. */
export function isBatchFile(program: string): boolean {
  return /\.(?:bat|cmd)$/i.test(program);
}

/** Characters cmd.exe acts on even inside double quotes, or that end the quoting. */
const UNSAFE_IN_QUOTES = /["%!\r\n\0]/;

export class BatchArgumentError extends Error {
  constructor(
    readonly index: number,
    readonly character: string,
  ) {
    super(
      `command[${index}] contains ${JSON.stringify(character)}, which cmd.exe would change when it runs a batch ` +
        `file; pass the batch file its arguments another way (environment variables, a file) or write the whole ` +
        `command line yourself with shell: true`,
    );
    this.name = 'BatchArgumentError';
  }
}

/**
 * The text after `cmd.exe /d /v:off /s /c` that runs `argv` (a batch file and its arguments): each
 * word in double quotes, the whole in one more pair that /s strips. Inside quotes cmd.exe takes
 * & | < > ^ ( ) and spaces literally; a backslash means nothing to it, so none is doubled.
 */
export function batchCommandLine(argv: readonly string[]): string {
  argv.forEach((word, index) => {
    const bad = UNSAFE_IN_QUOTES.exec(word);
    if (bad !== null) throw new BatchArgumentError(index, bad[0]);
  });
  return `"${argv.map((word) => `"${word}"`).join(' ')}"`;
}

/** The arguments of cmd.exe that run `commandLine` (already quoted for it) and nothing else. */
export function cmdArguments(commandLine: string): string[] {
  // /d: no AutoRun commands from the registry; /v:off: no !delayed! expansion; /s /c: strip the
  // outer quotes and run the rest as written.
  return ['/d', '/v:off', '/s', '/c', commandLine];
}
