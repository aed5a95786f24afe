/**
 * Progress sinks: drop ({@link NoopProgressSink}), record
 * ({@link MemoryProgressSink}) or log ({@link LogProgressSink}) updates and
 * events, and {@link createProgressSink} for a host's own sink. Every sink
 * here checks its arguments the same way ({@link toProgressUpdate}), so a
 * plugin that passes its tests with the memory sink passes in production.
 */

import type {
  JsonObject,
  Logger,
  ProgressEvent,
  ProgressSink,
  ProgressUpdate,
} from '@dagstack/plugin-api';
import { ResourceError } from './errors.js';
import { toJsonText } from './json.js';

const RESOURCE = 'progress';

/**
 * How far outside [0, 1] a `percent` may stray through floating-point error
 * (`1/3 + 1/3 + 1/3`) and still be taken, clamped.
 */
const PERCENT_SLACK = 1e-9;

function progressError(message: string, hint: string): ResourceError {
  return new ResourceError(message, { resource: RESOURCE, hint });
}

function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) freezeDeep(child);
    Object.freeze(value);
  }
  return value;
}

/** A frozen deep copy of a JSON object payload; `null`/`undefined` mean none. */
function payloadOf(payload: unknown, where: string): JsonObject | undefined {
  if (payload === undefined || payload === null) return undefined;
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw progressError(
      `${where}: the payload must be a JSON object, got ${Array.isArray(payload) ? 'an array' : typeof payload}`,
      'pass an object such as { current_file: "a.txt" }, or leave it out',
    );
  }
  return freezeDeep(JSON.parse(toJsonText(payload, RESOURCE)) as JsonObject);
}

/**
 * The canonical, frozen {@link ProgressUpdate} of either call form of
 * `ProgressSink.update`: an update object, or ADR-0003's positional
 * `(percent, message?, payload?)`. `percent` must be a finite fraction in
 * [0, 1] (values within 1e-9 of the range are clamped into it); anything
 * else is a `ResourceError` (resource `progress`). `message` must be a
 * string, `payload` a plain JSON object (`SerializationError` otherwise,
 * with a JSON pointer); `null` counts as absent. The payload is copied.
 * @since 0.2.1
 */
export function toProgressUpdate(
  update: ProgressUpdate | number,
  message?: string | null,
  payload?: JsonObject | null,
): ProgressUpdate {
  let fields: { percent: unknown; message: unknown; payload: unknown };
  if (typeof update === 'number') {
    fields = { percent: update, message, payload };
  } else if (typeof update === 'object' && update !== null) {
    fields = update as typeof fields;
  } else {
    throw progressError(
      `update(${String(update)}): expected an update object or a percent`,
      'call update({ percent: 0.5, message: "Halfway there" }) or update(0.5, "Halfway there")',
    );
  }
  const { percent } = fields;
  if (
    typeof percent !== 'number' ||
    !Number.isFinite(percent) ||
    percent < -PERCENT_SLACK ||
    percent > 1 + PERCENT_SLACK
  ) {
    throw progressError(
      `update: percent ${String(percent)} is not a fraction in [0, 1]`,
      'percent is a fraction: 0.5 is halfway, 1 is done; for 30 of 120 items pass 30 / 120',
    );
  }
  const out: { percent: number; message?: string; payload?: JsonObject } = {
    percent: Math.min(1, Math.max(0, percent)),
  };
  if (fields.message !== undefined && fields.message !== null) {
    if (typeof fields.message !== 'string') {
      throw progressError(
        `update: the message must be a string, got ${typeof fields.message}`,
        'pass status text such as "Processed 3/10", or leave it out',
      );
    }
    out.message = fields.message;
  }
  const copy = payloadOf(fields.payload, 'update');
  if (copy !== undefined) out.payload = copy;
  return Object.freeze(out);
}

/** What a sink was told by `event(type, payload)`. @since 0.2.1 */
export interface RecordedProgressEvent {
  /** The event type (`event_type` of ADR-0003 §6). */
  readonly type: string;
  /** Its JSON detail (`{}` when none was given). */
  readonly payload: JsonObject;
}

function toProgressEvent(type: unknown, payload: unknown): RecordedProgressEvent {
  if (typeof type !== 'string' || type === '') {
    throw progressError(
      `event: the type must be a non-empty string, got ${type === '' ? 'an empty string' : typeof type}`,
      'name what happened, e.g. event("file_skipped", { file: "a.bin" })',
    );
  }
  return Object.freeze({ type, payload: payloadOf(payload, 'event') ?? Object.freeze({}) });
}

/** Largest share of `total` a deprecated `report` may claim. */
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * The shared front of every sink here: checks and copies the arguments,
 * maps the deprecated `report` onto `update` / `event`, and hands the
 * canonical values to the subclass.
 */
abstract class CheckedProgressSink implements ProgressSink {
  /** Take one checked, frozen update. */
  protected abstract onUpdate(update: ProgressUpdate): void;
  /** Take one checked event; `payload` is a frozen copy. */
  protected abstract onEvent(event: RecordedProgressEvent): void;

  /** Report progress: an update object or `(percent, message?, payload?)`; see {@link toProgressUpdate}. */
  update(update: ProgressUpdate): void;
  /** ADR-0003's positional form: `percent` is a fraction in [0, 1]. */
  update(percent: number, message?: string, payload?: JsonObject | null): void;
  update(update: ProgressUpdate | number, message?: string, payload?: JsonObject | null): void {
    this.onUpdate(toProgressUpdate(update, message, payload));
  }

