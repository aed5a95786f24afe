// Manifest text → result, without I/O: parse (smol-toml / JSON), find the
// plugin table (spec decision M2), add inherited package fields, validate.
// The same code runs on the main thread and, for large files, on the
// validation thread (worker.ts).
import type { ManifestProblem } from '@dagstack/plugin-api';
import { parse as parseToml, TomlError } from 'smol-toml';
import { type ManifestResult, type ValidateManifestOptions, validateManifest } from './validate.js';

/**
 * The file forms a manifest can take:
 * - `toml` — `dagstack.toml` / `dagstack-plugin.toml` with a `[plugin]` table
 *   (or `[tool.dagstack.plugin]`);
 * - `pyproject` — `pyproject.toml` with `[tool.dagstack.plugin]`;
 * - `json` — `dagstack.json` / `dagstack-plugin.json`, the manifest at the top
 *   level or under `"plugin"`;
 * - `package.json` — the `dagstack` field: the manifest inline, or
 *   `{ "manifest": "./dagstack-plugin.toml" }` pointing to a file.
 * @since 0.1.0
 */
export type ManifestFormat = 'toml' | 'pyproject' | 'json' | 'package.json';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A result holding one problem. */
export function failure(
  source: string,
  rule: string,
  message: string,
  pointer = '',
): ManifestResult {
  const problem: ManifestProblem = { pointer, message, source, rule };
  return { ok: false, problems: [problem], warnings: [], source };
}

/**
 * What a manifest text amounts to: a result, or (a `package.json` whose
 * `dagstack` field names another file) the reference to follow and the
 * package fields the referenced manifest inherits.
 */
export type TextOutcome =
  | { readonly kind: 'result'; readonly result: ManifestResult }
  | { readonly kind: 'reference'; readonly reference: string; readonly defaults: Raw };

type Located =
  | { ok: true; table: unknown; defaults: Raw; reference?: string; warnings: ManifestProblem[] }
  | { ok: false; result: ManifestResult };

/** Package metadata that fills the manifest's version/description/license when it omits them. */
function inheritedFields(project: unknown): Raw {
  if (!isObject(project)) return {};
  const out: Raw = {};
  if (typeof project.version === 'string') out.version = project.version;
  if (typeof project.description === 'string') out.description = project.description;
  if (typeof project.license === 'string') out.license = project.license;
  else if (isObject(project.license) && typeof project.license.text === 'string') {
    out.license = project.license.text;
  }
  return out;
}

/**
 * The message of a JSON syntax error, without the piece of the text V8
 * quotes in it (`Unexpected token 's', ..."api_key": sk-live..." is not valid
 * JSON`): that piece may be a secret. A position becomes line and column.
 */
function jsonSyntaxMessage(error: unknown, text: string): string {
  const raw = error instanceof Error ? error.message : String(error);
  const cut = raw.replace(/(?:^|,\s*)(?:\.\.\.)?"[\s\S]*"(?:\.\.\.)?\s+is not valid JSON$/, '');
  const position = /at position (\d+)/.exec(cut);
  let where = '';
  if (position !== null) {
    const at = Math.min(Number(position[1]), text.length);
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    where = ` (line ${line}, column ${at - before.lastIndexOf('\n')})`;
  }
  const reason = cut.replace(/\s*in JSON at position \d+(?:\s*\(line \d+ column \d+\))?/, '');
  return `JSON syntax error${where}: ${reason === '' ? 'the text is not valid JSON' : reason}`;
}

function parseDocument(
  text: string,
  format: ManifestFormat,
  source: string,
): { ok: true; doc: unknown } | { ok: false; result: ManifestResult } {
  if (format === 'toml' || format === 'pyproject') {
    try {
      return { ok: true, doc: parseToml(text) };
    } catch (error) {
      if (error instanceof TomlError) {
        // The first line only: the rest quotes the document (a secret, maybe).
        const first = error.message.split('\n')[0] ?? error.message;
        return {
          ok: false,
          result: failure(
            source,
            'syntax',
            `TOML syntax error at line ${error.line}, column ${error.column}: ${first}`,
          ),
        };
      }
      return {
        ok: false,
        result: failure(source, 'syntax', 'TOML syntax error: the text could not be read'),
      };
    }
  }
  try {
    return { ok: true, doc: JSON.parse(text) };
  } catch (error) {
    return { ok: false, result: failure(source, 'syntax', jsonSyntaxMessage(error, text)) };
  }
}

function locate(doc: unknown, format: ManifestFormat, source: string): Located {
  const fail = (message: string): Located => ({
    ok: false,
    result: failure(source, 'structure', message),
  });
  if (!isObject(doc)) return fail('the file must hold a table/object');
  const tool =
    isObject(doc.tool) && isObject(doc.tool.dagstack) ? doc.tool.dagstack.plugin : undefined;

  switch (format) {
    case 'pyproject':
      if (tool === undefined) return fail('pyproject.toml has no [tool.dagstack.plugin] table');
      return { ok: true, table: tool, defaults: inheritedFields(doc.project), warnings: [] };
    case 'toml': {
      const warnings: ManifestProblem[] = [];
      if (doc.plugin !== undefined) {
        if (tool !== undefined) {
          warnings.push({
            pointer: '',
            message:
              'both [plugin] and [tool.dagstack.plugin] are present; [tool.dagstack.plugin] is ignored',
            source,
            rule: 'shadowed',
          });
        }
        return { ok: true, table: doc.plugin, defaults: {}, warnings };
      }
      if (tool !== undefined)
        return { ok: true, table: tool, defaults: inheritedFields(doc.project), warnings };
      return fail(
        'no [plugin] table (or [tool.dagstack.plugin]) in the file; put the manifest fields under [plugin]',
      );
    }
    case 'json':
      return {
        ok: true,
        table: isObject(doc.plugin) ? doc.plugin : doc,
        defaults: {},
        warnings: [],
      };
    case 'package.json': {
      const field = doc.dagstack;
      const defaults = inheritedFields(doc);
      if (field === undefined) return fail('package.json has no "dagstack" field');
      if (typeof field === 'string')
        return { ok: true, table: undefined, defaults, reference: field, warnings: [] };
      if (!isObject(field))
        return fail('the "dagstack" field of package.json must be an object or a path');
      if (typeof field.manifest === 'string') {
        return { ok: true, table: undefined, defaults, reference: field.manifest, warnings: [] };
      }
      if (isObject(field.manifest))
        return { ok: true, table: field.manifest, defaults, warnings: [] };
      return {
        ok: true,
        table: isObject(field.plugin) ? field.plugin : field,
        defaults,
        warnings: [],
      };
    }
  }
}

function validateWithDefaults(
  located: Located & { ok: true },
  options: ValidateManifestOptions,
): ManifestResult {
  const table = isObject(located.table) ? { ...located.defaults, ...located.table } : located.table;
  const result = validateManifest(table, options);
  if (located.warnings.length === 0) return result;
  return { ...result, warnings: [...located.warnings, ...result.warnings] };
}

/** Parse manifest text of a known format, find its plugin table and validate it. Never throws. */
export function evaluateText(text: string, format: ManifestFormat, source: string): TextOutcome {
  const parsed = parseDocument(text, format, source);
  if (!parsed.ok) return { kind: 'result', result: parsed.result };
  const located = locate(parsed.doc, format, source);
  if (!located.ok) return { kind: 'result', result: located.result };
  if (located.reference !== undefined) {
    return { kind: 'reference', reference: located.reference, defaults: located.defaults };
  }
  return { kind: 'result', result: validateWithDefaults(located, { source }) };
}
