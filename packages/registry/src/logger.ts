/**
 * Loggers of the registry: the default stderr logger, field binding, and the
 * secret masking every record passes through.
 *
 * Owns: the record format on stderr (JSON lines, or one readable line on a
 * terminal) and the rule that log fields are masked by key with
 * `maskSecrets` of `@dagstack/plugin-manifest` before any logger sees them.
 * Never writes to stdout: a stdio plugin server's protocol stream stays clean.
 */

import {
  isPluginError,
  type LogFields,
  type Logger,
  type LogMethod,
  NOOP_LOGGER,
} from '@dagstack/plugin-api';
import { maskSecrets } from '@dagstack/plugin-manifest';

/** Log levels, lowest first. */
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Record keys the logger writes itself; a field of the same name is kept as `_<name>`. */
const RESERVED: ReadonlySet<string> = new Set(['time', 'level', 'msg']);

/** One of the log levels. @since 0.1.0 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * How {@link createStderrLogger} writes a record: `json` (one JSON object per
 * line), `pretty` (one readable line), or `auto` (`pretty` when the stream
 * is a terminal, else `json`).
 * @since 0.2.0
 */
export type LogFormat = 'json' | 'pretty' | 'auto';

/** Options of {@link createStderrLogger}. @since 0.1.0 */
export interface StderrLoggerOptions {
  /** Lowest level written. @default "warn" */
  level?: LogLevel;
  /** Fields added to every record. */
  bindings?: LogFields;
  /**
   * Record format; see {@link LogFormat}.
   * @default "auto"
   * @since 0.2.0
   */
  format?: LogFormat;
  /** Where records go. @default process.stderr */
  stream?: {
    /** Write one record: one line ending in a newline. */
    write(chunk: string): unknown;
    /** Whether the stream is a terminal (read once, for the `auto` format). */
    readonly isTTY?: boolean;
  };
}

/** Loggers known to mask their fields already (not wrapped a second time). */
const MASKING = new WeakSet<Logger>();

/**
 * A logger that writes records to stderr (never stdout, so a stdio plugin
 * server's protocol stream stays clean), one line each.
 *
 * - Not a terminal (format `json`): one JSON object per line, pino-compatible
 *   with level names: `{"time":"<ISO 8601>","level":"warn","msg":"...",
 *   ...bindings, ...fields}` (pino with `formatters.level` returning the
 *   label and `timestamp: stdTimeFunctions.isoTime` writes the same keys).
 *   The level is the name (`debug`, `info`, `warn`, `error`), the form the
 *   stdio runtime reads back from a plugin's stderr (docs/wire.md §11).
 * - A terminal (format `pretty`): `HH:MM:SS.mmm LEVEL msg key=value ...`.
 *
 * Fields are masked by key with `maskSecrets` (`@dagstack/plugin-manifest`)
 * before they are written; `Error` values are written as their JSON form.
 * `child()` binds fields. This is the default logger of `PluginRegistry`
 * (level `warn`).
 * @since 0.1.0
 */
export function createStderrLogger(options: StderrLoggerOptions = {}): Logger {
  const threshold = LEVELS.indexOf(options.level ?? 'warn');
  const stream = options.stream ?? process.stderr;
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && stream.isTTY === true);
  const bindings = options.bindings ?? {};
  const write =
    (level: LogLevel): LogMethod =>
    (message: string, fields?: LogFields): void => {
      if (LEVELS.indexOf(level) < threshold) return;
      const now = new Date();
      const msg = maskSecrets(String(message));
      const masked = maskSecrets(plainFields({ ...bindings, ...fields }));
      stream.write(
        `${pretty ? prettyLine(now, level, msg, masked) : jsonLine(now, level, msg, masked)}\n`,
      );
    };
  const logger: Logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more: LogFields): Logger =>
      createStderrLogger({ ...options, format, bindings: { ...bindings, ...more } }),
  };
  MASKING.add(logger);
  return logger;
}

/** The record as one JSON line; fields that cannot be serialised are dropped, the message kept. */
function jsonLine(
  now: Date,
  level: LogLevel,
  msg: string,
  fields: Record<string, unknown>,
): string {
  const head = { time: now.toISOString(), level, msg };
  try {
    return JSON.stringify({ ...head, ...unreserved(fields) });
  } catch {
    return JSON.stringify(head);
  }
}