  /** Report that something happened, with JSON detail. */
  event(type: string, payload?: JsonObject): void {
    this.onEvent(toProgressEvent(type, payload));
  }

  /**
   * `update({ percent: current / total, message, payload: { current, total } })`
   * (the fraction clamped to [0, 1]); without a positive finite `total`,
   * `event('progress', { current, message })`.
   * @deprecated Use `update`; removed in 0.3.
   */
  report(event: ProgressEvent): void {
    const { current, total, message } = event;
    if (
      typeof total === 'number' &&
      Number.isFinite(total) &&
      total > 0 &&
      typeof current === 'number' &&
      Number.isFinite(current)
    ) {
      this.update({
        percent: clamp01(current / total),
        ...(message === undefined ? {} : { message }),
        payload: { current, total },
      });
      return;
    }
    this.event('progress', {
      current,
      ...(total === undefined ? {} : { total }),
      ...(message === undefined ? {} : { message }),
    } as JsonObject);
  }
}

/**
 * A progress sink that checks its arguments and drops them.
 * @since 0.1.0
 */
export class NoopProgressSink extends CheckedProgressSink {
  /** Does nothing. */
  protected onUpdate(_update: ProgressUpdate): void {}
  /** Does nothing. */
  protected onEvent(_event: RecordedProgressEvent): void {}
}

/**
 * Records every update and event, in order, as frozen copies. For tests.
 * @since 0.1.0
 */
export class MemoryProgressSink extends CheckedProgressSink {
  readonly #updates: ProgressUpdate[] = [];
  readonly #events: RecordedProgressEvent[] = [];

  /** Record the update. */
  protected onUpdate(update: ProgressUpdate): void {
    this.#updates.push(update);
  }

  /** Record the event. */
  protected onEvent(event: RecordedProgressEvent): void {
    this.#events.push(event);
  }

  /** Every update so far, oldest first (a copy). @since 0.2.1 */
  get updates(): readonly ProgressUpdate[] {
    return [...this.#updates];
  }

  /**
   * Every event so far, oldest first (a copy). Before 0.2.1 this listed
   * `report` calls; those are now updates (or `progress` events without a total).
   */
  get events(): readonly RecordedProgressEvent[] {
    return [...this.#events];
  }

  /** The latest update, or `undefined` before the first. */
  get last(): ProgressUpdate | undefined {
    return this.#updates.at(-1);
  }

  /** Forget the recorded updates and events. */
  clear(): void {
    this.#updates.length = 0;
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
 * Writes each update as one log record with fields `percent` (the fraction),
 * `progress_message` and `payload` (when given), and each event as one
 * record with fields `event` (its type) and `payload`.
 * @since 0.1.0
 */
export class LogProgressSink extends CheckedProgressSink {
  readonly #logger: Logger;
  readonly #level: 'debug' | 'info';
  readonly #message: string;

  constructor(logger: Logger, options: LogProgressSinkOptions = {}) {
    super();
    this.#logger = logger;
    this.#level = options.level ?? 'info';
    this.#message = options.message ?? 'progress';
  }

  /** Log the update. */
  protected onUpdate(update: ProgressUpdate): void {
    const fields: Record<string, unknown> = { percent: update.percent };
    if (update.message !== undefined) fields.progress_message = update.message;
    if (update.payload !== undefined) fields.payload = update.payload;
    this.#logger[this.#level](this.#message, fields);
  }

  /** Log the event. */
  protected onEvent(event: RecordedProgressEvent): void {
    this.#logger[this.#level](this.#message, { event: event.type, payload: event.payload });
  }
}

/**
 * What a sink made with {@link createProgressSink} does with the checked values.
 * @since 0.2.1
 */
export interface ProgressHandlers {
  /** Take one checked, frozen update. */
  update(update: ProgressUpdate): void;
  /** Take one checked event (its payload a frozen copy). Default: dropped. */
  event?(event: RecordedProgressEvent): void;
}

class HandlerProgressSink extends CheckedProgressSink {
  readonly #handlers: ProgressHandlers;

  constructor(handlers: ProgressHandlers) {
    super();
    this.#handlers = handlers;
  }

  protected onUpdate(update: ProgressUpdate): void {
    this.#handlers.update(update);
  }

  protected onEvent(event: RecordedProgressEvent): void {
    this.#handlers.event?.(event);
  }
}

/**
 * A full `ProgressSink` (both `update` forms, `event`, the deprecated
 * `report`) over two handlers that receive only checked, canonical values:
 * the way to write a host's own sink (a WebSocket broadcast, an
 * orchestrator's unit status) without repeating the checks.
 *
 * ```ts
 * const sink = createProgressSink({ update: (u) => socket.send(JSON.stringify(u)) });
 * ```
 * @since 0.2.1
 */
export function createProgressSink(handlers: ProgressHandlers): ProgressSink {
  if (typeof handlers?.update !== 'function') {
    throw progressError(
      'createProgressSink(handlers): handlers.update must be a function',
      'pass { update(update) { ... }, event(event) { ... } }',
    );
  }
  return Object.freeze(new HandlerProgressSink(handlers));
}
