// The package's JSON Schema, compiled once, and ajv's errors turned into
// problems. Linear in the number of errors: errors are grouped by path once,
// and each message is written only if the problem is listed (ProblemList
// keeps the first MAX_PROBLEMS).
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import {
  describeValue,
  type ProblemList,
  pointer,
  quote,
  segmentsOf,
  suggest,
  typeOfValue,
  valueAt,
} from './problems.js';

/** Location of the manifest JSON Schema shipped with the package. */
const SCHEMA_URL: URL = new URL('../schema/manifest.schema.json', import.meta.url);

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
  items?: SchemaNode;
  type?: string | string[];
  enum?: unknown[];
  uniqueItems?: boolean;
  description?: string;
};

let cached: { validate: ValidateFunction; schema: SchemaNode } | undefined;

/** One ajv instance for the process; schemas are compiled once. */
function createAjv(): Ajv2020 {
  // logger: false — a library does not print; every finding is a problem.
  const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, logger: false });
  // ajv-formats ships CommonJS; under NodeNext its default import is the module object.
  addFormatsModule.default(ajv);
  return ajv;
}

let sharedAjv: Ajv2020 | undefined;

/** The shared ajv instance (2020-12 + formats). */
export function getAjv(): Ajv2020 {
  sharedAjv ??= createAjv();
  return sharedAjv;
}

/** The manifest JSON Schema of this package, as an object. */
export function manifestJsonSchema(): Readonly<Record<string, unknown>> {
  return load().schema as Readonly<Record<string, unknown>>;
}

/**
 * The schema as compiled: without `uniqueItems` on `runtime`. ajv compares
 * the items of a list pairwise when their type is not declared (O(n²): a
 * list of 12,000 tables took 5 s); the rules check the runtime list for
 * repeats with a set instead (rules.ts).
 */
function compiledForm(schema: SchemaNode): SchemaNode {
  const copy = structuredClone(schema);
  for (const branch of copy.properties?.runtime?.anyOf ?? []) delete branch.uniqueItems;
  return copy;
}

function load(): { validate: ValidateFunction; schema: SchemaNode } {
  if (cached === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as SchemaNode;
    cached = { validate: getAjv().compile(compiledForm(schema)), schema };
  }
  return cached;
}

/** Names of the top-level manifest fields this binding knows. */
export function knownFields(): readonly string[] {
  return Object.keys(load().schema.properties ?? {});
}

/** The node and its `anyOf` branches, flattened. */
function branches(node: SchemaNode): SchemaNode[] {
  return node.anyOf === undefined ? [node] : [node, ...node.anyOf.flatMap(branches)];
}

function nodeAt(schema: SchemaNode, path: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const segment of path) {
    if (node === undefined) return undefined;
    if (/^\d+$/.test(segment) && node.items !== undefined) node = node.items;
    else
      node =
        node.properties?.[segment] ??
        node.anyOf?.find((b) => b.properties?.[segment])?.properties?.[segment];
  }
  return node;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a table',
  null: 'null',
};

/**
 * What the schema wants at `segments`, in words ("a string", "a string or a
 * list"); `null` when the path is not a field of the schema (a closed table
 * without that key); `undefined` when the schema gives no type there.
 */
export function expectationAt(segments: readonly (string | number)[]): string | null | undefined {
  let nodes = [load().schema];
  for (const segment of segments) {
    const next: SchemaNode[] = [];
    let open = false;
    for (const node of nodes.flatMap(branches)) {
      if (typeof segment === 'number') {
        if (node.items !== undefined) next.push(node.items);
        continue;
      }
      const property = node.properties?.[segment];
      if (property !== undefined) next.push(property);
      else if (typeof node.additionalProperties === 'object') next.push(node.additionalProperties);
      else if (
        node.anyOf === undefined &&
        node.properties === undefined &&
        node.additionalProperties !== false &&
        (node.type === undefined || [node.type].flat().includes('object'))
      ) {
        open = true;
      }
    }
    if (next.length === 0) return open ? undefined : null;
    nodes = next;
  }
  const words = new Set<string>();
  for (const node of nodes.flatMap(branches)) {
    for (const type of node.type === undefined ? [] : [node.type].flat()) {
      words.add(TYPE_WORDS[type] ?? type);
    }
    if (node.enum?.every((v) => typeof v === 'string')) {
      words.add('a string');
    }
  }
  return words.size === 0 ? undefined : [...words].join(' or ');
}

