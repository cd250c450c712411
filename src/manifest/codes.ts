// The stable diagnostic codes of manifest loading and validation. A code never changes meaning once
// released; scripts match on it (`corral validate --json`). README.md documents every code, and a
// test fails when one is missing there.
export const diagnosticCodes = {
  // Reading the file
  E_TOO_LARGE: 'the file is larger than the 1 MB a manifest may be',
  E_NOT_TEXT: 'the file is not UTF-8 text (binary data, a NUL byte or an invalid byte sequence)',
  E_EMPTY: 'the file is empty or holds only comments',
  // YAML syntax
  E_YAML_SYNTAX: 'the YAML is malformed',
  E_TAB_INDENT: 'a tab is used for indentation, which YAML forbids',
  E_DUPLICATE_KEY: 'a key appears twice in the same mapping',
  E_MULTIPLE_DOCUMENTS: 'the file holds more than one YAML document',
  E_TOO_DEEP: 'the YAML nests deeper than a manifest ever needs',
  E_ALIAS_LIMIT: 'the YAML uses more aliases than a manifest ever needs (an alias bomb?)',
  E_YAML_TAG: 'a YAML tag (!!str, !custom) is used; manifests take plain values',
  // Shape of the values
  E_UNKNOWN_KEY: 'a key that corral does not know (x- keys are allowed and ignored)',
  E_REQUIRED: 'a required key is missing',
  E_TYPE: 'a value has the wrong type',
  E_ENUM: 'a value is not one of the allowed words',
  E_NAME: 'a name (process, service, variable) has characters it may not have',
  E_RANGE: 'a number is out of its allowed range',
  E_DURATION: 'a duration is malformed, negative or too long',
  E_SIZE: 'a size is malformed',
  E_VERSION: 'the manifest version is missing or not supported',
  E_VARIABLE: 'a ${VAR} reference is malformed or names an undefined variable',
  E_NUL: 'a string holds a NUL character (a \\0 escape), which no command, path or environment can carry',
  E_COMMAND: 'a command is empty or cannot be split into arguments',
  E_SIGNAL: 'a signal name is unknown',
  E_ADDRESS: 'a tcp address is not host:port',
  E_URL: 'a URL is malformed or not http(s)',
  E_REGEX: 'a regular expression does not compile',
  E_STOP_STEP: 'a stop step has an unknown or ambiguous shape',
  E_PROBE: 'a probe names no check or more than one (tcp, http, exec, log)',
  E_PLATFORM: 'a stop step or key is not available on the target platform',
  E_FAILURE_ACTION: 'a service failure action is malformed',
  // Meaning
  E_DEPENDENCY_UNKNOWN: 'depends_on names a process that does not exist',
  E_DEPENDENCY_SELF: 'a process depends on itself',
  E_DEPENDENCY_CYCLE: 'processes depend on each other in a cycle',
  E_DEPENDENCY_DISABLED: 'a process depends on a disabled process',
  E_DEPENDENCY_NOT_READY: 'depends_on asks for ready, but the dependency has no ready probe',
  E_STOP_ORDER: 'kill is not the last stop step',
  E_RESTART: 'restart settings contradict each other (max_delay below delay)',
  E_ENV_FILE: 'an env_file is missing, unreadable or malformed',
  E_NO_PROCESSES: 'the manifest lists no processes',
  W_STOP_NO_KILL: 'warning: a stop list does not end with kill, so a process may outlive its stop',
  W_STOP_BUDGET: 'warning: the worst-case ordered stop takes longer than service.stop_timeout',
  W_PRESHUTDOWN_BUDGET: 'warning: the worst-case ordered stop takes longer than service.preshutdown_timeout',
  W_COMPLETED_NEVER: 'warning: depends_on waits for completed, but the restart policy is always',
  W_CWD_MISSING: 'warning: a cwd does not exist (yet)',
  W_ALL_DISABLED: 'warning: every process is disabled',
} as const;

export type DiagnosticCode = keyof typeof diagnosticCodes;
