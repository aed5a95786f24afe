import type { CallMetadata } from '@dagstack/plugin-api';
import { SerializationError } from '@dagstack/plugin-api';

/** Where a value stops being plain JSON. */
export interface JsonProblem {
  /** JSON pointer of the offending value (`""` is the whole value). */
  readonly pointer: string;
  /** Why the value is not plain JSON. */
  readonly message: string;
}

/** Escape one JSON-pointer reference token (RFC 6901). */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return 'a bigint';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name} instance` : 'a non-plain object';
  }
  return typeof value;
}

/**
 * The first place where `value` does not survive `JSON.parse(JSON.stringify(value))`
 * unchanged: `undefined`, functions, symbols, bigints, non-finite numbers,
 * class instances (Date, Map, ...), symbol keys, and cycles. `undefined`
 * when it is plain JSON.
 */
export function findJsonProblem(value: unknown): JsonProblem | undefined {
  return walk(value, '', []);
}

function walk(value: unknown, pointer: string, stack: object[]): JsonProblem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value)
        ? undefined
        : { pointer, message: `${describe(value)} is not a JSON number` };
    case 'object': {
      if (value === null) return undefined;
      if (stack.includes(value))
        return { pointer, message: 'the value refers to itself (a cycle)' };
      if (Array.isArray(value)) {
        stack.push(value);
        for (let i = 0; i < value.length; i++) {
          const problem = walk(value[i], `${pointer}/${i}`, stack);
          if (problem !== undefined) return problem;
        }
        stack.pop();
        return undefined;
      }
      if (!isPlainObject(value)) {
        return { pointer, message: `${describe(value)} is not plain JSON data` };
      }
      if (Object.getOwnPropertySymbols(value).length > 0) {
        return { pointer, message: 'an object with symbol keys is not plain JSON data' };
      }
      stack.push(value);
      for (const key of Object.keys(value)) {
        const problem = walk(
          (value as Record<string, unknown>)[key],
          `${pointer}/${escapePointer(key)}`,
          stack,
        );
        if (problem !== undefined) return problem;
      }
      stack.pop();
      return undefined;
    }
    default:
      return { pointer, message: `${describe(value)} is not JSON data` };
  }
}

const VERIFIED = new WeakSet<object>();

/** Frozen, empty metadata: what a call without metadata carries. */
export const EMPTY_METADATA: CallMetadata = Object.freeze({});
VERIFIED.add(EMPTY_METADATA);

/**
 * A deep-frozen JSON copy of a call's metadata. Top-level keys whose value is
 * `undefined` are dropped (they are optional in `CallMetadata`); anything else
 * that is not JSON throws `SerializationError` with a pointer into the
 * metadata. A value this function returned is passed through as is.
 */
export function freezeMetadata(metadata: CallMetadata, kind: string, hook: string): CallMetadata {
  if (VERIFIED.has(metadata)) return metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new SerializationError(`call metadata must be a JSON object, not ${describe(metadata)}`, {
      pointer: '',
      kind,
      hook,
    });
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (value !== undefined) copy[key] = value;
  }
  const problem = walk(copy, '', []);
  if (problem !== undefined) {
    throw new SerializationError(`call metadata: ${problem.message}`, {
      pointer: problem.pointer,
      kind,
      hook,
      hint: 'metadata crosses runtimes: keep it to plain JSON (objects, arrays, strings, finite numbers, booleans, null)',
    });
  }
  const frozen = deepCopyFreeze(copy) as CallMetadata;
  VERIFIED.add(frozen);
  return frozen;
}

function deepCopyFreeze(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(deepCopyFreeze));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    out[key] = deepCopyFreeze((value as Record<string, unknown>)[key]);
  }
  return Object.freeze(out);
}
