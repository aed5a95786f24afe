// What to tell an author whose PEP 440 clause has no valid operator: a bare version gets the
// specifiers it most likely meant, a mistyped or foreign operator (`=>`, `<>`, `^`) its PEP 440
// spelling.
//
// Owns: the text of those reasons (sentence fragments). May not touch: the clause grammar
// (pep440-clauses.ts decides when a clause needs a reason and words the other ones), nor the
// "Invalid version specifier" message around it (version-spec.ts).
import { type Pep440Version, parsePep440Version } from './pep440-version.js';

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
export function operatorReason(clause: string): string {
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
