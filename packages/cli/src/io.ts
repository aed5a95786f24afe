import { isPluginRegistryError } from '@dagstack/plugin-api';
import { maskSecrets } from '@dagstack/plugin-manifest';
import { errorInCliTerms, inCliTerms } from './cli-terms.js';

/**
 * Where the CLI reads its environment and writes its output. Tests pass
 * buffers; the executable passes the process's streams.
 * @since 0.1.0
 */
export interface CliIo {
  /** Where results go (tables, JSON). */
  readonly stdout: {
    /** Write text as is. */
    write(text: string): unknown;
    /** Whether the stream is a terminal. */
    readonly isTTY?: boolean;
  };
  /** Where errors, logs and progress lines go. */
  readonly stderr: {
    /** Write text as is. */
    write(text: string): unknown;
    /** Whether the stream is a terminal; progress lines are shown only when it is. */
    readonly isTTY?: boolean;
  };
  /** Relative paths are resolved against it. @default process.cwd() */
  readonly cwd?: string;
  /** Environment for `DAGSTACK_ACTIVE_<KIND>`, `--token-env`, ... @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Exit codes the CLI promises: scripts rely on them. @since 0.1.0 */
export const EXIT: {
  /** Success. */
  readonly ok: 0;
  /** The operation failed (invalid manifest, plugin that did not start, failed call, ...). */
  readonly failed: 1;
  /** Usage error: unknown command or flag, missing argument, malformed value. */
  readonly usage: 2;
} = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
} as const);

/**
 * A wrong command line: reported as one line and a pointer to the command's
 * `--help`, exit code 2; with `--json`, `{ ok: false, error: { code: "USAGE", ... } }`.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The code of every usage error in `--json` output. */
  readonly code = 'USAGE';
}

/**
 * An operation of the CLI itself failed (not an error of the plugin system):
 * a folder `init` will not overwrite, stale generated code, nothing to serve.
 * Exit code 1; with `--json`, `{ ok: false, error: { name, code, message, hint? } }`.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** Stable code (`FOLDER_EXISTS`, `CODEGEN_STALE`, ...); see the README's list. */
  readonly code: string;
  /** What to do about it, in the CLI's terms. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}

/** Render rows as an aligned text table (the last column is never padded), secrets masked. */
export function table(header: readonly string[], body: readonly (readonly string[])[]): string {
  const rows = body.map((row) => row.map((cell) => masked(cell)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/**
 * Every report the CLI prints (tables, problems, errors, `--json` documents)
 * passes through `maskSecrets` of `@dagstack/plugin-manifest`: values of
 * secret-named keys are masked wherever they sit, and passwords written into
 * URLs in any text. The one exception is the result of `call`, which is the
 * hook's output, printed as the plugin returned it.
 */
export function masked<T>(value: T): T {
  return maskSecrets(value);
}

/** JSON on stdout, secrets masked: the only thing a `--json` run writes there. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(masked(value), null, 2)}\n`);
}

/**
 * A command's report as JSON: `ok`, then `error` (as {@link errorJson}) when
 * the command failed, then the report's own fields. The one shape of a
 * failure is `{ ok: false, error: { name, code, message, hint? } }`.
 */
export function writeReport(
  io: CliIo,
  error: unknown | undefined,
  body: Readonly<Record<string, unknown>>,
): void {
  writeJson(io, {
    ok: error === undefined,
    ...(error === undefined ? {} : { error: errorJson(error) }),
    ...body,
  });
}

/** The error as the CLI prints it: class, code, message and what to do, in CLI terms. */
export function describeError(error: unknown): string {
  // The message of the registry errors already ends with their hint.
  if (isPluginRegistryError(error))
    return masked(inCliTerms(`${error.name} (${error.code}): ${error.message}`));
  if (error instanceof UsageError) return masked(inCliTerms(error.message));
  if (error instanceof CliError)
    return masked(
      inCliTerms(error.hint === undefined ? error.message : `${error.message}; ${error.hint}`),
    );
  if (error instanceof Error) return masked(inCliTerms(`${error.name}: ${error.message}`));
  return masked(String(error));
}

/**
 * The error as JSON, secrets masked, message and hint in CLI terms: always
 * `name`, `code` and `message`, plus `hint` when there is one. Errors of the
 * plugin system give their `toJSON()` (with `plugin`, `kind`, `path`,
 * `details`, `cause` when they have them); an error without a code of its own
 * gets its Node.js code (`EACCES`, ...) or `ERROR`.
 */
export function errorJson(error: unknown): Record<string, unknown> {
  if (isPluginRegistryError(error))
    return masked(errorInCliTerms(error.toJSON() as unknown as Record<string, unknown>));
  if (error instanceof UsageError || error instanceof CliError) {
    const hint = error instanceof CliError ? error.hint : undefined;
    return masked(
      errorInCliTerms({
        name: error.name,
        code: error.code,
        message: error.message,
        ...(hint === undefined ? {} : { hint }),
      }),
    );
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return masked(
      errorInCliTerms({
        name: error.name,
        code: typeof code === 'string' ? code : 'ERROR',
        message: error.message,
      }),
    );
  }
  return masked({ name: 'Error', code: 'ERROR', message: String(error) });
}

/** An escape sequence (CSI: colours, cursor moves, line erasing) in text bound for a stream. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point.
const CSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;
/** Only the colour (SGR) sequences. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point.
const SGR = /\u001b\[[0-9;]*m/g;

/**
 * The io with text cleaned for where it goes: no escape sequence reaches a
 * stream that is not a terminal, and no colour reaches any stream when
 * `NO_COLOR` is set (https://no-color.org). Text from plugins (error
 * messages, their stderr) may carry colour; the CLI itself writes none, and
 * its progress line erases itself only on a terminal.
 */
export function plainIo(io: CliIo): CliIo {
  const env = io.env ?? process.env;
  const noColor = (env.NO_COLOR ?? '') !== '';
  const clean = (
    stream: CliIo['stdout'],
  ): { write(text: string): unknown; readonly isTTY?: boolean } => {
    const pattern = stream.isTTY === true ? (noColor ? SGR : undefined) : CSI;
    if (pattern === undefined) return stream;
    return {
      write: (text: string) => stream.write(text.replace(pattern, '')),
      ...(stream.isTTY === undefined ? {} : { isTTY: stream.isTTY }),
    };
  };
  return { ...io, stdout: clean(io.stdout), stderr: clean(io.stderr) };
}

/**
 * Progress lines for long operations: shown on a TTY (rewritten in place),
 * silent when stderr is not a terminal.
 */
export function progress(io: CliIo): { update(text: string): void; done(): void } {
  if (io.stderr.isTTY !== true) return { update() {}, done() {} };
  let shown = false;
  return {
    update(text) {
      io.stderr.write(`\r\u001b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[2K');
      shown = false;
    },
  };
}
