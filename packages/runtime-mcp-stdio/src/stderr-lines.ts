import type { Logger } from '@dagstack/plugin-api';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** Longest stderr line kept; longer ones are cut (memory stays bounded). */
const MAX_LINE = 16 * 1024;

/**
 * Feed a child's stderr into a logger line by line (docs/wire.md §11): a JSON
 * line with `level` and `msg` is logged at its level with its fields, any
 * other line at `info`. Keeps the last lines for crash reports.
 */
export class StderrLines {
  readonly #logger: Logger;
  #partial = '';
  readonly #tail: string[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  push(chunk: Buffer | string): void {
    let text = this.#partial + chunk.toString();
    let index = text.indexOf('\n');
    while (index >= 0) {
      this.#line(text.slice(0, index).replace(/\r$/, ''));
      text = text.slice(index + 1);
      index = text.indexOf('\n');
    }
    if (text.length > MAX_LINE) {
      this.#line(`${text.slice(0, MAX_LINE)}… (line cut at ${MAX_LINE} characters)`);
      text = '';
    }
    this.#partial = text;
  }

  /** Log what is left without a newline. */
  flush(): void {
    if (this.#partial !== '') this.#line(this.#partial);
    this.#partial = '';
  }

  /** The last few lines, for error messages. */
  tail(): string {
    return this.#tail.join('\n');
  }

  #line(line: string): void {
    if (line === '') return;
    this.#tail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    if (this.#tail.length > 5) this.#tail.shift();
    if (line.startsWith('{')) {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        const { level, msg, time: _time, ...fields } = record;
        if (typeof level === 'string' && LEVELS.has(level) && typeof msg === 'string') {
          this.#logger[level as 'info'](msg, { ...fields, stream: 'stderr' });
          return;
        }
      } catch {
        // Not JSON after all: logged as text below.
      }
    }
    this.#logger.info(line, { stream: 'stderr' });
  }
}
