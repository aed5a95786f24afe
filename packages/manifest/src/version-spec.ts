/**
 * Version specifiers for the manifest field `core_version`.
 *
 * The canonical syntax is a PEP 440 specifier set (`>=0.2,<0.3`, `~=0.2.1`, `==0.2.*`), as used
 * by Python packaging; matching follows PEP 440 and the `packaging` library. Because TypeScript
 * authors write npm ranges out of habit, npm/semver ranges (`^0.2.0`, `0.2.x`, `>=0.3.0 <1.0.0`)
 * are accepted too and evaluated with the `semver` package.
 *
 * @see https://peps.python.org/pep-0440/
 */
import { Range, valid as semverValid } from 'semver';

// ---------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------

/** A parsed PEP 440 version (epoch, release tuple, pre (a|b|rc + number), post, dev, local). */
export interface Pep440Version {
  /** The epoch (`2!1.0` has epoch 2); 0 when absent. */
  readonly epoch: number;
  /** The release numbers as written, trailing zeros included (`1.0` is `[1, 0]`). */
  readonly release: readonly number[];
  /** The pre-release label (normalised to `a`, `b`, `rc`) and number: `1.0beta` → `['b', 0]`. */
  readonly pre?: readonly ['a' | 'b' | 'rc', number];
  /** The post-release number (`1.0.post2`, `1.0-2`, `1.0rev2` → 2). */
  readonly post?: number;
  /** The development release number (`1.0.dev3` → 3). */
  readonly dev?: number;
  /** The local label split on `.`, `-`, `_`; digit-only parts become numbers, others lower case. */
  readonly local?: readonly (string | number)[];
}

type PreLabel = 'a' | 'b' | 'rc';

// The PEP 440 (appendix B) grammar, including every spelling that normalises to a canonical
// version. Case-insensitive; `.`, `-` and `_` are interchangeable optional separators.
const VERSION_RE = new RegExp(
  [
    '^v?',
    '(?:(?<epoch>[0-9]+)!)?',
    '(?<release>[0-9]+(?:\\.[0-9]+)*)',
    // `preview` must come before `pre`, and `alpha`/`beta` before `a`/`b`, so the longest wins.
    '(?:[-_.]?(?<preLabel>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preNumber>[0-9]+)?)?',
    // `1.0-1` is an implicit post-release; the spelled form may omit its number.
    '(?:-(?<postImplicit>[0-9]+)|[-_.]?(?<postLabel>post|rev|r)[-_.]?(?<postNumber>[0-9]+)?)?',
    '(?:[-_.]?(?<devLabel>dev)[-_.]?(?<devNumber>[0-9]+)?)?',
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?',
    '$',
  ].join(''),
  'i',
);

const PRE_LABELS: Readonly<Record<string, PreLabel>> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

/** A digit string as a number, or `undefined` when it does not fit a safe integer. */
function toSafeInteger(digits: string): number | undefined {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Parse a PEP 440 version, accepting every normalisation form PEP 440 allows: a leading `v`,
 * any letter case, `alpha`/`beta`/`c`/`pre`/`preview` spellings, `.`/`-`/`_` separators,
 * implicit numbers (`1.0a` is `1.0a0`), `1.0-1` and `rev`/`r` post-releases and `+local` labels.
 * Surrounding whitespace is ignored.
 *
 * Numbers must be safe integers (below 2^53); larger ones make the version invalid rather than
 * silently losing precision.
 *
 * @returns the parsed version, or `undefined` when `text` is not a valid PEP 440 version.
 */
export function parsePep440Version(text: string): Pep440Version | undefined {
  if (typeof text !== 'string') return undefined;
  const groups = VERSION_RE.exec(text.trim())?.groups;
  if (groups === undefined) return undefined;

  // Missing numbers are implicit zeros (`1.0a` is `1.0a0`, `1.0.post` is `1.0.post0`).
  let valid = true;
  const toNumber = (digits: string | undefined): number => {
    if (digits === undefined) return 0;
    const value = toSafeInteger(digits);
    if (value === undefined) valid = false;
    return value ?? 0;
  };

  const epoch = toNumber(groups.epoch);
  const release = (groups.release ?? '').split('.').map((part) => toNumber(part));
  const version: { -readonly [K in keyof Pep440Version]: Pep440Version[K] } = { epoch, release };

  const preLabel = groups.preLabel;
  if (preLabel !== undefined) {
    const label = PRE_LABELS[preLabel.toLowerCase()];
    if (label === undefined) return undefined;
    version.pre = [label, toNumber(groups.preNumber)];
  }
  if (groups.postImplicit !== undefined) {
    version.post = toNumber(groups.postImplicit);
  } else if (groups.postLabel !== undefined) {
    version.post = toNumber(groups.postNumber);
  }
  if (groups.devLabel !== undefined) {
    version.dev = toNumber(groups.devNumber);
  }
  if (groups.local !== undefined) {
    version.local = groups.local
      .toLowerCase()
      .split(/[-_.]/)
      .map((part) => (/^[0-9]+$/.test(part) ? toNumber(part) : part));
  }
  return valid ? version : undefined;
}

function sign(value: number): number {
  return value < 0 ? -1 : value > 0 ? 1 : 0;
}

/** Compare release tuples as if the shorter one were padded with zeros (`1.0 == 1.0.0`). */
function compareRelease(a: readonly number[], b: readonly number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return sign(diff);
  }
  return 0;
}

