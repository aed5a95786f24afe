// PEP 440 versions (https://peps.python.org/pep-0440/): the parser, which accepts every
// spelling that normalises to a canonical version, and their total order.
//
// Owns: Pep440Version, PreLabel, parsePep440Version, comparePep440 and the release and
// pre-release helpers the specifier modules share. May not touch: specifiers or their clauses
// (pep440-clauses.ts, pep440-match.ts), npm ranges (npm-range.ts), nor the messages of an
// invalid specifier; this is the leaf every version-spec module builds on.

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

/** A normalised pre-release label: alpha, beta or release candidate. */
export type PreLabel = 'a' | 'b' | 'rc';

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
export function compareRelease(a: readonly number[], b: readonly number[]): number {
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

/** Is `v` a pre-release: has it an `a`/`b`/`rc` part or a `.dev` part? */
export function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

/** `v` without its local label (`1.0+abc` → `1.0`). */
export function withoutLocal(v: Pep440Version): Pep440Version {
  return v.local === undefined ? v : { ...v, local: undefined };
}

/** Does `v` have the epoch and (zero-padded) release prefix? Used by `==X.*` and `~=`. */
export function hasReleasePrefix(
  v: Pep440Version,
  epoch: number,
  prefix: readonly number[],
): boolean {
  return v.epoch === epoch && prefix.every((n, i) => (v.release[i] ?? 0) === n);
}