/** The record as one readable line: `21:49:15.012 WARN  message key=value ...`. */
function prettyLine(
  now: Date,
  level: LogLevel,
  msg: string,
  fields: Record<string, unknown>,
): string {
  const time = now.toISOString().slice(11, 23);
  const parts = [`${time} ${level.toUpperCase().padEnd(5)} ${oneLine(msg)}`];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${prettyValue(value)}`);
  }
  return parts.join(' ');
}

function prettyValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return oneLine(String(value));
  }
}

/** A message on one line: newlines shown as `\n`. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}

/** Fields without the record's own keys: a field `level` becomes `_level`. */
function unreserved(fields: Record<string, unknown>): Record<string, unknown> {
  let clash = false;
  for (const key of RESERVED) if (Object.hasOwn(fields, key)) clash = true;
  if (!clash) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields))
    out[RESERVED.has(key) ? `_${key}` : key] = value;
  return out;
}

/** Top-level `Error` values as their JSON form (an `Error` has no enumerable message). */
function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  let errors = false;
  for (const value of Object.values(fields)) if (value instanceof Error) errors = true;
  if (!errors) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? errorJson(value) : value;
  }
  return out;
}

function errorJson(error: Error): unknown {
  if (isPluginError(error)) return error.toJSON();
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  };
}

/**
 * `logger` with every record's fields masked by key (`maskSecrets` of
 * `@dagstack/plugin-manifest`) before it sees them, and the message masked
 * too (passwords written into URLs). Top-level `Error` values are passed as
 * they are, so a host logger can serialise them its own way. A level the
 * logger reports disabled (`isLevelEnabled`, as pino has) is not masked at
 * all. `NOOP_LOGGER` and loggers of {@link createStderrLogger} are returned
 * unchanged: they drop everything or mask already.
 */
export function maskingLogger(logger: Logger): Logger {
  if (logger === NOOP_LOGGER || MASKING.has(logger)) return logger;
  const probe = (logger as { isLevelEnabled?: unknown }).isLevelEnabled;
  return masking(
    logger,
    typeof probe === 'function' ? (level) => probe.call(logger, level) !== false : undefined,
  );
}

/** {@link maskingLogger} for `logger`; `enabled` is the root's level probe, kept by children that lack one. */
function masking(logger: Logger, enabled: ((level: LogLevel) => boolean) | undefined): Logger {
  const own = (logger as { isLevelEnabled?: unknown }).isLevelEnabled;
  const isEnabled =
    typeof own === 'function' ? (level: LogLevel) => own.call(logger, level) !== false : enabled;
  const wrap =
    (level: LogLevel): LogMethod =>
    (message: string, fields?: LogFields): void => {
      if (isEnabled !== undefined && !isEnabled(level)) return;
      const msg = maskSecrets(String(message));
      if (fields === undefined) logger[level](msg);
      else logger[level](msg, maskFields(fields));
    };
  const masked: Logger = {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (more: LogFields): Logger =>
      masking(
        typeof logger.child === 'function'
          ? logger.child(maskFields(more))
          : bindLogger(logger, maskFields(more)),
        isEnabled,
      ),
  };
  MASKING.add(masked);
  return masked;
}

/** Fields masked by key; top-level `Error` values kept as they are. */
function maskFields(fields: LogFields): LogFields {
  const errors: [string, Error][] = [];
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) errors.push([key, value]);
    else rest[key] = value;
  }
  const out = maskSecrets(rest);
  for (const [key, value] of errors) out[key] = value;
  return out;
}

/**
 * The logger a registry writes through, from its `logger` option: the
 * default stderr logger at `warn` when none is given, nothing for `'silent'`
 * (or `NOOP_LOGGER`), else the host's logger behind {@link maskingLogger}.
 */
export function registryLogger(option: Logger | 'silent' | undefined): Logger {
  if (option === undefined) return createStderrLogger({ level: 'warn' });
  if (option === 'silent') return NOOP_LOGGER;
  return maskingLogger(option);
}

/**
 * Bind fields to any structural logger: through its `child()` when it has one
 * (pino, dagstack), else by merging the fields into every record.
 * @since 0.1.0
 */
export function bindLogger(logger: Logger, fields: LogFields): Logger {
  if (typeof logger.child === 'function') return logger.child(fields);
  const merge =
    (method: Logger['info']) =>
    (message: string, more?: LogFields): void =>
      method.call(logger, message, { ...fields, ...more });
  return {
    debug: merge(logger.debug),
    info: merge(logger.info),
    warn: merge(logger.warn),
    error: merge(logger.error),
    child: (more: LogFields): Logger => bindLogger(logger, { ...fields, ...more }),
  };
}