const PRE_RANK: Readonly<Record<PreLabel, number>> = { a: 0, b: 1, rc: 2 };

/**
 * The pre-release sort key. A bare dev release (`1.0.dev0`) sorts before every pre-release of
 * the same release; a version with neither pre- nor dev-part sorts after them all.
 */
function preKey(v: Pep440Version): readonly [number, number, number] {
  if (v.pre !== undefined) return [0, PRE_RANK[v.pre[0]], v.pre[1]];
  if (v.post === undefined && v.dev !== undefined) return [-1, 0, 0];
  return [1, 0, 0];
}

function compareTuples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return sign(diff);
  }
  return 0;
}

/** Compare optional numbers where a missing value sorts `missing` (-1: first, +1: last). */
function compareOptional(a: number | undefined, b: number | undefined, missing: -1 | 1): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return missing;
  if (b === undefined) return -missing;
  return sign(a - b);
}

/**
 * Local labels: absent sorts first; parts compare one by one, numeric parts after alphanumeric
 * ones, numbers numerically, strings lexically; a label that is a prefix of another sorts first.
 */
function compareLocal(
  a: readonly (string | number)[] | undefined,
  b: readonly (string | number)[] | undefined,
): number {
  if (a === undefined || b === undefined) return compareOptional(a?.length, b?.length, -1);
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y || x === undefined || y === undefined) continue;
    if (typeof x === 'number' && typeof y === 'number') return sign(x - y);
    if (typeof x === 'number') return 1;
    if (typeof y === 'number') return -1;
    return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}

/**
 * Total order of PEP 440 versions: epoch, then release (trailing zeros are insignificant, so
 * `1.0` equals `1.0.0`), then `.devN` < `aN` < `bN` < `rcN` < final < `.postN` (a dev part sorts
 * just before the same version without it), then the local label (`1.0 < 1.0+abc`).
 *
 * @returns a negative number if `a < b`, 0 if they are equal, a positive number if `a > b`.
 */
export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  return (
    sign(a.epoch - b.epoch) ||
    compareRelease(a.release, b.release) ||
    compareTuples(preKey(a), preKey(b)) ||
    compareOptional(a.post, b.post, -1) ||
    compareOptional(a.dev, b.dev, 1) ||
    compareLocal(a.local, b.local)
  );
}

function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

function withoutLocal(v: Pep440Version): Pep440Version {
  return v.local === undefined ? v : { ...v, local: undefined };
}

/** Does `v` have the epoch and (zero-padded) release prefix? Used by `==X.*` and `~=`. */
function hasReleasePrefix(v: Pep440Version, epoch: number, prefix: readonly number[]): boolean {
  return v.epoch === epoch && prefix.every((n, i) => (v.release[i] ?? 0) === n);
}

// ---------------------------------------------------------------------------------------------
// PEP 440 specifier sets
// ---------------------------------------------------------------------------------------------

/** Which grammar a `core_version` value was written in. */
export type VersionSpecSyntax = 'pep440' | 'npm';

