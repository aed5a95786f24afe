import type { CapabilitySelector, DispatchCandidate } from './types.js';

/** A selector with every field normalised; `undefined` fields are not asked for. */
export interface NormalizedSelector {
  /** Extension, lower-cased with a leading dot (`.py`). */
  readonly extension: string | undefined;
  /** Language, lower-cased. */
  readonly language: string | undefined;
  /** MIME type, lower-cased, without parameters. */
  readonly mimeType: string | undefined;
  /** Capability tags that must all be declared; empty when none are asked for. */
  readonly capabilities: readonly string[];
}

/** Normalise an extension the way manifests are (spec decision M13): `TXT` → `.txt`. */
export function normalizeExtension(extension: string): string {
  const lower = extension.toLowerCase();
  return lower.startsWith('.') ? lower : `.${lower}`;
}

/** Lower-case a MIME type and drop its parameters (`Text/Plain; charset=utf-8` → `text/plain`). */
export function normalizeMimeType(mimeType: string): string {
  const semicolon = mimeType.indexOf(';');
  return (semicolon === -1 ? mimeType : mimeType.slice(0, semicolon)).trim().toLowerCase();
}

const NO_TAGS: readonly string[] = Object.freeze([]);

/** Normalise a request's selector for the index. */
export function normalizeSelector(selector: CapabilitySelector | undefined): NormalizedSelector {
  return {
    extension:
      selector?.extension === undefined || selector.extension === ''
        ? undefined
        : normalizeExtension(selector.extension),
    language:
      selector?.language === undefined || selector.language === ''
        ? undefined
        : selector.language.toLowerCase(),
    mimeType:
      selector?.mimeType === undefined || selector.mimeType === ''
        ? undefined
        : normalizeMimeType(selector.mimeType),
    capabilities: selector?.capabilities ?? NO_TAGS,
  };
}

/** The selector as a plain object for error messages (only the fields asked for). */
export function describeSelector(selector: NormalizedSelector): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (selector.extension !== undefined) out.extension = selector.extension;
  if (selector.language !== undefined) out.language = selector.language;
  if (selector.mimeType !== undefined) out.mimeType = selector.mimeType;
  if (selector.capabilities.length > 0) out.capabilities = selector.capabilities;
  return out;
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function tags(value: unknown): readonly string[] | undefined {
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string');
  if (typeof value === 'object' && value !== null) {
    const required = (value as { required?: unknown }).required;
    if (Array.isArray(required)) return required.filter((t): t is string => typeof t === 'string');
  }
  return undefined;
}

/**
 * The default selector extraction for `capability` hooks: reads, without
 * changing the input, `extension`, `language`, `mimeType` (or `mime_type`)
 * and `capabilities` (a list of tags, or `{ required: [...] }` as in the
 * docs) of an object input: the fields of {@link CapabilityRequest}.
 * Anything else gives `undefined` (no selector: only "match anything"
 * plugins and the fallback can take the call).
 * @since 0.1.0
 */
export function selectorFromInput(input: unknown): CapabilitySelector | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const record = input as Record<string, unknown>;
  const extension = stringField(record.extension);
  const language = stringField(record.language);
  const mimeType = stringField(record.mimeType) ?? stringField(record.mime_type);
  const capabilities = tags(record.capabilities);
  if (
    extension === undefined &&
    language === undefined &&
    mimeType === undefined &&
    capabilities === undefined
  ) {
    return undefined;
  }
  return {
    ...(extension === undefined ? {} : { extension }),
    ...(language === undefined ? {} : { language }),
    ...(mimeType === undefined ? {} : { mimeType }),
    ...(capabilities === undefined ? {} : { capabilities }),
  };
}

interface Declared {
  /** Position in dispatch order. */
  readonly rank: number;
  readonly extensions: ReadonlySet<string>;
  readonly languages: ReadonlySet<string>;
  readonly mimeTypes: ReadonlySet<string>;
  readonly tags: ReadonlySet<string>;
}

function push(map: Map<string, DispatchCandidate[]>, key: string, c: DispatchCandidate): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [c]);
  else if (list[list.length - 1] !== c) list.push(c);
}

function wildcardOf(mimeType: string): string | undefined {
  const slash = mimeType.indexOf('/');
  return slash === -1 ? undefined : `${mimeType.slice(0, slash)}/*`;
}

function hasMime(declared: Declared, mimeType: string): boolean {
  if (declared.mimeTypes.has(mimeType)) return true;
  const wildcard = wildcardOf(mimeType);
  return wildcard !== undefined && declared.mimeTypes.has(wildcard);
}

/**
 * The capability index of one `(kind, hook)`, built once from sorted
 * candidates: for each extension, language, MIME type and capability tag, the
 * candidates declaring it, already in dispatch order. A lookup is one map
 * read per selector field; a multi-field selector takes the shortest list and
 * checks the other fields against per-candidate sets.
 */
export class CapabilityIndex {
  readonly #extensions = new Map<string, DispatchCandidate[]>();
  readonly #languages = new Map<string, DispatchCandidate[]>();
  readonly #mimeTypes = new Map<string, DispatchCandidate[]>();
  readonly #tags = new Map<string, DispatchCandidate[]>();
  readonly #declared = new Map<DispatchCandidate, Declared>();
  /** Candidates without any `supports_*` or capability: match anything (ADR-0002 §Backward compat). */
  readonly matchAnything: readonly DispatchCandidate[];
  /** The fallback plugin (the first in dispatch order if several claim it). */
  readonly fallback: DispatchCandidate | undefined;

