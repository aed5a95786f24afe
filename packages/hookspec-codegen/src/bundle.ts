import { isRecord, type JsonRecord, mapSchema } from './schema-walk.js';
import { locationKey, type SchemaLocation, type SchemaSet } from './schemas.js';

/**
 * A copy of the schema at `location` in which every `$ref` is rewritten by
 * `refFor`, `$id`s are dropped (a copy lives in another document), `$schema`
 * is kept only at the root when `keepSchema` is set, and `$defs` /
 * `definitions` are dropped (the bundle rebuilds them).
 */
function copyAt(
  schemas: SchemaSet,
  location: SchemaLocation,
  refFor: (target: SchemaLocation) => string,
  keepSchema: boolean,
): unknown {
  const node = schemas.node(location);
  return mapSchema(node, (n, isRoot) => {
    const out: JsonRecord = {};
    for (const [key, value] of Object.entries(n)) {
      if (key === '$id' || key === '$defs' || key === 'definitions') continue;
      if (key === '$schema' && !(isRoot && keepSchema)) continue;
      if (key === '$ref' && typeof value === 'string') {
        const target = schemas.resolve(location.file, value);
        if (typeof target === 'string') throw new Error(`unresolved $ref "${value}": ${target}`);
        out[key] = refFor(target);
      } else out[key] = value;
    }
    return out;
  });
}

function nameOf(names: ReadonlyMap<string, string>, location: SchemaLocation): string {
  const name = names.get(locationKey(location));
  if (name === undefined) {
    throw new Error(`internal: no type name for ${locationKey(location)}`);
  }
  return name;
}

/** The named locations `location` reaches through `$ref`s, in discovery order. */
function closure(schemas: SchemaSet, roots: readonly SchemaLocation[]): SchemaLocation[] {
  const seen = new Set<string>();
  const out: SchemaLocation[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const location = queue.shift() as SchemaLocation;
    const key = locationKey(location);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(location);
    copyAt(
      schemas,
      location,
      (target) => {
        queue.push(target);
        return '#';
      },
      false,
    );
  }
  return out;
}

/**
 * One standalone JSON Schema for the schema at `root`: everything it reaches
 * through `$ref` (in the same file or others) is copied under `$defs` by type
 * name, and references point there (`#` for the root itself). ajv compiles
 * it without any other schema loaded.
 */
export function bundleSchema(
  schemas: SchemaSet,
  names: ReadonlyMap<string, string>,
  root: SchemaLocation,
): unknown {
  const rootKey = locationKey(root);
  const refFor = (target: SchemaLocation): string =>
    locationKey(target) === rootKey ? '#' : `#/$defs/${nameOf(names, target)}`;
  const copy = copyAt(schemas, root, refFor, true);
  const defs: JsonRecord = {};
  for (const location of closure(schemas, [root])) {
    if (locationKey(location) === rootKey) continue;
    defs[nameOf(names, location)] = copyAt(schemas, location, refFor, false);
  }
  if (Object.keys(defs).length === 0 || !isRecord(copy)) return copy;
  return { ...copy, $defs: defs };
}

/**
 * The schemas reached from `roots`, each by type name, with references
 * rewritten to `${prefix}${name}` (OpenRPC `components.schemas`).
 */
export function componentSchemas(
  schemas: SchemaSet,
  names: ReadonlyMap<string, string>,
  roots: readonly SchemaLocation[],
  prefix: string,
): JsonRecord {
  const out: JsonRecord = {};
  for (const location of closure(schemas, roots)) {
    out[nameOf(names, location)] = copyAt(
      schemas,
      location,
      (target) => `${prefix}${nameOf(names, target)}`,
      false,
    );
  }
  return out;
}
