import type { LogFields, Logger } from '@dagstack/plugin-api';

/** Log levels, lowest first. */
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** One of the log levels. @since 0.1.0 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Options of {@link createStderrLogger}. @since 0.1.0 */
export interface StderrLoggerOptions {
  /** Lowest level written. @default "warn" */
  level?: LogLevel;
  /** Fields added to every record. */
  bindings?: LogFields;
  /** Where records go. @default process.stderr */
  stream?: {
    /** Write one record: a JSON line ending in a newline. */
    write(chunk: string): unknown;
  };
}

/**
 * The default logger: one JSON line per record on stderr (never stdout, so a
 * stdio plugin server's protocol stream stays clean). `child()` binds fields.
 * @since 0.1.0
 */
export function createStderrLogger(options: StderrLoggerOptions = {}): Logger {
  const threshold = LEVELS.indexOf(options.level ?? 'warn');
  const stream = options.stream ?? process.stderr;
  const bindings = options.bindings ?? {};
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (LEVELS.indexOf(level) < threshold) return;
      let line: string;
      try {
        line = JSON.stringify({
          time: new Date().toISOString(),
          level,
          msg: message,
          ...bindings,
          ...fields,
        });
      } catch {
        line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...bindings });
      }
      stream.write(`${line}\n`);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more: LogFields): Logger =>
      createStderrLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
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
