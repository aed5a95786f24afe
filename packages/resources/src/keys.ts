/**
 * Store keys and their file names. Any non-empty string of well-formed Unicode
 * is a valid key; its file name can never leave the store's folder.
 *
 * Encoding (`encodeKey`): the UTF-8 bytes of the key, with `a-z`, `0-9`, `_`
 * and `-` kept and every other byte written `%XX` (uppercase hex). The result
 * contains no `/`, `\`, `.`, NUL or upper-case letters, so it is never `.`,
 * `..`, absolute, hidden, or ambiguous on case-insensitive file systems. When
 * the result is longer than {@link MAX_PLAIN_NAME} characters, it is cut to
 * its first 100 characters (at an escape boundary) followed by `~` and the
 * lowercase hex SHA-256 of the key; such names cannot be decoded, so stores
 * keep the original key inside the file.
 */

import { createHash } from 'node:crypto';
import { InvalidResourceKey } from './errors.js';

/** Encoded names longer than this are shortened with a hash. @since 0.1.0 */
export const MAX_PLAIN_NAME = 160;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const KEPT = /^[a-z0-9_-]$/;

/**
 * Throw {@link InvalidResourceKey} unless `key` is a non-empty string of
 * well-formed Unicode.
 * @since 0.1.0
 */
export function assertValidKey(key: unknown, resource: string): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidResourceKey({ key, resource, reason: 'keys are strings' });
  }
  if (key.length === 0) {
    throw new InvalidResourceKey({ key, resource, reason: 'the key is empty' });
  }
  if (LONE_SURROGATE.test(key)) {
    throw new InvalidResourceKey({
      key,
      resource,
      reason: 'the key contains a lone UTF-16 surrogate, which has no UTF-8 form',
    });
  }
}

const encoder = new TextEncoder();

/**
 * The file-name form of a valid key (see the module documentation).
 * @since 0.1.0
 */
export function encodeKey(key: string): string {
  let out = '';
  const cuts: number[] = [];
  for (const byte of encoder.encode(key)) {
    cuts.push(out.length);
    const ch = String.fromCharCode(byte);
    out += KEPT.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length <= MAX_PLAIN_NAME) return out;
  let cut = 0;
  for (const c of cuts) {
    if (c > 100) break;
    cut = c;
  }
  const digest = createHash('sha256').update(key, 'utf8').digest('hex');
  return `${out.slice(0, cut)}~${digest}`;
}

/**
 * The key of an encoded name, or `undefined` when the name was shortened
 * with a hash (or is not an encoded name at all).
 * @since 0.1.0
 */
export function decodeKey(name: string): string | undefined {
  if (!/^(?:[a-z0-9_-]|%[0-9A-F]{2})+$/.test(name)) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}
