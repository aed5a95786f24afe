import { isPluginRegistryError } from '@dagstack/plugin-api';
import { maskSecrets } from '@dagstack/plugin-manifest';

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

/** A wrong command line: reported with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
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

/** The error as the CLI prints it: class, code, message and what to do. */
export function describeError(error: unknown): string {
  // The message of the registry errors already ends with their hint.
  if (isPluginRegistryError(error))
    return masked(`${error.name} (${error.code}): ${error.message}`);
  if (error instanceof Error) return masked(`${error.name}: ${error.message}`);
  return masked(String(error));
}

/** The error as JSON, secrets masked: `toJSON()` of the registry errors, name and message otherwise. */
export function errorJson(error: unknown): Record<string, unknown> {
  if (isPluginRegistryError(error))
    return masked(error.toJSON() as unknown as Record<string, unknown>);
  if (error instanceof Error) return masked({ name: error.name, message: error.message });
  return masked({ name: 'Error', message: String(error) });
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
