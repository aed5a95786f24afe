/**
 * Progress sinks: drop ({@link NoopProgressSink}), record
 * ({@link MemoryProgressSink}) or log ({@link LogProgressSink}) reports.
 */

import type { Logger, ProgressEvent, ProgressSink } from '@dagstack/plugin-api';

/**
 * A progress sink that drops every report.
 * @since 0.1.0
 */
export class NoopProgressSink implements ProgressSink {
  /** Does nothing. */
  report(_event: ProgressEvent): void {}
}

function snapshot(event: ProgressEvent): ProgressEvent {
  const copy: { current: number; total?: number; message?: string } = { current: event.current };
  if (event.total !== undefined) copy.total = event.total;
  if (event.message !== undefined) copy.message = event.message;
  return Object.freeze(copy);
}

/**
 * Records every report, in order, as frozen copies. For tests.
 * @since 0.1.0
 */
export class MemoryProgressSink implements ProgressSink {
  readonly #events: ProgressEvent[] = [];

  /** Record a frozen copy of `event`. */
  report(event: ProgressEvent): void {
    this.#events.push(snapshot(event));
  }

  /** Every report so far, oldest first (a copy). */
  get events(): readonly ProgressEvent[] {
    return [...this.#events];
  }

  /** The latest report, or `undefined` before the first. */
  get last(): ProgressEvent | undefined {
    return this.#events.at(-1);
  }

  /** Forget the recorded reports. */
  clear(): void {
    this.#events.length = 0;
  }
}

/** Options of {@link LogProgressSink}. @since 0.1.0 */
export interface LogProgressSinkOptions {
  /** Log level of the records. Default `info`. */
  level?: 'debug' | 'info';
  /** Log message of every record. Default `progress`. */
  message?: string;
}

/**
 * Writes each report as one log record with fields `current`, `total`,
 * `percent` (when `total` is known and positive) and `progress_message`.
 * @since 0.1.0
 */
export class LogProgressSink implements ProgressSink {
  readonly #logger: Logger;
  readonly #level: 'debug' | 'info';
  readonly #message: string;

  constructor(logger: Logger, options: LogProgressSinkOptions = {}) {
    this.#logger = logger;
    this.#level = options.level ?? 'info';
    this.#message = options.message ?? 'progress';
  }

  /** Log `event`. */
  report(event: ProgressEvent): void {
    const fields: Record<string, unknown> = { current: event.current };
    if (event.total !== undefined) {
      fields.total = event.total;
      if (event.total > 0) fields.percent = Math.round((event.current / event.total) * 1000) / 10;
    }
    if (event.message !== undefined) fields.progress_message = event.message;
    this.#logger[this.#level](this.#message, fields);
  }
}
