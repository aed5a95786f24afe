/**
 * Strict JSON checks for checkpoint values: what `JSON.stringify` would
 * silently drop or change is refused with a JSON pointer to the value.
 */

import { type JsonValue, SerializationError } from '@dagstack/plugin-api';

const escapePointer = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
      ?.constructor?.name;
    return name === undefined || name === '' ? 'an object with a custom prototype' : `a ${name}`;
  }
  return `a ${typeof value}`;
}

function fail(pointer: string, message: string, resource: string | undefined): never {
  throw new SerializationError(message, {
    pointer,
    hint: `store plain JSON${resource === undefined ? '' : ` in the ${resource}`}: objects, arrays, strings, finite numbers, booleans and null`,
  });
}

function check(value: unknown, pointer: string, seen: Set<object>, resource?: string): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(pointer, `${value} is not a JSON number`, resource);
      return;
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) fail(pointer, 'circular reference', resource);
      const proto: unknown = Object.getPrototypeOf(value);
      if (Array.isArray(value)) {
        seen.add(value);
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) fail(`${pointer}/${i}`, 'hole in a sparse array', resource);
          check(value[i], `${pointer}/${i}`, seen, resource);
        }
        seen.delete(value);
        return;
      }
      if (proto !== Object.prototype && proto !== null) {
        fail(pointer, `${describe(value)} is not a plain JSON object`, resource);
      }
      if (Object.getOwnPropertySymbols(value).length > 0) {
        fail(pointer, 'symbol-keyed properties are not JSON', resource);
      }
      seen.add(value);
      for (const [key, child] of Object.entries(value)) {
        check(child, `${pointer}/${escapePointer(key)}`, seen, resource);
      }
      seen.delete(value);
      return;
    }
    default:
      fail(pointer, `${describe(value)} is not a JSON value`, resource);
  }
}

/**
 * Throw `SerializationError` (with a JSON pointer) unless `value` is plain
 * JSON: `null`, booleans, strings, finite numbers, arrays without holes, and
 * objects whose prototype is `Object.prototype` or `null`. `undefined`,
 * functions, symbols, bigints, `NaN`/`Infinity`, class instances (`Date`,
 * `Map`, ...) and cycles are refused.
 * @since 0.1.0
 */
export function assertJsonValue(value: unknown, resource?: string): asserts value is JsonValue {
  check(value, '', new Set(), resource);
}

/**
 * Serialise `value` after {@link assertJsonValue}; the text round-trips to an
 * equal value.
 * @since 0.1.0
 */
export function toJsonText(value: unknown, resource?: string): string {
  assertJsonValue(value, resource);
  return JSON.stringify(value);
}
