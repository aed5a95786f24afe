// The grammar of a PEP 440 specifier set: comma-separated clauses, each an operator and a
// version (`>=0.2`, `==0.2.*`, `~=0.2.1`, `===foo`), and why a clause is invalid.
//
// Owns: Clause, Operator, parseClause and parsePep440Set. May not touch: what a clause
// matches (pep440-match.ts), the hints for a missing or mistyped operator (pep440-hints.ts),
// nor npm ranges (npm-range.ts).
import { operatorReason } from './pep440-hints.js';
import { type Pep440Version, parsePep440Version } from './pep440-version.js';

/** A PEP 440 comparison operator. */
export type Operator = '===' | '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>';

/** One parsed clause of a PEP 440 specifier set. */
export interface Clause {
  /** The operator the clause starts with. */
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

/** The clauses of a specifier set, or the reason (a sentence fragment) it is invalid. */
export type Pep440SetResult =
  | { readonly ok: true; readonly clauses: readonly Clause[] }
  | { readonly ok: false; readonly reason: string };

/** Parse a comma-separated PEP 440 specifier set; an empty clause is an error. */
export function parsePep440Set(text: string): Pep440SetResult {
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