  constructor(sorted: readonly DispatchCandidate[]) {
    const anything: DispatchCandidate[] = [];
    let fallback: DispatchCandidate | undefined;
    for (const [rank, c] of sorted.entries()) {
      const m = c.manifest;
      const declared: Declared = {
        rank,
        extensions: new Set(m.supports_extensions.map(normalizeExtension)),
        languages: new Set(m.supports_languages.map((l) => l.toLowerCase())),
        mimeTypes: new Set(m.supports_mime_types.map(normalizeMimeType)),
        tags: new Set(m.capabilities),
      };
      this.#declared.set(c, declared);
      for (const key of declared.extensions) push(this.#extensions, key, c);
      for (const key of declared.languages) push(this.#languages, key, c);
      for (const key of declared.mimeTypes) push(this.#mimeTypes, key, c);
      for (const key of declared.tags) push(this.#tags, key, c);
      if (m.fallback) fallback ??= c;
      else if (
        declared.extensions.size === 0 &&
        declared.languages.size === 0 &&
        declared.mimeTypes.size === 0 &&
        declared.tags.size === 0
      ) {
        anything.push(c);
      }
    }
    this.matchAnything = anything;
    this.fallback = fallback;
  }

  /**
   * The best candidate for `selector`: the first specific match in dispatch
   * order, else the first "match anything" plugin, else the fallback; each
   * restricted to `allowed` when given. `undefined` when nothing qualifies.
   */
  select(
    selector: NormalizedSelector,
    allowed: ReadonlySet<DispatchCandidate> | undefined,
  ): DispatchCandidate | undefined {
    const specific = this.#specific(selector, allowed);
    if (specific !== undefined) return specific;
    for (const c of this.matchAnything) {
      if (allowed === undefined || allowed.has(c)) return c;
    }
    const fallback = this.fallback;
    return fallback !== undefined && (allowed === undefined || allowed.has(fallback))
      ? fallback
      : undefined;
  }

  #specific(
    selector: NormalizedSelector,
    allowed: ReadonlySet<DispatchCandidate> | undefined,
  ): DispatchCandidate | undefined {
    // The shortest list among the non-MIME fields; MIME (exact or `type/*`) is checked per candidate.
    let shortest: readonly DispatchCandidate[] | undefined;
    let fields = 0;
    if (selector.extension !== undefined) {
      const list = this.#extensions.get(selector.extension);
      if (list === undefined) return undefined;
      shortest = list;
      fields++;
    }
    if (selector.language !== undefined) {
      const list = this.#languages.get(selector.language);
      if (list === undefined) return undefined;
      if (shortest === undefined || list.length < shortest.length) shortest = list;
      fields++;
    }
    for (const tag of selector.capabilities) {
      const list = this.#tags.get(tag);
      if (list === undefined) return undefined;
      if (shortest === undefined || list.length < shortest.length) shortest = list;
      fields++;
    }
    if (selector.mimeType !== undefined) {
      fields++;
      if (shortest === undefined) {
        // MIME alone: the better of the first exact and the first `type/*` match.
        const exact = this.#first(this.#mimeTypes.get(selector.mimeType), selector, allowed, false);
        const wildcard = wildcardOf(selector.mimeType);
        const loose =
          wildcard === undefined
            ? undefined
            : this.#first(this.#mimeTypes.get(wildcard), selector, allowed, false);
        if (exact === undefined || loose === undefined) return exact ?? loose;
        return this.#rankOf(exact) <= this.#rankOf(loose) ? exact : loose;
      }
    }
    return this.#first(shortest, selector, allowed, fields > 1);
  }

  /** The first candidate of a sorted list that is allowed and (when `check`) covers every field. */
  #first(
    list: readonly DispatchCandidate[] | undefined,
    selector: NormalizedSelector,
    allowed: ReadonlySet<DispatchCandidate> | undefined,
    check: boolean,
  ): DispatchCandidate | undefined {
    if (list === undefined) return undefined;
    for (const c of list) {
      if (allowed !== undefined && !allowed.has(c)) continue;
      if (check && !this.#covers(c, selector)) continue;
      return c;
    }
    return undefined;
  }

  #rankOf(c: DispatchCandidate): number {
    return this.#declared.get(c)?.rank ?? Number.MAX_SAFE_INTEGER;
  }

  #covers(c: DispatchCandidate, selector: NormalizedSelector): boolean {
    const declared = this.#declared.get(c);
    if (declared === undefined) return false;
    if (selector.extension !== undefined && !declared.extensions.has(selector.extension)) {
      return false;
    }
    if (selector.language !== undefined && !declared.languages.has(selector.language)) {
      return false;
    }
    if (selector.mimeType !== undefined && !hasMime(declared, selector.mimeType)) return false;
    for (const tag of selector.capabilities) {
      if (!declared.tags.has(tag)) return false;
    }
    return true;
  }

  /** What the index knows, for "what exists" in `NoCapabilityMatch` hints. */
  describe(limit = 12): string {
    const parts: string[] = [];
    const add = (label: string, map: Map<string, DispatchCandidate[]>): void => {
      for (const [key, list] of map) {
        if (parts.length >= limit) return;
        parts.push(`${label} ${key} (${list.map((c) => c.name).join(', ')})`);
      }
    };
    add('extension', this.#extensions);
    add('language', this.#languages);
    add('MIME type', this.#mimeTypes);
    add('capability', this.#tags);
    const total =
      this.#extensions.size + this.#languages.size + this.#mimeTypes.size + this.#tags.size;
    const more = total > parts.length ? `, and ${total - parts.length} more` : '';
    return parts.length === 0 ? 'nothing is declared' : `${parts.join('; ')}${more}`;
  }
}
