// Category `manifests`: read a manifest (a folder, a file, an inline object
// or text of a known format), compare the canonical form, the warnings and
// the problems.
import { basename } from 'node:path';
import type { ManifestProblem } from '@dagstack/plugin-api';
import {
  loadManifest,
  type ManifestFormat,
  type ManifestResult,
  parseManifest,
  unwrapManifest,
  validateManifest,
} from '@dagstack/plugin-manifest';
import {
  assertEqual,
  assertError,
  assertSameItems,
  assertSubset,
  Mismatch,
  show,
} from './compare.js';
import { type FileMap, makeTempTree, writeFileMap } from './files.js';

/** What a manifest case expects (both the suite form and the folder form's expected.json). */
export interface ManifestExpectation {
  /** Suites: required. Folder cases: implied by `valid/` or `invalid/`. */
  valid?: boolean;
  /** Subset of the canonical manifest (without `source`). */
  manifest?: Record<string, unknown>;
  /** With true, `manifest` must equal the canonical manifest exactly. */
  complete?: boolean;
  /** Dotted paths that must be absent from the canonical manifest. */
  absent?: string[];
  /** Pointers of the warnings, compared as a multiset. Omitted: not checked. */
  warnings?: string[];
  /** Where the manifest was read from (folder cases: the file name; suites: the path in the tree). */
  source?: string;
  /** The error code (`MANIFEST_INVALID`); a class name (`ManifestInvalid`) is accepted too. */
  error?: string;
  /** Problems: the set of pointers must match exactly; `rule` and `contains` when given. */
  problems?: { pointer: string; rule?: string; contains?: string }[];
  /** Texts (secrets) that no problem, warning or error message may contain. */
  hidden?: string[];
  description?: string;
}

/** One case of a manifest suite file. */
export interface ManifestCase {
  id: string;
  description?: string;
  /** A tree to write; `load` names what to load in it (default the root folder). */
  files?: FileMap;
  load?: string;
  /** An inline manifest object (validated as the `inline` form). */
  inline?: unknown;
  /** Manifest text of a known format, parsed without I/O. */
  text?: string;
  format?: ManifestFormat;
  expect: ManifestExpectation;
}