function describeExpectation(error: ErrorObject): string | undefined {
  if (error.keyword === 'type') {
    const types = String((error.params as { type: string | string[] }).type).split(',');
    return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return undefined;
}

const PATTERN_MESSAGES: Record<string, string> = {
  name: 'must use lower-case letters, digits, "-" and "_", and start with a letter or digit',
  kind: 'must use lower-case letters, digits, "-" and "_", and start with a letter',
  kind_api_version: 'must be a major version ("1") or a SemVer version ("1.0.0")',
  token_env: 'must be an environment variable name (letters, digits, "_")',
  secret_env: 'must be an environment variable name (letters, digits, "_")',
  auth_secret_env: 'must be an environment variable name (letters, digits, "_")',
  client_id_env: 'must be an environment variable name (letters, digits, "_")',
  client_secret_env: 'must be an environment variable name (letters, digits, "_")',
  header: 'must be an HTTP header name',
  auth_header: 'must be an HTTP header name',
};

/** "got a list [MASKED]", "got a string "abc"": the value at `path`, bounded and secret-free. */
function gotAt(data: unknown, path: readonly string[]): string {
  const { value, secret } = valueAt(data, path);
  return `got ${typeOfValue(value)} ${describeValue(value, secret)}`;
}

/** Where a problem is reported: the missing or unknown key's own pointer, else the error's. */
function pointerOf(error: ErrorObject): string {
  if (error.keyword === 'required') {
    return `${error.instancePath}${pointer((error.params as { missingProperty: string }).missingProperty)}`;
  }
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}${pointer((error.params as { additionalProperty: string }).additionalProperty)}`;
  }
  return error.instancePath;
}

/** Tells apart errors of one pointer and keyword (the pointer already names a missing or unknown key). */
function keyOf(error: ErrorObject): string {
  return error.keyword === 'required' || error.keyword === 'additionalProperties'
    ? ''
    : JSON.stringify(error.params);
}

function messageFor(error: ErrorObject, data: unknown, schema: SchemaNode): string {
  const path = segmentsOf(error.instancePath);
  const got = (): string => gotAt(data, path);
  const field = path[path.length - 1] ?? '';
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return `required field ${quote(missing)} is missing`;
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(nodeAt(schema, path)?.properties ?? {});
      const guess = suggest(extra, allowed);
      const where = path.length === 0 ? ' (put free-form keys in [plugin.metadata])' : '';
      return `unknown field ${quote(extra)}${guess === undefined ? '' : `; did you mean "${guess}"?`}${where}`;
    }
    case 'type':
      return `must be ${describeExpectation(error)}, ${got()}`;
    case 'enum': {
      const { value, secret } = valueAt(data, path);
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof value === 'string' && !secret ? suggest(value, allowed) : undefined;
      return `must be ${describeExpectation(error)}, ${got()}${guess === undefined ? '' : `; did you mean "${guess}"?`}`;
    }
    case 'pattern':
      return `${PATTERN_MESSAGES[field] ?? `must match ${(error.params as { pattern: string }).pattern}`}, ${got()}`;
    case 'minLength':
    case 'minItems':
      return 'must not be empty';
    case 'maxLength':
      return `is longer than ${(error.params as { limit: number }).limit} characters`;
    case 'exclusiveMinimum':
    case 'minimum':
      return `must be greater than ${error.keyword === 'minimum' ? 'or equal to ' : ''}${(error.params as { limit: number }).limit}, ${got()}`;
    case 'maximum':
      return `must be at most ${(error.params as { limit: number }).limit}, ${got()}`;
    case 'uniqueItems':
      return 'lists the same value twice';
    case 'propertyNames':
      return 'has a key that is not a valid name';
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}

/** The message for a field whose value matches no branch of an `anyOf`. */
function anyOfMessage(at: string, atPath: readonly ErrorObject[], data: unknown): string {
  const expectations = [
    ...new Set(atPath.map(describeExpectation).filter((d): d is string => d !== undefined)),
  ];
  const path = segmentsOf(at);
  const { value, secret } = valueAt(data, path);
  const allowed = atPath
    .filter((e) => e.keyword === 'enum')
    .flatMap((e) => (e.params as { allowedValues: unknown[] }).allowedValues.map(String));
  const guess = typeof value === 'string' && !secret ? suggest(value, allowed) : undefined;
  return `must be ${expectations.join(', or ')}, ${gotAt(data, path)}${guess === undefined ? '' : `; did you mean "${guess}"?`}`;
}

/**
 * Validate a plugin table against the manifest schema and add what fails to
 * `problems`, with pointers relative to the plugin table. `anyOf` failures
 * are folded into one message per field so the reader sees what the field
 * accepts. Linear in the size of `data` and the number of errors.
 */
export function addSchemaProblems(data: unknown, problems: ProblemList): void {
  const { validate, schema } = load();
  if (validate(data)) return;
  const errors = validate.errors ?? [];
  const byPath = new Map<string, ErrorObject[]>();
  const anyOfPaths = new Set<string>();
  for (const error of errors) {
    const list = byPath.get(error.instancePath);
    if (list === undefined) byPath.set(error.instancePath, [error]);
    else list.push(error);
    if (error.keyword === 'anyOf') anyOfPaths.add(error.instancePath);
  }
  // anyOf paths with an error below them: a deeper error inside one branch
  // (runtime/1 is not a runtime) says more than "matches no branch".
  const deeper = new Set<string>();
  if (anyOfPaths.size > 0) {
    for (const error of errors) {
      let at = error.instancePath;
      for (let cut = at.lastIndexOf('/'); cut !== -1; cut = at.lastIndexOf('/')) {
        at = at.slice(0, cut);
        if (anyOfPaths.has(at)) deeper.add(at);
      }
    }
  }
  // Errors at the path of an anyOf are per-branch noise; keep what says most.
  for (const path of anyOfPaths) {
    if (deeper.has(path)) continue;
    const atPath = (byPath.get(path) ?? []).filter((e) => e.keyword !== 'anyOf');
    // The value had the right type for a branch but broke one of its rules.
    const structural = atPath.filter((e) => e.keyword !== 'type' && e.keyword !== 'enum');
    if (structural.length > 0) {
      for (const error of structural) {
        problems.error(
          pointerOf(error),
          error.keyword,
          () => messageFor(error, data, schema),
          keyOf(error),
        );
      }
      continue;
    }
    problems.error(path, 'anyOf', () => anyOfMessage(path, atPath, data), 'anyOf');
  }
  for (const error of errors) {
    if (error.keyword === 'anyOf' || anyOfPaths.has(error.instancePath)) continue;
    problems.error(
      pointerOf(error),
      error.keyword,
      () => messageFor(error, data, schema),
      keyOf(error),
    );
  }
}
