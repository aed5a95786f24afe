// validateManifest: the phases over one plugin table — a plain-JSON copy
// (prepare.ts), the schema (schema.ts), the rules (rules.ts), then either the
// canonical manifest (normalise.ts) or the problems, ordered and capped.
// Each phase is linear in the size of the table.
import type { ManifestProblem, PluginManifest } from '@dagstack/plugin-api';
import { normalise } from './normalise.js';
import { prepareTable } from './prepare.js';
import { ProblemList } from './problems.js';
import { checkRules, isObject, isString } from './rules.js';
import { addSchemaProblems, expectationAt } from './schema.js';

/**
 * Result of validating a manifest: the canonical manifest and any warnings, or
 * every problem found.
 * @since 0.1.0
 */
export type ManifestResult =
  | {
      /** The manifest is valid. */
      readonly ok: true;
      /** The canonical (normalised) manifest. */
      readonly manifest: PluginManifest;
      /** Non-fatal findings (defaults assumed, ignored or unknown fields, ...). */
      readonly warnings: readonly ManifestProblem[];
    }
  | {
      /** The manifest is invalid. */
      readonly ok: false;
      /**
       * The errors found, each with a JSON pointer, in document order: the
       * first 100, then (when there are more) one problem with rule `limit`
       * and pointer `""` counting the rest.
       */
      readonly problems: readonly ManifestProblem[];
      /** Non-fatal findings, reported alongside the errors (capped the same way). */
      readonly warnings: readonly ManifestProblem[];
      /** The file (or `inline`) the problems are about. */
      readonly source: string;
      /** The plugin's name, when the document had a readable one. */
      readonly name?: string;
    };

/** Options of {@link validateManifest}. @since 0.1.0 */
export interface ValidateManifestOptions {
  /** The file the manifest came from. @default "inline" */
  source?: string;
}

/**
 * Validate a manifest object (the plugin table: the contents of `[plugin]`,
 * a JSON manifest, an inline object) and normalise it to the canonical
 * {@link PluginManifest}. Never throws: every problem is in the result, each
 * with a JSON pointer relative to the plugin table.
 *
 * Cost is linear in the size of the table. At most 100 problems are listed
 * (then one counting the rest), and no message quotes more than a short,
 * bounded piece of a value, nor the value of a secret-named field. A TOML
 * date, time or date-time is a problem wherever a manifest field is expected
 * (quote it to mean the text); in `metadata` it is kept as its ISO 8601 text.
 * @since 0.1.0
 */
export function validateManifest(
  input: unknown,
  options: ValidateManifestOptions = {},
): ManifestResult {
  const source = options.source ?? 'inline';
  const problems = new ProblemList(source);
  if (!isObject(input)) {
    problems.error(
      '',
      'type',
      `a manifest must be a table/object, got ${Array.isArray(input) ? 'a list' : input === null ? 'null' : typeof input}`,
    );
    return { ok: false, problems: problems.finish([]).errors, warnings: [], source };
  }
  // A name longer than the schema allows is not readable as one.
  const name = isString(input.name) && input.name.length <= 128 ? input.name : undefined;
  const raw = prepareTable(input, problems, expectationAt);
  addSchemaProblems(raw, problems);
  checkRules(raw, problems);
  const { errors, warnings } = problems.finish(Object.keys(raw));
  if (errors.length > 0) {
    return {
      ok: false,
      problems: errors,
      warnings,
      source,
      ...(name === undefined ? {} : { name }),
    };
  }
  return { ok: true, manifest: normalise(raw, source), warnings };
}
