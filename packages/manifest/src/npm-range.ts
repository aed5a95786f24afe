// npm/semver ranges as a `core_version` (`^0.2.0`, `0.2.x`, `>=0.3.0 <1.0.0`): when a
// specifier counts as one, and how a PEP 440 core version is mapped to semver to test it.
//
// Owns: hasNpmOnlySyntax, PEP440_ONLY_SYNTAX_RE, the PEP 440 → semver mapping and npmSpec.
// May not touch: PEP 440 specifiers (pep440-clauses.ts, pep440-match.ts), nor the choice
// between the two grammars and its messages (version-spec.ts).
import { type Range, valid as semverValid } from 'semver';
import { type PreLabel, parsePep440Version } from './pep440-version.js';
import type { ParsedVersionSpec } from './version-spec-types.js';

/**
 * Syntax that only npm ranges have: `^`, a lone `~`, `||`, hyphen ranges, `x`/`X` wildcards,
 * `*` wildcards without an operator (`1.*`, `*`; `>=1.0.*` stays a PEP 440 error) and
 * space-separated comparators (`>=0.3.0 <1.0.0`).
 */
export function hasNpmOnlySyntax(text: string): boolean {
  if (text.includes('^') || text.includes('||') || /~(?!=)/.test(text) || /\s-\s/.test(text)) {
    return true;
  }
  // `>= 1.2` is one comparator: glue operators to their versions before splitting on spaces.
  const tokens = text
    .replace(/([<>=~^])\s+/g, '$1')
    .split(/\s+/)
    .filter((token) => token !== '');
  for (const token of tokens) {
    const operator = /^[<>=~^]*/.exec(token)?.[0] ?? '';
    const parts = token.slice(operator.length).replace(/^v/i, '').split('.');
    if (parts.some((part) => part === 'x' || part === 'X')) return true;
    if (operator === '' && parts.includes('*')) return true;
  }
  return tokens.length > 1 && !text.includes(',') && tokens.every((token) => /^[<>=]/.test(token));
}

/** PEP 440 operators that npm reads differently (`~=1.0` would become npm's `~1.0`). */
export const PEP440_ONLY_SYNTAX_RE: RegExp = /~=|==|!=|,/;

const SEMVER_PRE_LABELS: Readonly<Record<PreLabel, string>> = {
  a: 'alpha',
  b: 'beta',
  rc: 'rc',
};

/**
 * Map a core version to semver so an npm range can test it. The release is padded or cut to
 * three numbers; `a`/`b`/`rc` become `-alpha.N`/`-beta.N`/`-rc.N` (same order as in PEP 440);
 * `1.0.dev3` becomes `1.0.0-0.dev.3`, which sorts before every alpha as in PEP 440; post-release
 * and local parts are dropped (semver has nothing between 1.0.0 and 1.0.1), except that a
 * `1.0.post1.dev2` becomes a pre-release of 1.0.1 so it stays a pre-release. A dev part on a
 * pre-release (`1.0a1.dev2`) is appended (`-alpha.1.dev.2`), which semver sorts after `alpha.1`
 * rather than before: semver cannot express that. A non-zero epoch cannot be expressed at all.
 * A string that is not PEP 440 but is valid semver is used as is.
 */
function toSemver(version: string): string | undefined {
  const v = parsePep440Version(version);
  if (v === undefined) return semverValid(version) ?? undefined;
  if (v.epoch !== 0) return undefined;
  const [major = 0, minor = 0, patch = 0] = v.release;
  const tag: (string | number)[] = [];
  if (v.pre !== undefined) {
    tag.push(SEMVER_PRE_LABELS[v.pre[0]], v.pre[1]);
    if (v.post !== undefined) tag.push('post', v.post);
    if (v.dev !== undefined) tag.push('dev', v.dev);
  } else if (v.dev !== undefined) {
    if (v.post !== undefined) return `${major}.${minor}.${patch + 1}-0.post.${v.post}.dev.${v.dev}`;
    tag.push(0, 'dev', v.dev);
  }
  const base = `${major}.${minor}.${patch}`;
  return tag.length === 0 ? base : `${base}-${tag.join('.')}`;
}

/** The spec of an npm range; the second `Range` is the same one with `includePrerelease`. */
export function npmSpec(
  text: string,
  range: Range,
  rangeWithPrereleases: Range,
): ParsedVersionSpec {
  return Object.freeze({
    syntax: 'npm' as const,
    text,
    matches(version: string, options?: { prereleases?: boolean }): boolean {
      if (typeof version !== 'string') return false;
      const semverVersion = toSemver(version);
      if (semverVersion === undefined) return false;
      if (options?.prereleases === true) return rangeWithPrereleases.test(semverVersion);
      if (options?.prereleases === false && semverVersion.includes('-')) return false;
      return range.test(semverVersion);
    },
  });
}
