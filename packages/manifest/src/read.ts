// Manifests from files and folders: which file of a folder is the manifest
// (spec decision M3), reading it (size-limited; large files are parsed and
// validated on the validation thread, off-thread.ts), and following a
// package.json reference inside the package.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ManifestInvalid, type ManifestProblem, type PluginManifest } from '@dagstack/plugin-api';
import { evaluateText, failure, type ManifestFormat, type TextOutcome } from './document.js';
import { evaluateOffThread, OFF_THREAD_CHARS } from './off-thread.js';
import { quote } from './problems.js';
import { type ManifestResult, type ValidateManifestOptions, validateManifest } from './validate.js';

export type { ManifestFormat } from './document.js';

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

/** The format a file name implies, or `undefined`. */
export function formatOf(path: string): ManifestFormat | undefined {
  const name = basename(path);
  if (name === 'package.json') return 'package.json';
  if (name === 'pyproject.toml') return 'pyproject';
  if (name.endsWith('.toml')) return 'toml';
  if (name.endsWith('.json')) return 'json';
  return undefined;
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
  const outcome = evaluateText(text, format, source);
  if (outcome.kind === 'result') return outcome.result;
  return failure(
    source,
    'structure',
    `the "dagstack" field points to ${quote(outcome.reference)}; load the package folder with loadManifest() to follow it`,
  );
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
    // A file over the size limit counts as declaring one: loading it then
    // reports the limit, rather than the folder silently not being a plugin.
    if ((await stat(path)).size > MAX_MANIFEST_BYTES) return true;
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
    if ((await stat(path)).size > MAX_MANIFEST_BYTES) return undefined;
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
 *
 * Files are limited to 1 MiB. A file of 32 K characters or more is parsed and
 * validated on a worker thread (one per process, ended when idle; it does not
 * keep the process alive), so that a hostile manifest does not block the
 * event loop; the result is the same. A file that takes longer than 60 s or
 * more than 256 MB to check is a problem with rule `limit`.
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
        `the file is ${info.size} bytes; manifests are limited to ${MAX_MANIFEST_BYTES} (1 MiB)`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    return failure(file, 'io', ioMessage(error, file));
  }
  const located: TextOutcome =
    text.length >= OFF_THREAD_CHARS
      ? await evaluateOffThread(text, format, file)
      : evaluateText(text, format, file);
  if (located.kind === 'result') return located.result;

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
      `${quote(located.reference)} points outside the package folder`,
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
        `${quote(located.reference)} resolves (through a link) outside the package folder`,
        pointerField,
      );
    }
  } catch (error) {
    return failure(
      file,
      'io',
      `${quote(located.reference)} named by package.json: ${ioMessage(error, referenced)}`,
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
  throw invalidOf(result);
}

/** The `ManifestInvalid` error of a failed validation. @internal */
export function invalidOf(result: Extract<ManifestResult, { ok: false }>): ManifestInvalid {
  return new ManifestInvalid({
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
