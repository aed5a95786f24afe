import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ManifestInvalid, type ManifestProblem, type PluginManifest } from '@dagstack/plugin-api';
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

/**
 * Manifest file names in a plugin folder, in order of precedence: when a
 * folder has several, the first wins and the others are reported as warnings.
 * `package.json` and `pyproject.toml` count only when they declare a manifest.
 * @since 0.1.0
 */
export const MANIFEST_FILE_NAMES: readonly string[] = Object.freeze([
  'dagstack.toml',
  'dagstack-plugin.toml',
  'dagstack.json',
  'dagstack-plugin.json',
  'package.json',
  'pyproject.toml',
]);

/** Manifest files larger than this are refused unread. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function failure(source: string, rule: string, message: string, pointer = ''): ManifestResult {
  const problem: ManifestProblem = { pointer, message, source, rule };
  return { ok: false, problems: [problem], warnings: [], source };
}

/** The format a file name implies, or `undefined`. */
export function formatOf(path: string): ManifestFormat | undefined {
  const name = basename(path);
  if (name === 'package.json') return 'package.json';
  if (name === 'pyproject.toml') return 'pyproject';
  if (name.endsWith('.toml')) return 'toml';
  if (name.endsWith('.json')) return 'json';
  return undefined;
}

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
        result: failure(source, 'syntax', `TOML syntax error: ${String(error)}`),
      };
    }
  }
  try {
    return { ok: true, doc: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      result: failure(
        source,
        'syntax',
        `JSON syntax error: ${error instanceof Error ? error.message : String(error)}`,
      ),
    };
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

/**
 * Parse manifest text of a known format and validate it. Never throws.
 * A `package.json` whose `dagstack` field points to another file cannot be
 * followed here (no I/O): use {@link loadManifest} for that.
 * @since 0.1.0
 */
export function parseManifest(
  text: string,
  format: ManifestFormat,
  source = 'inline',
): ManifestResult {
  const parsed = parseDocument(text, format, source);
  if (!parsed.ok) return parsed.result;
  const located = locate(parsed.doc, format, source);
  if (!located.ok) return located.result;
  if (located.reference !== undefined) {
    return failure(
      source,
      'structure',
      `the "dagstack" field points to "${located.reference}"; load the package folder with loadManifest() to follow it`,
    );
  }
  return validateWithDefaults(located, { source });
}

function ioMessage(error: unknown, path: string): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return `no such file or folder: ${path}`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied reading ${path}`;
  if (code === 'EISDIR') return `${path} is a folder, not a manifest file`;
  return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Whether a file holds a manifest (package.json and pyproject.toml only when they declare one). */
async function declaresManifest(path: string): Promise<boolean> {
  const format = formatOf(path);
  if (format !== 'package.json' && format !== 'pyproject') return true;
  try {
    const text = await readFile(path, 'utf8');
    if (format === 'package.json') {
      const doc: unknown = JSON.parse(text);
      return isObject(doc) && doc.dagstack !== undefined;
    }
    return /^\s*\[tool\.dagstack\.plugin\]/m.test(text);
  } catch {
    return false;
  }
}

/**
 * Find the manifest file of a plugin folder, by {@link MANIFEST_FILE_NAMES}
 * precedence. Returns the winner and the manifest files it shadows.
 * @since 0.1.0
 */
export async function findManifestFile(dir: string): Promise<
  | {
      /** The manifest file that takes precedence. */
      path: string;
      /** The other manifest files of the folder, ignored because of it. */
      shadowed: string[];
    }
  | undefined
> {
  const present: string[] = [];
  // One readdir instead of a failing stat per candidate name: discovery calls
  // this for every folder of the tree, most of which hold none of the names.
  let listing: Set<string>;
  try {
    listing = new Set(await readdir(dir));
  } catch {
    return undefined;
  }
  for (const name of MANIFEST_FILE_NAMES) {
    if (!listing.has(name)) continue;
    const path = join(dir, name);
    try {
      if ((await stat(path)).isFile() && (await declaresManifest(path))) present.push(path);
    } catch {
      // absent
    }
  }
  // A package.json that delegates to a manifest file of the same folder is the
  // entry: it adds the package's version/description/license to that file.
  const pkg = present.find((p) => basename(p) === 'package.json');
  const target = pkg === undefined ? undefined : await packageReference(pkg);
  if (pkg !== undefined && target !== undefined && present.includes(target)) {
    return { path: pkg, shadowed: present.filter((p) => p !== pkg && p !== target) };
  }
  const [first, ...rest] = present;
  return first === undefined ? undefined : { path: first, shadowed: rest };
}

/** The file a package.json `dagstack` field points to, resolved, if any. */
async function packageReference(path: string): Promise<string | undefined> {
  try {
    const doc: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (!isObject(doc)) return undefined;
    const field = doc.dagstack;
    const ref =
      typeof field === 'string'
        ? field
        : isObject(field) && typeof field.manifest === 'string'
          ? field.manifest
          : undefined;
    return ref === undefined ? undefined : resolve(dirname(path), ref);
  } catch {
    return undefined;
  }
}

/**
 * Read a manifest from a file, or from a plugin folder (the file is found by
 * {@link MANIFEST_FILE_NAMES} precedence), and validate it. Never throws:
 * unreadable files and syntax errors are problems in the result.
 * @since 0.1.0
 */
export async function loadManifest(path: string): Promise<ManifestResult> {
  const target = resolve(path);
  let file = target;
  let extraWarnings: ManifestProblem[] = [];
  try {
    if ((await stat(target)).isDirectory()) {
      const found = await findManifestFile(target);
      if (found === undefined) {
        return failure(
          target,
          'io',
          `no manifest in ${target} (expected one of ${MANIFEST_FILE_NAMES.join(', ')})`,
        );
      }
      file = found.path;
      extraWarnings = found.shadowed.map((s) => ({
        pointer: '',
        message: `${basename(s)} is ignored: ${basename(found.path)} takes precedence`,
        source: s,
        rule: 'shadowed',
      }));
    }
  } catch (error) {
    return failure(target, 'io', ioMessage(error, target));
  }
  const result = await loadFile(file, 0);
  return extraWarnings.length === 0
    ? result
    : { ...result, warnings: [...extraWarnings, ...result.warnings] };
}

async function loadFile(file: string, depth: number): Promise<ManifestResult> {
  const format = formatOf(file);
  if (format === undefined) {
    return failure(
      file,
      'io',
      `${basename(file)} is not a manifest file name (.toml, .json or package.json)`,
    );
  }
  let text: string;
  try {
    const info = await stat(file);
    if (info.size > MAX_MANIFEST_BYTES) {
      return failure(
        file,
        'io',
        `the file is ${info.size} bytes; manifests are limited to ${MAX_MANIFEST_BYTES}`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    return failure(file, 'io', ioMessage(error, file));
  }
  const parsed = parseDocument(text, format, file);
  if (!parsed.ok) return parsed.result;
  const located = locate(parsed.doc, format, file);
  if (!located.ok) return located.result;
  if (located.reference === undefined) return validateWithDefaults(located, { source: file });

  // package.json points to the manifest file: it must stay inside the package.
  const pointerField = '/dagstack/manifest';
  if (depth > 0)
    return failure(
      file,
      'structure',
      'a referenced manifest cannot point to yet another file',
      pointerField,
    );
  const base = dirname(file);
  const referenced = resolve(base, located.reference);
  const outside = (p: string): boolean => {
    const rel = relative(base, p);
    return rel.startsWith('..') || isAbsolute(rel);
  };
  if (outside(referenced)) {
    return failure(
      file,
      'structure',
      `"${located.reference}" points outside the package folder`,
      pointerField,
    );
  }
  try {
    const [realBase, realTarget] = await Promise.all([realpath(base), realpath(referenced)]);
    const rel = relative(realBase, realTarget);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      return failure(
        file,
        'structure',
        `"${located.reference}" resolves (through a link) outside the package folder`,
        pointerField,
      );
    }
  } catch (error) {
    return failure(
      file,
      'io',
      `"${located.reference}" named by package.json: ${ioMessage(error, referenced)}`,
      pointerField,
    );
  }
  if (formatOf(referenced) === 'package.json') {
    return failure(
      file,
      'structure',
      'the dagstack manifest reference cannot be another package.json',
      pointerField,
    );
  }
  const inner = await loadFile(referenced, depth + 1);
  if (!inner.ok || Object.keys(located.defaults).length === 0) return inner;
  // Fill version/description/license from package.json where the file omits them.
  const filled = { ...inner.manifest } as Record<string, unknown>;
  for (const [key, value] of Object.entries(located.defaults)) filled[key] ??= value;
  return {
    ok: true,
    manifest: Object.freeze(filled) as unknown as PluginManifest,
    warnings: inner.warnings,
  };
}

/**
 * Return the manifest of a successful result, or throw {@link ManifestInvalid}
 * carrying every problem.
 * @since 0.1.0
 */
export function unwrapManifest(result: ManifestResult): PluginManifest {
  if (result.ok) return result.manifest;
  throw new ManifestInvalid({
    problems: result.problems,
    path: result.source,
    ...(result.name === undefined ? {} : { plugin: result.name }),
  });
}

/**
 * {@link loadManifest}, throwing {@link ManifestInvalid} on any problem.
 * @since 0.1.0
 */
export async function loadManifestOrThrow(path: string): Promise<PluginManifest> {
  return unwrapManifest(await loadManifest(path));
}

/**
 * {@link validateManifest}, throwing {@link ManifestInvalid} on any problem.
 * @since 0.1.0
 */
export function assertManifestValid(
  input: unknown,
  options: ValidateManifestOptions = {},
): PluginManifest {
  return unwrapManifest(validateManifest(input, options));
}