/** A successfully parsed `core_version` value. */
export interface ParsedVersionSpec {
  /** The grammar the specifier was recognised as. */
  readonly syntax: VersionSpecSyntax;
  /** The specifier text, with surrounding whitespace removed. */
  readonly text: string;
  /**
   * true if it matches `version`.
   *
   * Pre-releases (`a`/`b`/`rc` and `.dev` versions) are excluded by default. With
   * `prereleases: true` they are allowed; with `prereleases: false` they never match; when the
   * option is omitted a PEP 440 specifier allows them only if one of its clauses other than `!=`
   * names a pre-release (`>=1.0rc1`), as `packaging` does, and an npm range follows semver's
   * rule (only pre-releases of a `major.minor.patch` that a comparator itself tags).
   */
  matches(version: string, options?: { prereleases?: boolean }): boolean;
}

/** The outcome of {@link parseVersionSpec}: a parsed spec, or a message saying what is wrong. */
export type VersionSpecResult =
  | {
      /** The specifier parsed. */
      readonly ok: true;
      /** The parsed specifier. */
      readonly spec: ParsedVersionSpec;
    }
  | {
      /** The specifier is invalid. */
      readonly ok: false;
      /** What is wrong with the specifier. */
      readonly message: string;
    };

type Operator = '===' | '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>';

interface Clause {
  readonly operator: Operator;
  /** The version as written after the operator, without a trailing `.*`. */
  readonly text: string;
  /** The parsed version; for `===` only when the string happens to be a PEP 440 version. */
  readonly version: Pep440Version | undefined;
  /** `==X.*` / `!=X.*` prefix match. */
  readonly wildcard: boolean;
}

// `===` must be tried before `==`, and two-character operators before `<` and `>`.
const OPERATOR_RE = /^(===|~=|==|!=|<=|>=|<|>)\s*(.*)$/s;
const WILDCARD_PREFIX_RE = /^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*$/i;

/** The suggestion for a clause that is a bare version such as `0.1` (no operator). */
function bareVersionHint(text: string, version: Pep440Version): string {
  const shown = text.replace(/^v/i, '');
  const epoch = version.epoch > 0 ? `${version.epoch}!` : '';
  const { release } = version;
  const bump = (numbers: readonly number[]): string =>
    epoch + numbers.map((n, i) => (i === numbers.length - 1 ? n + 1 : n)).join('.');
  const plain =
    version.pre === undefined &&
    version.post === undefined &&
    version.dev === undefined &&
    version.local === undefined;
  const required = 'an operator is required: write';
  if (!plain) {
    return `${required} "==${shown}" for exactly this version or ">=${shown}" for it and later`;
  }
  if (release.length >= 3) {
    // `~=1.2.3` is the idiomatic "this patch or a later one in the 1.2 series".
    const prefix = release.slice(0, -1);
    return (
      `${required} "==${shown}" for exactly this version, or "~=${shown}" ` +
      `(>=${shown},<${bump(prefix)}) for it and later ${prefix.join('.')}.x releases`
    );
  }
  return (
    `${required} "==${shown}.*" or ">=${shown},<${bump(release)}" to accept any ` +
    `${release.join('.')}.x release, or "==${shown}" for exactly ${shown}`
  );
}

// Operators people write by mistake, mostly from other ecosystems, and what they meant.
const OPERATOR_TYPOS: Readonly<Record<string, string>> = {
  '=': '==',
  '=>': '>=',
  '=<': '<=',
  '<>': '!=',
  '!': '!=',
  '=!': '!=',
  '>==': '>=',
  '<==': '<=',
  '!==': '!=',
  '~==': '~=',
};

/** Explain a clause that does not start with a valid operator. */
function operatorReason(clause: string): string {
  const bare = parsePep440Version(clause);
  if (bare !== undefined) return bareVersionHint(clause, bare);
  // Spaces may separate the characters of a mistyped operator too (`>= =1.0`).
  const written = /^[<>=!~^]+/.exec(clause.replace(/\s+/g, ''))?.[0];
  if (written === undefined) {
    return (
      'expected an operator (==, !=, <, <=, >, >=, ~=, ===) followed by a version, ' +
      'e.g. ">=0.1,<0.2"'
    );
  }
  const meant = OPERATOR_TYPOS[written];
  if (meant !== undefined) return `unknown operator "${written}"; use "${meant}"`;
  if (written.startsWith('^') || written.startsWith('~')) {
    return `"${written}" ranges are npm syntax, not PEP 440`;
  }
  return `unknown operator "${written}"; PEP 440 has ==, !=, <, <=, >, >=, ~= and ===`;
}

