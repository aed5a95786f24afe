import { SerializationError } from '@dagstack/plugin-api';

/**
 * Serialise a JSON value as canonical JSON (RFC 8785, JSON Canonicalization
 * Scheme): members sorted by UTF-16 code units, no whitespace, ECMAScript
 * number and string forms. Used for manifests and configurations at the
 * transport boundary (docs/wire.md §8).
 *
 * Throws {@link SerializationError} (with a JSON pointer) for values JSON
 * cannot carry: `undefined`, functions, symbols, bigints, NaN, infinities,
 * lone surrogates, and objects that are not plain (Map, Set, Date, class
 * instances).
 * @since 0.1.0
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, '', out, new Set());
  return out.join('');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function fail(pointer: string, message: string): never {
  throw new SerializationError(message, {
    pointer,
    hint: 'canonical JSON carries only plain objects, arrays, strings, finite numbers, booleans and null',
  });
}

function writeString(value: string, pointer: string, out: string[]): void {
  if (LONE_SURROGATE.test(value)) fail(pointer, 'string holds a lone UTF-16 surrogate');
  // JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 requires.
  out.push(JSON.stringify(value));
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function write(value: unknown, pointer: string, out: string[], seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
      writeString(value, pointer, out);
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(pointer, `${value} is not a JSON number`);
      // Number#toString is the RFC 8785 number form; -0 serialises as 0.
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      fail(pointer, `${typeof value} is not JSON`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (seen.has(value)) fail(pointer, 'the value contains a cycle');
  seen.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out.push(',');
      write(value[i], `${pointer}/${i}`, out, seen);
    }
    out.push(']');
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      fail(pointer, `${proto?.constructor?.name ?? 'object'} is not a plain JSON object`);
    }
    // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
    const keys = Object.keys(value).sort();
    out.push('{');
    let first = true;
    for (const key of keys) {
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined) continue;
      if (!first) out.push(',');
      first = false;
      writeString(key, pointer, out);
      out.push(':');
      write(member, `${pointer}/${escapePointer(key)}`, out, seen);
    }
    out.push('}');
  }
  seen.delete(value);
}
