import type { ManifestProblem } from '@dagstack/plugin-api';

/** Escape one JSON pointer segment (RFC 6901). */
export function escapePointer(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Build a JSON pointer from segments. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${escapePointer(s)}`).join('');
}

/** Collects problems of one manifest, in the order found. */
export class ProblemList {
  readonly errors: ManifestProblem[] = [];
  readonly warnings: ManifestProblem[] = [];
  readonly #source: string;

  constructor(source: string) {
    this.#source = source;
  }

  error(at: string, rule: string, message: string): void {
    if (!this.errors.some((p) => p.pointer === at && p.message === message)) {
      this.errors.push({ pointer: at, message, source: this.#source, rule });
    }
  }

  warn(at: string, rule: string, message: string): void {
    this.warnings.push({ pointer: at, message, source: this.#source, rule });
  }
}

/** Damerau-free Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = saved;
    }
  }
  return row[b.length] as number;
}

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const normalised = word.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(normalised, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 4));
  return bestDistance <= limit ? best : undefined;
}

/** Describe a value for a message: its JSON text, shortened. */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
