import type { Logger } from '@dagstack/plugin-api';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** Longest stderr line kept; longer ones are cut (memory stays bounded). */
const MAX_LINE = 16 * 1024;

/** A line that names the cause of a failure: Node's `Error: Cannot find module ...`, `error: ...`. */
const CAUSE = /^\s*\w*Error\b|^\s*error:|Cannot find|ENOENT|EACCES/i;
/** First cause lines kept for error messages. */
const MAX_CAUSE_LINES = 5;
/** Last lines kept for error messages. */
const MAX_LAST_LINES = 8;
/** Longest line in an error message. */
const MAX_REPORTED_LINE = 300;
/** Most text an error message quotes from stderr. */
const MAX_REPORTED_BYTES = 4 * 1024;

/**
 * Feed a child's stderr into a logger line by line (docs/wire.md §11): a JSON
 * line with `level` and `msg` is logged at its level with its fields, any
 * other line at `info`. Keeps, for crash reports, the first lines that name a
 * cause (`Error: Cannot find module ...`, which a stack trace and `Node.js
 * v20...` would push out of a plain tail) and the last lines: at most 20
 * lines and 4 KiB, however much the child writes.
 */
export class StderrLines {
  readonly #logger: Logger;
  #partial = '';
  /** Line number of the next line. */
  #count = 0;
  /** The first lines that look like a cause, with their line numbers. */
  readonly #causes: { readonly at: number; readonly text: string }[] = [];
  /** The last lines, with their line numbers. */
  readonly #last: { readonly at: number; readonly text: string }[] = [];

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

  /**
   * The lines for error messages: the first cause lines, `…` where lines were
   * left out, then the last lines; bounded (20 lines, 4 KiB).
   */
  tail(): string {
    const first = this.#last[0]?.at ?? this.#count;
    const lines: string[] = [];
    let next = 0;
    for (const cause of this.#causes) {
      if (cause.at >= first) break;
      if (cause.at > next) lines.push('…');
      lines.push(cause.text);
      next = cause.at + 1;
    }
    if (lines.length > 0 && first > next) lines.push('…');
    const last = this.#last.map((l) => l.text);
    // Over the byte budget: the oldest of the last lines go first, then the
    // latest causes; the first cause and the last line stay.
    const size = (list: readonly string[]): number =>
      list.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    while (last.length > 1 && size(lines) + size(last) > MAX_REPORTED_BYTES) last.shift();
    while (lines.length > 1 && size(lines) + size(last) > MAX_REPORTED_BYTES) lines.pop();
    return [...lines, ...last].join('\n');
  }

  #line(line: string): void {
    if (line === '') return;
    const at = this.#count;
    this.#count += 1;
    const text = line.length > MAX_REPORTED_LINE ? `${line.slice(0, MAX_REPORTED_LINE)}…` : line;
    if (this.#causes.length < MAX_CAUSE_LINES && CAUSE.test(line)) this.#causes.push({ at, text });
    this.#last.push({ at, text });
    if (this.#last.length > MAX_LAST_LINES) this.#last.shift();
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