/** A clause that was parsed, or the reason it is invalid (a sentence fragment). */
function parseClause(clause: string): Clause | string {
  const match = OPERATOR_RE.exec(clause);
  const operator = match?.[1] as Operator | undefined;
  const versionText = match?.[2] ?? '';
  // `>==1.0` or `<>1.0` start with a valid operator, but the rest is another operator.
  if (operator === undefined || (operator !== '===' && /^[<>=!~^]/.test(versionText))) {
    return operatorReason(clause);
  }
  if (versionText === '') return `there is no version after "${operator}"`;

  if (operator === '===') {
    // Arbitrary equality: any string without whitespace (PEP 440 / packaging grammar).
    if (/[\s;)]/.test(versionText)) return '"===" takes a single string without spaces';
    return {
      operator,
      text: versionText,
      version: parsePep440Version(versionText),
      wildcard: false,
    };
  }

  if (/\s/.test(versionText)) {
    // Most likely npm habit: `>=1.0 <2.0`. Show the comma-separated spelling when we can.
    const fixed = clause.replace(/\s+(?=[<>=!~])/g, ',');
    const example = /\s/.test(fixed) ? '>=0.3,<1.0' : fixed;
    return `PEP 440 clauses must be separated by commas, e.g. "${example}"`;
  }

  if (versionText.endsWith('.*')) {
    if (operator !== '==' && operator !== '!=') {
      return `the ".*" wildcard is only allowed with "==" and "!=" (e.g. "==${versionText}")`;
    }
    const prefix = versionText.slice(0, -2);
    const version = WILDCARD_PREFIX_RE.test(prefix) ? parsePep440Version(prefix) : undefined;
    if (version === undefined) {
      return (
        'a ".*" wildcard can only follow a plain release such as "1.2.*" ' +
        '(no pre-, post-, dev or local part)'
      );
    }
    return { operator, text: prefix, version, wildcard: true };
  }

  const version = parsePep440Version(versionText);
  if (version === undefined) return `"${versionText}" is not a valid PEP 440 version`;
  if (version.local !== undefined && operator !== '==' && operator !== '!=') {
    return 'a local version label ("+...") is only allowed with "==" and "!="';
  }
  if (operator === '~=' && version.release.length < 2) {
    // `~=X.Y` drops the last number to get its `==X.*` prefix, so `~=X` has nothing to keep.
    const example = /^v?(?:[0-9]+!)?[0-9]+$/i.test(versionText) ? `${versionText}.0` : '1.0';
    return (
      '"~=" needs at least two release numbers, ' +
      `e.g. "~=${example}" (${example} or later, before the next major release)`
    );
  }
  return { operator, text: versionText, version, wildcard: false };
}

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

function pep440Spec(text: string, clauses: readonly Clause[]): ParsedVersionSpec {
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

type Pep440SetResult =
  | { readonly ok: true; readonly clauses: readonly Clause[] }
  | { readonly ok: false; readonly reason: string };

function parsePep440Set(text: string): Pep440SetResult {
  const parts = text.split(',').map((part) => part.trim());
  const clauses: Clause[] = [];
  for (const part of parts) {
    // PEP 440/508 have no empty clauses; `packaging` silently skips them, we point them out.
    if (part === '') return { ok: false, reason: 'it contains an empty clause (stray comma)' };
    const clause = parseClause(part);
    if (typeof clause === 'string') {
      return { ok: false, reason: parts.length > 1 ? `in "${part}": ${clause}` : clause };
    }
    clauses.push(clause);
  }
  return { ok: true, clauses };
}

// ---------------------------------------------------------------------------------------------
// npm ranges
// ---------------------------------------------------------------------------------------------

/**
 * Syntax that only npm ranges have: `^`, a lone `~`, `||`, hyphen ranges, `x`/`X` wildcards,
 * `*` wildcards without an operator (`1.*`, `*`; `>=1.0.*` stays a PEP 440 error) and
 * space-separated comparators (`>=0.3.0 <1.0.0`).
 */
function hasNpmOnlySyntax(text: string): boolean {
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
const PEP440_ONLY_SYNTAX_RE = /~=|==|!=|,/;

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

function npmSpec(text: string, range: Range, rangeWithPrereleases: Range): ParsedVersionSpec {
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

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

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
