import { dirname, relative } from 'node:path';
import { isPluginError, type PluginManifest, type PluginRegistryError } from '@dagstack/plugin-api';
import { checkCoreVersion, loadManifest } from '@dagstack/plugin-manifest';
import { CORE_VERSION, resolveEntryPoint } from '@dagstack/plugin-registry';
import { inCliTerms } from '../cli-terms.js';
import { resolvePath } from '../host.js';
import { CliError, type CliIo, EXIT, masked, table, UsageError, writeReport } from '../io.js';
import { bareMessage } from '../report.js';

/** Usage of `validate`. */
export const VALIDATE_USAGE = `dagstack-plugins validate <path>... [--json]

Validates manifest files or plugin folders (the manifest file is found by the
usual precedence: dagstack.toml, dagstack-plugin.toml, dagstack.json,
dagstack-plugin.json, package.json "dagstack", pyproject.toml), and checks
what a start would refuse: that the entry module of an in_process plugin
exists in its folder and that core_version admits this core. Problems and
warnings go to stderr, one per line (<file> <pointer>: <message>).
Exit codes: 0 all valid, 1 at least one invalid, 2 usage error.
`;

/** One finding of `validate`: where it is, what is wrong, what to do. */
type Finding = ValidateResult['problems'][number];

/** One row of `validate --json`. */
export interface ValidateResult {
  /** The path as given on the command line. */
  readonly path: string;
  /** Whether the manifest is valid. */
  readonly ok: boolean;
  /** The plugin's name; `null` when the manifest could not be read far enough. */
  readonly name: string | null;
  /**
   * Why the manifest is invalid; empty when it is valid. Besides the schema
   * and its rules, what a start would refuse: an `in_process` entry module
   * that does not exist (`/entry_point`), a `core_version` this core does not
   * satisfy (`/core_version`); those carry a `hint`.
   */
  readonly problems: readonly {
    /** JSON pointer to the offending value in the manifest. */
    readonly pointer: string;
    /** What is wrong. */
    readonly message: string;
    /** What to do about it, when `validate` knows (its static checks). @since 0.2.0 */
    readonly hint?: string;
  }[];
  /** Issues that do not make the manifest invalid. */
  readonly warnings: readonly {
    /** JSON pointer to the value the warning is about. */
    readonly pointer: string;
    /** The warning. */
    readonly message: string;
    /** What to do about it, when `validate` knows. @since 0.2.0 */
    readonly hint?: string;
  }[];
}

/**
 * What `list --setup` would refuse, checked without starting anything: the
 * entry module of an in_process plugin (resolved in the plugin folder as the
 * registry resolves it) and the core version. Errors when nothing else can
 * run the plugin; a warning when another declared runtime can.
 */
async function staticChecks(
  manifest: PluginManifest,
): Promise<{ problems: Finding[]; warnings: Finding[] }> {
  const problems: Finding[] = [];
  const warnings: Finding[] = [];
  const finding = (pointer: string, error: PluginRegistryError): Finding => ({
    pointer,
    message: masked(inCliTerms(bareMessage(error))),
    ...(error.hint === undefined ? {} : { hint: inCliTerms(error.hint) }),
  });
  const core = checkCoreVersion(manifest, CORE_VERSION);
  if (core !== undefined) problems.push(finding('/core_version', core));
  if (manifest.runtime.includes('in_process') && manifest.entry_point !== undefined) {
    try {
      await resolveEntryPoint(manifest, dirname(manifest.source));
    } catch (error) {
      if (!isPluginError(error)) throw error;
      const others = manifest.runtime.filter((r) => r !== 'in_process');
      if (others.length === 0) problems.push(finding('/entry_point', error));
      else
        warnings.push({
          ...finding('/entry_point', error),
          message: `${finding('/entry_point', error).message}; in_process cannot start, so ${others.join(', ')} will be used`,
        });
    }
  }
  return { problems, warnings };
}

/** `dagstack-plugins validate`. */
export async function validateCommand(
  io: CliIo,
  paths: readonly string[],
  options: { json: boolean },
): Promise<number> {
  if (paths.length === 0)
    throw new UsageError('missing <path> (a manifest file or a plugin folder)');
  const cwd = io.cwd ?? process.cwd();
  const results: ValidateResult[] = [];
  const brief = (list: readonly { pointer: string; message: string }[]): Finding[] =>
    list.map((p) => ({ pointer: p.pointer, message: p.message }));
  for (const path of paths) {
    const result = await loadManifest(resolvePath(io, path));
    let row: ValidateResult;
    let source: string;
    if (result.ok) {
      const checked = await staticChecks(result.manifest);
      source = result.manifest.source;
      row = {
        path,
        ok: checked.problems.length === 0,
        name: result.manifest.name,
        problems: checked.problems,
        warnings: [...brief(result.warnings), ...checked.warnings],
      };
    } else {
      source = result.source;
      row = {
        path,
        ok: false,
        name: result.name ?? null,
        problems: brief(result.problems),
        warnings: brief(result.warnings),
      };
    }
    results.push(row);
    if (!options.json) {
      const file = relative(cwd, source) || source;
      const line = (f: Finding, tag: string): string =>
        masked(
          `${file} ${f.pointer || '(document)'}: ${tag}${f.message}${f.hint === undefined ? '' : ` Hint: ${f.hint}`}\n`,
        );
      for (const p of row.problems) io.stderr.write(line(p, ''));
      for (const w of row.warnings) io.stderr.write(line(w, 'warning: '));
    }
  }
  const invalid = results.filter((r) => !r.ok).length;
  const error =
    invalid === 0
      ? undefined
      : new CliError(
          'MANIFEST_INVALID',
          `${invalid} of ${results.length} manifest(s) invalid`,
          'fix the problems listed for each path',
        );
  if (options.json) {
    writeReport(io, error, { results });
  } else {
    io.stdout.write(
      table(
        ['path', 'name', 'result'],
        results.map((r) => [
          r.path,
          r.name ?? '?',
          r.ok
            ? `ok${r.warnings.length > 0 ? ` (${r.warnings.length} warning(s))` : ''}`
            : `invalid (${r.problems.length} problem(s))`,
        ]),
      ),
    );
    io.stdout.write(`${results.length} checked, ${invalid} invalid\n`);
  }
  return invalid > 0 ? EXIT.failed : EXIT.ok;
}
