// How the CLI reports what went wrong: a failed run (one line on stderr, or
// one JSON document on stdout with --json, and the exit code), and the parts
// of an error a report shows (its message without the location the report
// already gives, its first problem, one problem per line).
import { isManifestInvalid, isPluginRegistryError } from '@dagstack/plugin-api';
import { inCliTerms } from './cli-terms.js';
import { type CliIo, describeError, EXIT, errorJson, masked, UsageError, writeJson } from './io.js';

/** Whether `error` is the `node:util` `parseArgs` error of a malformed command line. */
export function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Where a failed run is reported from. */
export interface FailureSite {
  /** The command (`list`, ...), or `undefined` for the top level. */
  readonly command: string | undefined;
  /** Whether `--json` was asked for: the report is a JSON document on stdout. */
  readonly json: boolean;
  /** The command whose `--help` a usage error points to. @default command */
  readonly helpOf?: string | undefined;
}

/**
 * Report a failed run and return its exit code. A usage error (2) is one line,
 * `dagstack-plugins <command>: <what is wrong>; see dagstack-plugins <command> --help`;
 * any other error (1) is `dagstack-plugins <command>: <Class> (<CODE>): <message> Hint: <hint>`.
 * With `--json`, stdout gets `{ "ok": false, "error": { name, code, message, hint?, ... } }`
 * instead and stderr no prose.
 */
export function reportFailure(io: CliIo, site: FailureSite, error: unknown): number {
  const where =
    site.command === undefined ? 'dagstack-plugins' : `dagstack-plugins ${site.command}`;
  const helpOf = 'helpOf' in site ? site.helpOf : site.command;
  const pointer = `see dagstack-plugins${helpOf === undefined ? '' : ` ${helpOf}`} --help`;
  if (error instanceof UsageError || isParseArgsError(error)) {
    const usage = error instanceof UsageError ? error : new UsageError(firstLine(error));
    if (site.json) writeJson(io, { ok: false, error: { ...errorJson(usage), hint: pointer } });
    else io.stderr.write(`${where}: ${oneLine(describeError(usage))}; ${pointer}\n`);
    return EXIT.usage;
  }
  if (site.json) writeJson(io, { ok: false, error: errorJson(error) });
  else io.stderr.write(`${where}: ${describeError(error)}\n`);
  return EXIT.failed;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * The error's message without the location prefix (`<path>: plugin "x" (kind
 * "y"): `) and the `Hint: ...` suffix the plugin-system errors add, for
 * reports that show the location and the hint themselves.
 */
export function bareMessage(error: unknown): string {
  // An error of the plugin system, or its JSON form (as in `status()` rows).
  const known =
    isPluginRegistryError(error) ||
    (typeof error === 'object' &&
      error !== null &&
      typeof (error as { code?: unknown }).code === 'string' &&
      typeof (error as { message?: unknown }).message === 'string');
  if (!known) return error instanceof Error ? error.message : String(error);
  const { message, hint, path, plugin, kind } = error as {
    message: string;
    hint?: string;
    path?: string;
    plugin?: string;
    kind?: string;
  };
  let text = message;
  const suffix = hint === undefined ? '' : ` Hint: ${hint}`;
  if (suffix !== '' && text.endsWith(suffix)) text = text.slice(0, -suffix.length);
  const where: string[] = [];
  if (path !== undefined) where.push(path);
  if (plugin !== undefined)
    where.push(kind === undefined ? `plugin "${plugin}"` : `plugin "${plugin}" (kind "${kind}")`);
  else if (kind !== undefined) where.push(`kind "${kind}"`);
  for (let i = where.length; i > 0; i -= 1) {
    const prefix = `${where.slice(0, i).join(': ')}: `;
    if (text.startsWith(prefix)) return text.slice(prefix.length);
  }
  return text;
}

/** What is wrong, one line per problem (a manifest's problems, else the message), in CLI terms. */
export function problemLines(error: unknown): string[] {
  if (isManifestInvalid(error) && error.problems.length > 0) {
    return error.problems.map((p) =>
      masked(inCliTerms(`${p.pointer === '' ? '(document)' : p.pointer}: ${p.message}`)),
    );
  }
  return bareMessage(error)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => masked(inCliTerms(line)));
}

/** The first problem, and how many more there are: `/kind: required ... (and 2 more)`. */
export function firstProblem(error: unknown): string {
  const lines = problemLines(error);
  const more =
    isManifestInvalid(error) && lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
  return `${lines[0] ?? ''}${more}`;
}
