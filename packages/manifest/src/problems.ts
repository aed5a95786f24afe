import { closestName, type ManifestProblem } from '@dagstack/plugin-api';

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

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const normalised = word.toLowerCase().replace(/-/g, '_');
  return closestName(normalised, candidates, Math.max(1, Math.floor(word.length / 4)));
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