function lookup(value: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

/** `ManifestInvalid` → `MANIFEST_INVALID`; codes pass unchanged. */
export function toCode(name: string): string {
  return /[a-z]/.test(name) ? name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase() : name;
}

/** No message of the result (nor of the error it throws) shows a hidden text. */
function checkHidden(result: ManifestResult, hidden: readonly string[]): void {
  if (hidden.length === 0) return;
  const printed: { where: string; text: string }[] = [
    ...(result.ok ? [] : result.problems).map((p) => ({
      where: `problems[${p.pointer}].message`,
      text: p.message,
    })),
    ...result.warnings.map((w) => ({ where: `warnings[${w.pointer}].message`, text: w.message })),
  ];
  if (!result.ok) {
    try {
      unwrapManifest(result);
    } catch (error) {
      printed.push({ where: 'error.message', text: String((error as Error).message) });
    }
  }
  for (const secret of hidden) {
    const shown = printed.find((p) => p.text.includes(secret));
    if (shown !== undefined) {
      throw new Mismatch(
        `${shown.where}: shows the hidden text ${show(secret)}: ${show(shown.text)}`,
      );
    }
  }
}

function checkResult(
  result: ManifestResult,
  expected: ManifestExpectation,
  valid: boolean,
  sourceOf: (path: string) => string,
): void {
  checkHidden(result, expected.hidden ?? []);
  if (valid) {
    if (!result.ok) {
      throw new Mismatch(
        `expected a valid manifest, got problems ${show(result.problems.map((p) => ({ pointer: p.pointer, rule: p.rule, message: p.message })))}`,
      );
    }
    const { source, ...manifest } = result.manifest;
    if (expected.source !== undefined) assertEqual(expected.source, sourceOf(source), 'source');
    if (expected.manifest !== undefined) {
      if (expected.complete === true) assertEqual(expected.manifest, manifest, 'manifest');
      else assertSubset(expected.manifest, manifest, 'manifest');
    }
    for (const key of expected.absent ?? []) {
      const value = lookup(manifest, key);
      if (value !== undefined)
        throw new Mismatch(`manifest.${key}: expected absent, got ${show(value)}`);
    }
    if (expected.warnings !== undefined) {
      assertSameItems(
        expected.warnings,
        result.warnings.map((w) => w.pointer),
        'warnings',
      );
    }
    return;
  }
  if (result.ok) {
    throw new Mismatch(`expected an invalid manifest, got ${show(result.manifest)}`);
  }
  let thrown: unknown;
  try {
    unwrapManifest(result);
  } catch (error) {
    thrown = error;
  }
  assertError(toCode(expected.error ?? 'MANIFEST_INVALID'), thrown, 'error');
  checkProblems(expected.problems ?? [], result.problems);
}

function checkProblems(
  expected: NonNullable<ManifestExpectation['problems']>,
  actual: readonly ManifestProblem[],
): void {
  assertSameItems(
    expected.map((p) => p.pointer),
    actual.map((p) => p.pointer),
    'problems (pointers)',
  );
  for (const want of expected) {
    const candidates = actual.filter((p) => p.pointer === want.pointer);
    if (want.rule !== undefined && !candidates.some((p) => p.rule === want.rule)) {
      throw new Mismatch(
        `problems[${want.pointer}].rule: expected ${show(want.rule)}, got ${show(candidates.map((p) => p.rule))}`,
      );
    }
    if (
      want.contains !== undefined &&
      !candidates.some((p) => p.message.includes(want.contains as string))
    ) {
      throw new Mismatch(
        `problems[${want.pointer}].message: expected to contain ${show(want.contains)}, got ${show(candidates.map((p) => p.message))}`,
      );
    }
  }
}

/** A folder case: `manifests/{valid,invalid}/<name>/` with manifest files and `expected.json`. */
export async function runManifestFolder(
  dir: string,
  valid: boolean,
  expected: ManifestExpectation,
): Promise<void> {
  const result = await loadManifest(dir);
  if (!result.ok && !valid) {
    for (const problem of result.problems) {
      if (!problem.source.startsWith(dir)) {
        throw new Mismatch(
          `problems[${problem.pointer}].source: ${problem.source} is outside ${dir}`,
        );
      }
    }
  }
  checkResult(result, expected, expected.valid ?? valid, (path) => basename(path));
}

/** A case of a manifest suite file. */
export async function runManifestCase(
  c: ManifestCase,
  baseManifest: Readonly<Record<string, unknown>>,
): Promise<void> {
  if (typeof c.expect?.valid !== 'boolean') {
    throw new Mismatch('fixture error: expect.valid (true or false) is required in suite cases');
  }
  if (c.inline !== undefined) {
    const input =
      typeof c.inline === 'object' && c.inline !== null && !Array.isArray(c.inline)
        ? { ...baseManifest, ...(c.inline as Record<string, unknown>) }
        : c.inline;
    checkResult(validateManifest(input), c.expect, c.expect.valid, (s) => s);
    return;
  }
  if (c.text !== undefined) {
    if (c.format === undefined) throw new Mismatch('fixture error: `text` needs `format`');
    checkResult(parseManifest(c.text, c.format), c.expect, c.expect.valid, (s) => s);
    return;
  }
  if (c.files === undefined) throw new Mismatch('fixture error: give `files`, `inline` or `text`');
  const tree = await makeTempTree();
  try {
    await writeFileMap(tree, c.files, baseManifest);
    const result = await loadManifest(tree.resolve(c.load ?? '.'));
    checkResult(result, c.expect, c.expect.valid, (s) => tree.relative(s));
  } finally {
    await tree.dispose();
  }
}
