// Problems of one manifest: JSON pointers, the list they are collected in
// (deduplicated, ordered, capped), and the bounded, secret-free texts their
// messages quote (value descriptions, names, "did you mean").
import { closestName, type ManifestProblem } from '@dagstack/plugin-api';
import { authHeaderOf, isSecretEntry, MASK, maskUrl } from './mask.js';

/** Problems (and, separately, warnings) listed per manifest; the rest are counted in one more. */
export const MAX_PROBLEMS = 100;
/** Longest value description, in characters. */
const DESCRIBE_LIMIT = 60;
/** Longest name or text quoted in a message, in characters. */
const QUOTE_LIMIT = 80;
/** Longest message, in characters. */
const MESSAGE_LIMIT = 500;
/** Longer words are not typos of a field name: no "did you mean" for them. */
const SUGGEST_LIMIT = 64;

/** Escape one JSON pointer segment (RFC 6901). */
export function escapePointer(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Build a JSON pointer from segments. */
export function pointer(...segments: (string | number)[]): string {
  let out = '';
  for (const s of segments) out += `/${escapePointer(s)}`;
  return out;
}

/** The segments of a JSON pointer, unescaped. */
export function segmentsOf(at: string): string[] {
  return at === ''
    ? []
    : at
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A message, or how to write it: only the problems that are listed get written. */
export type MessageSource = string | (() => string);

interface Pending {
  readonly at: string;
  readonly rule: string;
  readonly message: MessageSource;
}

/**
 * Collects the problems of one manifest. Adding is O(1): duplicates (same
 * pointer, rule and key) are dropped through a set, and messages may be
 * given as functions so that only the listed ones are ever written.
 * {@link ProblemList.finish} orders them by the position of their field in
 * the document and keeps the first {@link MAX_PROBLEMS}.
 */
export class ProblemList {
  readonly #source: string;
  readonly #errors: Pending[] = [];
  readonly #warnings: Pending[] = [];
  /** Created on the first error: most manifests have none. */
  #seen: Set<string> | undefined;
  /** Pointers whose value already has its own problem (a TOML date): other findings there are noise. */
  #settled: Set<string> | undefined;

  constructor(source: string) {
    this.#source = source;
  }

  /**
   * Add an error. `key` tells apart errors of the same pointer and rule whose
   * message is a function (a string message is its own key).
   */
  error(at: string, rule: string, message: MessageSource, key = ''): void {
    if (this.#settled?.has(at) === true) return;
    const id = `${at}\u0000${rule}\u0000${typeof message === 'string' ? message : key}`;
    this.#seen ??= new Set();
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    this.#errors.push({ at, rule, message });
  }

  /** Add the one error of a pointer: later errors at the same pointer are dropped. */
  settle(at: string, rule: string, message: MessageSource): void {
    this.error(at, rule, message);
    this.#settled ??= new Set();
    this.#settled.add(at);
  }

  warn(at: string, rule: string, message: MessageSource): void {
    this.#warnings.push({ at, rule, message });
  }

  /**
   * The errors, in document order (by the position of the top-level field
   * in `order`, then as found), and the warnings as found; each list keeps
   * the first {@link MAX_PROBLEMS} and ends with one problem counting the
   * rest.
   */
  finish(order: readonly string[]): { errors: ManifestProblem[]; warnings: ManifestProblem[] } {
    return {
      errors: this.#write(this.#ordered(order), 'problems'),
      warnings: this.#write(this.#warnings, 'warnings'),
    };
  }

  /** The errors by the position of their top-level field in `order`, then as found. */
  #ordered(order: readonly string[]): readonly Pending[] {
    if (this.#errors.length < 2) return this.#errors;
    const rank = new Map<string, number>();
    order.forEach((key, index) => {
      rank.set(key, index);
    });
    const rankOf = (at: string): number => {
      if (at === '') return order.length;
      const end = at.indexOf('/', 1);
      const segment = end === -1 ? at.slice(1) : at.slice(1, end);
      const first = segment.includes('~')
        ? segment.replace(/~1/g, '/').replace(/~0/g, '~')
        : segment;
      return rank.get(first) ?? order.length;
    };
    const ranked = this.#errors.map((p, index) => ({ p, rank: rankOf(p.at), index }));
    ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
    return ranked.map((r) => r.p);
  }

  #write(list: readonly Pending[], noun: string): ManifestProblem[] {
    if (list.length === 0) return [];
    const out: ManifestProblem[] = [];
    const written = new Set<string>();
    let index = 0;
    for (; index < list.length && out.length < MAX_PROBLEMS; index += 1) {
      const p = list[index] as Pending;
      const message = clampMessage(typeof p.message === 'string' ? p.message : p.message());
      // Two findings may read the same once written (two branches of an anyOf).
      const id = `${p.at}\u0000${message}`;
      if (written.has(id)) continue;
      written.add(id);
      out.push({ pointer: p.at, message, source: this.#source, rule: p.rule });
    }
    const rest = list.length - index;
    if (rest > 0) {
      out.push({
        pointer: '',
        message: `and ${rest.toLocaleString('en-US')} more ${noun} not listed: the first ${MAX_PROBLEMS} are shown; fix them and validate again`,
        source: this.#source,
        rule: 'limit',
      });
    }
    return out;
  }
}

/** Shorten a message to {@link MESSAGE_LIMIT} characters. */
export function clampMessage(message: string): string {
  return message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT - 3)}...` : message;
}

/** A name or text for a message: quoted, shortened, passwords in URLs masked. */
export function quote(text: string): string {
  const masked = maskUrl(text);
  return JSON.stringify(
    masked.length > QUOTE_LIMIT ? `${masked.slice(0, QUOTE_LIMIT - 3)}...` : masked,
  );
}

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > SUGGEST_LIMIT) return undefined;
  const normalised = word.toLowerCase().replace(/-/g, '_');
  const limit = Math.max(1, Math.floor(word.length / 4));
  // A candidate whose length differs by more than the limit cannot be within it.
  const near = [...candidates].filter((c) => Math.abs(c.length - normalised.length) <= limit);
  return closestName(normalised, near, limit);
}

/** The value at `segments` of `data`, and whether it is a secret (any key on the way names one). */
export function valueAt(
  data: unknown,
  segments: readonly string[],
): { value: unknown; secret: boolean } {
  let value = data;
  let secret = false;
  let header = '';
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null) return { value: undefined, secret };
    const record = value as Record<string, unknown>;
    if (!Array.isArray(record)) header = authHeaderOf(record, header);
    value = record[segment];
    if (!Array.isArray(record) && isSecretEntry(segment, value, header)) secret = true;
  }
  return { value, secret };
}

/** "a string", "a list", "a TOML date", ...: the type of a value for a message. */
export function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return dateKind(value);
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'bigint') return 'an integer';
  return `a ${typeof value}`;
}

interface TomlDateLike extends Date {
  isDate(): boolean;
  isTime(): boolean;
  isLocal(): boolean;
}

const isTomlDate = (value: Date): value is TomlDateLike =>
  typeof (value as Partial<TomlDateLike>).isDate === 'function' &&
  typeof (value as Partial<TomlDateLike>).isTime === 'function' &&
  typeof (value as Partial<TomlDateLike>).isLocal === 'function';

/** "a TOML date", "a TOML time", "a TOML local date-time", "a TOML date-time", "a Date object". */
export function dateKind(value: Date): string {
  if (!isTomlDate(value)) return 'a Date object';
  if (value.isDate()) return 'a TOML date';
  if (value.isTime()) return 'a TOML time';
  return value.isLocal() ? 'a TOML local date-time' : 'a TOML date-time';
}

/** A date as text: as the TOML file wrote it (smol-toml keeps the form), ISO 8601 otherwise. */
export function dateText(value: Date): string {
  return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
}

/**
 * Describe a value for a message: JSON-like text of at most 60 characters,
 * written only as far as needed (a table of 70,000 keys costs what its first
 * keys cost). A secret (`secret`, or the value of a secret-named key inside)
 * is written {@link MASK}; passwords in URLs are masked.
 */
export function describeValue(value: unknown, secret = false): string {
  if (secret && value !== null && value !== undefined) return MASK;
  const out = { text: '' };
  write(value, out, '');
  return out.text.length > DESCRIBE_LIMIT
    ? `${out.text.slice(0, DESCRIBE_LIMIT - 3)}...`
    : out.text;
}

function write(value: unknown, out: { text: string }, header: string): void {
  if (out.text.length > DESCRIBE_LIMIT) return;
  if (typeof value === 'string') {
    const masked = maskUrl(value);
    out.text += JSON.stringify(
      masked.length > DESCRIBE_LIMIT ? masked.slice(0, DESCRIBE_LIMIT + 1) : masked,
    );
    return;
  }
  if (typeof value !== 'object' || value === null) {
    out.text += value === undefined ? 'nothing' : String(value);
    return;
  }
  if (value instanceof Date) {
    out.text += dateText(value);
    return;
  }
  if (Array.isArray(value)) {
    out.text += '[';
    for (let i = 0; i < value.length && out.text.length <= DESCRIBE_LIMIT; i += 1) {
      if (i > 0) out.text += ',';
      write(value[i], out, header);
    }
    out.text += ']';
    return;
  }
  const record = value as Record<string, unknown>;
  const inner = authHeaderOf(record, header);
  out.text += '{';
  let first = true;
  for (const key in record) {
    if (out.text.length > DESCRIBE_LIMIT) break;
    if (!Object.hasOwn(record, key)) continue;
    if (!first) out.text += ',';
    first = false;
    out.text += `${JSON.stringify(key.length > DESCRIBE_LIMIT ? key.slice(0, DESCRIBE_LIMIT) : key)}:`;
    const item = record[key];
    if (isSecretEntry(key, item, inner)) out.text += JSON.stringify(MASK);
    else write(item, out, inner);
  }
  out.text += '}';
}
