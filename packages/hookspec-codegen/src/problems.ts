import { closestName, type PluginErrorOptions, PluginRegistryError } from '@dagstack/plugin-api';

/**
 * One problem found in a hookspec or in a JSON Schema it references.
 * @since 0.1.0
 */
export interface HookspecProblem {
  /** `error` stops generation; `warning` is reported and generation goes on. */
  readonly severity: 'error' | 'warning';
  /** The file the problem is in (as given, or resolved from the hookspec). */
  readonly file: string;
  /** 1-based line, when the position is known. */
  readonly line?: number;
  /** 1-based column, when the position is known. */
  readonly column?: number;
  /** JSON pointer into the file's document (`""` for the whole document). */
  readonly pointer: string;
  /** What failed (`syntax`, `required`, `type`, `enum`, `duplicate`, `ref`, `schema`, ...). */
  readonly rule: string;
  /** A sentence a person can act on. */
  readonly message: string;
}

/**
 * Options of {@link HookspecInvalid}.
 * @since 0.1.0
 */
export interface HookspecInvalidOptions extends PluginErrorOptions {
  /** Every problem found, errors and warnings; the errors make up the message. */
  readonly problems: readonly HookspecProblem[];
}

/**
 * A hookspec (or a schema it references) cannot be read or is invalid. Carries
 * every problem found.
 * @since 0.1.0
 */
export class HookspecInvalid extends PluginRegistryError {
  static override readonly code: string = 'HOOKSPEC_INVALID';
  /** Every problem found, errors and warnings, in file order. */
  readonly problems: readonly HookspecProblem[];

  constructor(options: HookspecInvalidOptions) {
    const errors = options.problems.filter((p) => p.severity === 'error');
    const listed = errors.slice(0, 10).map(formatProblem).join('; ');
    const more = errors.length > 10 ? `; and ${errors.length - 10} more` : '';
    super(`invalid hookspec (${errors.length} error(s)): ${listed}${more}`, {
      hint: 'fix the listed fields, then run dagstack-hookspec generate again',
      ...options,
    });
    this.problems = Object.freeze([...options.problems]);
  }

  protected override details(): Record<string, unknown> {
    return { problems: this.problems };
  }
}

/**
 * `file:line:column pointer: message`, the form editors and CI logs link.
 * @since 0.1.0
 */
export function formatProblem(problem: HookspecProblem): string {
  let where = problem.file;
  if (problem.line !== undefined) {
    where += `:${problem.line}`;
    if (problem.column !== undefined) where += `:${problem.column}`;
  }
  const pointer = problem.pointer === '' ? '' : ` ${problem.pointer}`;
  const tag = problem.severity === 'warning' ? 'warning' : 'error';
  return `${where}${pointer}: ${tag}: ${problem.message}`;
}

/** Escape one JSON pointer segment (RFC 6901). */
export function escapePointer(segment: string | number): string {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Build a JSON pointer from segments. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapePointer(s)}`).join('');
}

/** Split a JSON pointer into unescaped segments. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The closest of `candidates` to `word`, when it is close enough to be a typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  return closestName(word, candidates, Math.max(2, Math.floor(word.length / 3)));
}
