// What a PEP 440 specifier set matches: the semantics of each operator (`==X.*` prefixes,
// `<V` and `>V` excluding V's pre-, post- and local releases, `~=`), and the pre-release rule
// of `packaging` (a set allows them when one of its clauses names one).
//
// Owns: matchesClause and pep440Spec, the ParsedVersionSpec of a PEP 440 set. May not touch:
// the clause grammar or its messages (pep440-clauses.ts), nor version ordering
// (pep440-version.ts); it only reads clauses that parsed.
import type { Clause } from './pep440-clauses.js';
import {
  comparePep440,
  compareRelease,
  hasReleasePrefix,
  isPrerelease,
  type Pep440Version,
  parsePep440Version,
  withoutLocal,
} from './pep440-version.js';
import type { ParsedVersionSpec } from './version-spec-types.js';

/** `==` semantics, shared by `!=`. */
function equalsClause(candidate: Pep440Version, clause: Clause, spec: Pep440Version): boolean {
  // Prefix matching ignores the candidate's local label; the release is zero-padded.
  if (clause.wildcard) return hasReleasePrefix(candidate, spec.epoch, spec.release);
  // A specifier without a local label matches every local variant of its version.
  const subject = spec.local === undefined ? withoutLocal(candidate) : candidate;
  return comparePep440(subject, spec) === 0;
}

/** `<V`: also rejects pre-releases of V itself unless V is a pre-release. */
function lessThan(candidate: Pep440Version, spec: Pep440Version): boolean {
  // `V.dev0` is the earliest pre-release of V, so comparing against it removes them all
  // (`<2.0` rejects `2.0rc1`; `<2.0.post1` rejects `2.0.post1.dev0`).
  const bound = isPrerelease(spec) ? spec : { ...spec, dev: 0 };
  return comparePep440(candidate, bound) < 0;
}

/**
 * `>V`: also rejects local versions of V and, unless V is a post- or dev release, V's
 * post-releases (`>1.0` rejects `1.0.post1` and `1.0+abc`, accepts `1.0.1`).
 */
function greaterThan(candidate: Pep440Version, spec: Pep440Version): boolean {
  if (comparePep440(candidate, spec) <= 0) return false;
  if (comparePep440(withoutLocal(candidate), spec) === 0) return false;
  const postOfSpec =
    spec.post === undefined &&
    spec.dev === undefined &&
    candidate.post !== undefined &&
    candidate.epoch === spec.epoch &&
    compareRelease(candidate.release, spec.release) === 0 &&
    candidate.pre?.[0] === spec.pre?.[0] &&
    candidate.pre?.[1] === spec.pre?.[1];
  return !postOfSpec;
}

function matchesClause(clause: Clause, candidate: Pep440Version | undefined, raw: string): boolean {
  // Arbitrary equality compares the strings themselves, case-insensitively, like packaging.
  if (clause.operator === '===') return raw.toLowerCase() === clause.text.toLowerCase();
  const spec = clause.version;
  // Every other operator needs a valid PEP 440 candidate.
  if (candidate === undefined || spec === undefined) return false;
  switch (clause.operator) {
    case '==':
      return equalsClause(candidate, clause, spec);
    case '!=':
      return !equalsClause(candidate, clause, spec);
    case '<=':
      return comparePep440(withoutLocal(candidate), spec) <= 0;
    case '>=':
      return comparePep440(candidate, spec) >= 0;
    case '<':
      return lessThan(candidate, spec);
    case '>':
      return greaterThan(candidate, spec);
    case '~=':
      // `~=X.Y.Z` is `>=X.Y.Z, ==X.Y.*`: drop the last release number for the prefix.
      return (
        comparePep440(candidate, spec) >= 0 &&
        hasReleasePrefix(candidate, spec.epoch, spec.release.slice(0, -1))
      );
  }
}

/** Does this clause opt the whole set into pre-releases? (`packaging`: all but `!=`.) */
function namesPrerelease(clause: Clause): boolean {
  return (
    clause.operator !== '!=' &&
    !clause.wildcard &&
    clause.version !== undefined &&
    isPrerelease(clause.version)
  );
}

/** The spec of a PEP 440 set that parsed into `clauses`; `text` is the trimmed specifier. */
export function pep440Spec(text: string, clauses: readonly Clause[]): ParsedVersionSpec {
  const impliesPrereleases = clauses.some(namesPrerelease);
  return Object.freeze({
    syntax: 'pep440' as const,
    text,
    matches(version: string, options?: { prereleases?: boolean }): boolean {
      if (typeof version !== 'string') return false;
      const candidate = parsePep440Version(version);
      const allowPrereleases = options?.prereleases ?? impliesPrereleases;
      if (candidate !== undefined && !allowPrereleases && isPrerelease(candidate)) return false;
      return clauses.every((clause) => matchesClause(clause, candidate, version));
    },
  });
}
