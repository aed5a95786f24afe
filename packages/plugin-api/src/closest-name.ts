// "Did you mean" for every package: the candidate nearest to a word by edit
// distance, when it is near enough to be a likely typo. Callers choose the
// limit and any normalisation; this file owns only the distance and the pick.

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j] as number;
      row[j] = Math.min(
        current + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

/**
 * The candidate closest to `word` by edit distance (the first of equals), or
 * `undefined` when none is within `maxDistance` edits. Used for the
 * "did you mean" hints of manifests, hookspecs and function-routed calls.
 * @since 0.2.0
 */
export function closestName(
  word: string,
  candidates: Iterable<string>,
  maxDistance: number,
): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= maxDistance ? best : undefined;
}
