import { relative } from 'node:path';
import { loadManifest } from '@dagstack/plugin-manifest';
import { resolvePath } from '../host.js';
import { type CliIo, EXIT, masked, table, UsageError, writeJson } from '../io.js';

/** Usage of `validate`. */
export const VALIDATE_USAGE = `dagstack-plugins validate <path>... [--json]

Validates manifest files or plugin folders (the manifest file is found by the
usual precedence: dagstack.toml, dagstack-plugin.toml, dagstack.json,
dagstack-plugin.json, package.json "dagstack", pyproject.toml).
Exit codes: 0 all valid, 1 at least one invalid, 2 usage error.
`;

/** One row of `validate --json`. */
export interface ValidateResult {
  /** The path as given on the command line. */
  readonly path: string;
  /** Whether the manifest is valid. */
  readonly ok: boolean;
  /** The plugin's name; `null` when the manifest could not be read far enough. */
  readonly name: string | null;
  /** Why the manifest is invalid; empty when it is valid. */
  readonly problems: readonly {
    /** JSON pointer to the offending value in the manifest. */
    readonly pointer: string;
    /** What is wrong. */
    readonly message: string;
  }[];
  /** Issues that do not make the manifest invalid. */
  readonly warnings: readonly {
    /** JSON pointer to the value the warning is about. */
    readonly pointer: string;
    /** The warning. */
    readonly message: string;
  }[];
}

/** `dagstack-plugins validate`. */
export async function validateCommand(
  io: CliIo,
  paths: readonly string[],
  options: { json: boolean },
): Promise<number> {
  if (paths.length === 0) throw new UsageError('validate needs at least one path');
  const cwd = io.cwd ?? process.cwd();
  const results: ValidateResult[] = [];
  for (const path of paths) {
    const result = await loadManifest(resolvePath(io, path));
    const brief = (list: readonly { pointer: string; message: string }[]) =>
      list.map((p) => ({ pointer: p.pointer, message: p.message }));
    results.push(
      result.ok
        ? {
            path,
            ok: true,
            name: result.manifest.name,
            problems: [],
            warnings: brief(result.warnings),
          }
        : {
            path,
            ok: false,
            name: result.name ?? null,
            problems: brief(result.problems),
            warnings: brief(result.warnings),
          },
    );
    if (!options.json && !result.ok) {
      for (const p of result.problems) {
        io.stderr.write(
          masked(
            `${relative(cwd, p.source) || p.source} ${p.pointer || '(document)'}: ${p.message}\n`,
          ),
        );
      }
    }
  }
  const invalid = results.filter((r) => !r.ok).length;
  if (options.json) {
    writeJson(io, { results });
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
