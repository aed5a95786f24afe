/**
 * Version specifiers for the manifest field `core_version`.
 *
 * The canonical syntax is a PEP 440 specifier set (`>=0.2,<0.3`, `~=0.2.1`, `==0.2.*`), as used
 * by Python packaging; matching follows PEP 440 and the `packaging` library. Because TypeScript
 * authors write npm ranges out of habit, npm/semver ranges (`^0.2.0`, `0.2.x`, `>=0.3.0 <1.0.0`)
 * are accepted too and evaluated with the `semver` package.
 *
 * Owns: the public entry points parseVersionSpec and satisfiesVersionSpec, the choice between
 * the two grammars and the "Invalid version specifier" message. May not touch: how either
 * grammar parses or matches; that is pep440-version.ts (versions and their order),
 * pep440-clauses.ts and pep440-hints.ts (PEP 440 clauses and their messages), pep440-match.ts
 * (what a PEP 440 set matches) and npm-range.ts (npm ranges).
 *
 * @see https://peps.python.org/pep-0440/
 */
import { Range } from 'semver';
import { hasNpmOnlySyntax, npmSpec, PEP440_ONLY_SYNTAX_RE } from './npm-range.js';
import { parsePep440Set } from './pep440-clauses.js';
import { pep440Spec } from './pep440-match.js';
import type { VersionSpecResult } from './version-spec-types.js';

export type { Pep440Version } from './pep440-version.js';
export { comparePep440, parsePep440Version } from './pep440-version.js';
export type {
  ParsedVersionSpec,
  VersionSpecResult,
  VersionSpecSyntax,
} from './version-spec-types.js';

function invalid(text: string, reason: string): VersionSpecResult {
  return { ok: false, message: `Invalid version specifier "${text}": ${reason}.` };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parse a core_version value. Never throws.
 *
 * The text is read as a PEP 440 specifier set when it is one (comma-separated clauses with the
 * operators `==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`, at least one clause, no empty
 * clauses). Otherwise, if it uses syntax only npm ranges have (`^`, a lone `~`, `x`/`*`
 * wildcards, hyphen ranges, `||`, space-separated comparators) and the `semver` package accepts
 * it, it is an npm range; mixing in PEP 440-only operators (`~=`, `==`, `!=`) or commas is
 * rejected because npm would silently read them differently. A bare version such as `0.1` is
 * valid in neither: the message suggests `==0.1.*` or `>=0.1,<0.2`.
 */
export function parseVersionSpec(text: string): VersionSpecResult {
  if (typeof text !== 'string') {
    return { ok: false, message: 'Invalid version specifier: expected a string.' };
  }
  const trimmed = text.trim();
  if (trimmed === '') {
    return invalid(text, 'it is empty; write at least one clause, e.g. ">=0.1,<0.2"');
  }
  const pep440 = parsePep440Set(trimmed);
  if (pep440.ok) return { ok: true, spec: pep440Spec(trimmed, pep440.clauses) };
  if (!hasNpmOnlySyntax(trimmed)) return invalid(trimmed, pep440.reason);

  if (PEP440_ONLY_SYNTAX_RE.test(trimmed)) {
    return invalid(
      trimmed,
      'it mixes npm range syntax with PEP 440 operators or commas; ' +
        'use one syntax, e.g. ">=0.3,<1.0" or ">=0.3.0 <1.0.0"',
    );
  }
  try {
    const range = new Range(trimmed);
    const rangeWithPrereleases = new Range(trimmed, { includePrerelease: true });
    return { ok: true, spec: npmSpec(trimmed, range, rangeWithPrereleases) };
  } catch (error) {
    return invalid(
      trimmed,
      `it is neither a PEP 440 specifier set (${pep440.reason}) ` +
        `nor a valid npm range (${errorMessage(error)})`,
    );
  }
}

/**
 * Convenience: does `version` satisfy `specifier`? Throws a plain Error only if the specifier is
 * invalid (callers validate first). Pre-release handling is described on
 * {@link ParsedVersionSpec.matches}; a `version` that is not a valid version never matches
 * (except a `===` string that equals it).
 */
export function satisfiesVersionSpec(
  version: string,
  specifier: string,
  options?: { prereleases?: boolean },
): boolean {
  const result = parseVersionSpec(specifier);
  if (!result.ok) throw new Error(result.message);
  return result.spec.matches(version, options);
}
