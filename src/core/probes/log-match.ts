/**
 * The `log` probe: watches a process's output lines for a regular expression. `feed` every line
 * of stdout and stderr; `seen` says whether a line matched since the last `reset`.
 */
export class LogMatcher {
  readonly #pattern: RegExp;
  #seen = false;

  constructor(pattern: string) {
    this.#pattern = new RegExp(pattern);
  }

  feed(line: string): void {
    if (!this.#seen && this.#pattern.test(line)) this.#seen = true;
  }

  get seen(): boolean {
    return this.#seen;
  }

  reset(): void {
    this.#seen = false;
  }
}
