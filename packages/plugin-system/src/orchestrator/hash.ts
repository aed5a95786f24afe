/** Canonical JSON and the input hash of a unit of work (ADR-0003 §7). */

import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '@dagstack/plugin-api';

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v as JsonValue)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map(
        (k) =>
          `${JSON.stringify(k)}:${canonicalJson((value as Record<string, JsonValue>)[k] as JsonValue)}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 (hex) of the plugin name and its arguments, canonicalised. When the
 * manifest lists `unit_of_work.content_hash` fields, only those top-level
 * arguments take part (a missing one counts as `null`).
 */
export function unitInputHash(
  pluginName: string,
  args: JsonObject,
  fields: readonly string[],
): string {
  const hashed: Record<string, JsonValue> = {};
  if (fields.length === 0) Object.assign(hashed, args);
  else for (const field of fields) hashed[field] = args[field] ?? null;
  return createHash('sha256')
    .update(canonicalJson({ plugin: pluginName, args: hashed }))
    .digest('hex');
}

/** sha256 (hex) of a JSON value, canonicalised (for `output_hash` plugins). */
export function jsonHash(value: JsonValue): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
