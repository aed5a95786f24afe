/**
 * Where subschemas live in a JSON Schema 2020-12 document. Values under
 * `const`, `enum`, `default` and `examples` are data, never schemas, so a
 * `$ref` key inside them is not a reference.
 */

/** A JSON object as parsed from a schema file. */
export type JsonRecord = { [key: string]: unknown };

/** Keywords whose value is one subschema. */
export const SCHEMA_KEYWORDS: readonly string[] = [
  'items',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'contentSchema',
];

/** Keywords whose value is an array of subschemas. */
export const SCHEMA_ARRAY_KEYWORDS: readonly string[] = ['prefixItems', 'allOf', 'anyOf', 'oneOf'];

/** Keywords whose value maps names to subschemas. */
export const SCHEMA_MAP_KEYWORDS: readonly string[] = [
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
];

/** `true` for a plain (non-array) object. */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One subschema found by {@link forEachSubschema}. */
export interface Subschema {
  readonly node: unknown;
  /** Segments from the node passed in to this subschema. */
  readonly path: readonly (string | number)[];
}

/** The direct subschemas of `node`, in document order. */
export function directSubschemas(node: unknown): Subschema[] {
  const out: Subschema[] = [];
  if (!isRecord(node)) return out;
  for (const [key, value] of Object.entries(node)) {
    if (SCHEMA_KEYWORDS.includes(key)) {
      out.push({ node: value, path: [key] });
    } else if (SCHEMA_ARRAY_KEYWORDS.includes(key) && Array.isArray(value)) {
      value.forEach((item, i) => {
        out.push({ node: item, path: [key, i] });
      });
    } else if (SCHEMA_MAP_KEYWORDS.includes(key) && isRecord(value)) {
      for (const [name, item] of Object.entries(value)) out.push({ node: item, path: [key, name] });
    }
  }
  return out;
}

/**
 * Visit `node` and every subschema below it (pre-order, document order).
 * `visit` gets the node and its path from `node`.
 */
export function forEachSubschema(
  node: unknown,
  visit: (node: unknown, path: readonly (string | number)[]) => void,
  path: readonly (string | number)[] = [],
): void {
  visit(node, path);
  for (const sub of directSubschemas(node))
    forEachSubschema(sub.node, visit, [...path, ...sub.path]);
}

/**
 * A copy of a schema with every subschema passed through `map` first
 * (bottom-up is not needed: `map` sees the original node and returns the
 * replacement for its own keys; children are then copied recursively).
 */
export function mapSchema(
  node: unknown,
  map: (node: JsonRecord, isRoot: boolean) => JsonRecord,
  isRoot = true,
): unknown {
  if (!isRecord(node)) return node;
  const mapped = map(node, isRoot);
  const out: JsonRecord = {};
  for (const [key, value] of Object.entries(mapped)) {
    if (SCHEMA_KEYWORDS.includes(key)) out[key] = mapSchema(value, map, false);
    else if (SCHEMA_ARRAY_KEYWORDS.includes(key) && Array.isArray(value))
      out[key] = value.map((item) => mapSchema(item, map, false));
    else if (SCHEMA_MAP_KEYWORDS.includes(key) && isRecord(value)) {
      const inner: JsonRecord = {};
      for (const [name, item] of Object.entries(value)) inner[name] = mapSchema(item, map, false);
      out[key] = inner;
    } else out[key] = value;
  }
  return out;
}
