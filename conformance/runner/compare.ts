// Structural comparison of expected fixture values against what a package
// returned, and the language-neutral view of an error that fixtures compare
// against (its stable `code` and structured fields, never its message).

/** A case failed: the message names what differed; the runner adds file and case id. */
export class Mismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Mismatch';
  }
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Error);

function camelToSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Fields of an error that fixtures may name (snake_case in fixtures). */
const ERROR_FIELDS = [
  'code',
  'name',
  'plugin',
  'kind',
  'path',
  'hook',
  'reason',
  'candidates',
  'cycle',
  'dependency',
  'axis',
  'required',
  'actual',
  'state',
  'timeoutMs',
  'remoteName',
  'remoteCode',
  'pointer',
  'direction',
  'selector',
  'requested',
  'available',
  'expected',
  'resourceName',
] as const;

/**
 * The view of an error that fixtures compare against: `code` (the stable
 * string code), the structured fields of the class in snake_case, `message`
 * (only for errors a fixture behaviour threw itself), `errors` of aggregates,
 * `problems` of manifest/validation errors and the normalised `cause`.
 */
export function errorView(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error) && !isPlainObject(error)) {
    return { code: 'NON_ERROR_THROWN', message: String(error) };
  }
  const source = error as unknown as Record<string, unknown>;
  const view: Record<string, unknown> = {};
  for (const field of ERROR_FIELDS) {
    const value = source[field];
    if (value !== undefined) view[camelToSnake(field)] = toData(value);
  }
  if (typeof source.message === 'string') view.message = source.message;
  if (Array.isArray(source.errors)) {
    view.errors = source.errors.map((f: unknown) => {
      const failure = f as { plugin?: unknown; error?: unknown };
      return { plugin: failure.plugin, error: errorView(failure.error) };
    });
  }
  if (Array.isArray(source.problems)) {
    view.problems = source.problems.map((p: unknown) => {
      const problem = p as { pointer?: unknown; rule?: unknown };
      return { pointer: problem.pointer, rule: problem.rule };
    });
  }
  if (source.cause !== undefined) view.cause = errorView(source.cause);
  return view;
}

/** Deep-copy a value into plain data: errors become their {@link errorView}, `undefined` becomes `null`. */
export function toData(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Error) return errorView(value);
  if (Array.isArray(value)) return value.map(toData);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toData(v);
    return out;
  }
  return value;
}

export function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Exact structural equality of plain data, except that where `actual` holds
 * an error, `expected` is matched against its {@link errorView} as a subset.
 * Throws {@link Mismatch} naming the first path that differs.
 */
export function assertEqual(expected: unknown, actual: unknown, path: string): void {
  if (actual instanceof Error) {
    assertError(expected, actual, path);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(toData(actual))}`);
    }
    expected.forEach((item, i) => {
      assertEqual(item, actual[i], `${path}[${i}]`);
    });
    return;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) {
      throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(toData(actual))}`);
    }
    const keys = new Set([
      ...Object.keys(expected),
      ...Object.keys(actual).filter((k) => actual[k] !== undefined),
    ]);
    for (const key of [...keys].sort()) {
      if (!(key in expected)) {
        throw new Mismatch(`${path}.${key}: not expected, got ${show(toData(actual[key]))}`);
      }
      assertEqual(expected[key], actual[key], `${path}.${key}`);
    }
    return;
  }
  const normalised = actual === undefined ? null : actual;
  if (!Object.is(expected, normalised) && !(expected === 0 && normalised === 0)) {
    throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(toData(actual))}`);
  }
}

/**
 * Subset match: every key of `expected` must be present in `actual` with a
 * matching value (objects recursively subset, arrays element-wise with equal
 * length, scalars equal). Errors in `actual` are compared through their view.
 */
export function assertSubset(expected: unknown, actual: unknown, path: string): void {
  const subject = actual instanceof Error ? errorView(actual) : actual;
  if (typeof expected === 'string' && expected.startsWith('<contains:') && expected.endsWith('>')) {
    // A fragment of a text the binding passes on unchanged (a remote error's message).
    if (typeof subject !== 'string' || !subject.includes(expected.slice(10, -1))) {
      throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(toData(subject))}`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(subject) || subject.length !== expected.length) {
      throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(toData(subject))}`);
    }
    expected.forEach((item, i) => {
      assertSubset(item, subject[i], `${path}[${i}]`);
    });
    return;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(subject)) {
      throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(toData(subject))}`);
    }
    for (const [key, want] of Object.entries(expected)) {
      assertSubset(want, subject[key], `${path}.${key}`);
    }
    return;
  }
  const normalised = subject === undefined ? null : subject;
  if (!Object.is(expected, normalised) && !(expected === 0 && normalised === 0)) {
    throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(toData(subject))}`);
  }
}

/** An expected error: a code string, or an object with `code` and fields matched as a subset. */
export function assertError(expected: unknown, actual: unknown, path: string): void {
  if (actual === undefined) {
    throw new Mismatch(`${path}: expected an error ${show(expected)}, but nothing was thrown`);
  }
  const want = typeof expected === 'string' ? { code: expected } : expected;
  assertSubset(want, errorView(actual), path);
}

/** Compare two lists as multisets. */
export function assertSameItems(expected: unknown[], actual: unknown[], path: string): void {
  const key = (v: unknown): string => show(toData(v));
  const a = expected.map(key).sort();
  const b = actual.map(key).sort();
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
    throw new Mismatch(
      `${path}: expected (any order) ${show(expected)}, got ${show(toData(actual))}`,
    );
  }
}
