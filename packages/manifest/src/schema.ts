import { readFileSync } from 'node:fs';
import type { ManifestProblem } from '@dagstack/plugin-api';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describeValue, pointer, suggest } from './problems.js';

/** Location of the manifest JSON Schema shipped with the package. */
const SCHEMA_URL: URL = new URL('../schema/manifest.schema.json', import.meta.url);

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  items?: SchemaNode;
  description?: string;
};

let cached: { validate: ValidateFunction; schema: SchemaNode } | undefined;

/** One ajv instance for the process; schemas are compiled once. */
function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
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

function load(): { validate: ValidateFunction; schema: SchemaNode } {
  if (cached === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as SchemaNode;
    cached = { validate: getAjv().compile(schema), schema };
  }
  return cached;
}

/** Names of the top-level manifest fields this binding knows. */
export function knownFields(): readonly string[] {
  return Object.keys(load().schema.properties ?? {});
}

function nodeAt(schema: SchemaNode, path: string[]): SchemaNode | undefined {
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

function segmentsOf(instancePath: string): string[] {
  return instancePath === ''
    ? []
    : instancePath
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, path: string[]): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
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

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
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
  header: 'must be an HTTP header name',
  auth_header: 'must be an HTTP header name',
};

function messageFor(
  error: ErrorObject,
  data: unknown,
  schema: SchemaNode,
): { at: string; message: string } {
  const path = segmentsOf(error.instancePath);
  const value = valueAt(data, path);
  const got = `got ${typeOfValue(value)} ${describeValue(value)}`;
  const field = path[path.length - 1] ?? '';
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { at: pointer(...path, missing), message: `required field "${missing}" is missing` };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(nodeAt(schema, path)?.properties ?? {});
      const guess = suggest(extra, allowed);
      const where = path.length === 0 ? ' (put free-form keys in [plugin.metadata])' : '';
      return {
        at: pointer(...path, extra),
        message: `unknown field "${extra}"${guess === undefined ? '' : `; did you mean "${guess}"?`}${where}`,
      };
    }
    case 'type':
      return { at: error.instancePath, message: `must be ${describeExpectation(error)}, ${got}` };
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof value === 'string' ? suggest(value, allowed) : undefined;
      return {
        at: error.instancePath,
        message: `must be ${describeExpectation(error)}, ${got}${guess === undefined ? '' : `; did you mean "${guess}"?`}`,
      };
    }
    case 'pattern':
      return {
        at: error.instancePath,
        message: `${PATTERN_MESSAGES[field] ?? `must match ${(error.params as { pattern: string }).pattern}`}, ${got}`,
      };
    case 'minLength':
    case 'minItems':
      return { at: error.instancePath, message: 'must not be empty' };
    case 'maxLength':
      return {
        at: error.instancePath,
        message: `is longer than ${(error.params as { limit: number }).limit} characters`,
      };
    case 'exclusiveMinimum':
    case 'minimum':
      return {
        at: error.instancePath,
        message: `must be greater than ${error.keyword === 'minimum' ? 'or equal to ' : ''}${(error.params as { limit: number }).limit}, ${got}`,
      };
    case 'maximum':
      return {
        at: error.instancePath,
        message: `must be at most ${(error.params as { limit: number }).limit}, ${got}`,
      };
    case 'uniqueItems':
      return { at: error.instancePath, message: 'lists the same value twice' };
    case 'propertyNames':
      return { at: error.instancePath, message: 'has a key that is not a valid name' };
    default:
      return { at: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * Validate a plugin table against the manifest schema. Returns problems with
 * pointers relative to the plugin table. `anyOf` failures are folded into one
 * message per field so the reader sees what the field accepts.
 */
export function schemaProblems(data: unknown, source: string): ManifestProblem[] {
  const { validate, schema } = load();
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  const anyOfPaths = new Set(
    errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath),
  );
  const problems: ManifestProblem[] = [];
  const push = (at: string, rule: string, message: string): void => {
    if (!problems.some((p) => p.pointer === at && p.message === message)) {
      problems.push({ pointer: at, message, source, rule });
    }
  };
  // Errors at the path of an anyOf are per-branch noise; keep what says most.
  const skipAtPath = new Set<string>();
  for (const path of anyOfPaths) {
    skipAtPath.add(path);
    const atPath = errors.filter((e) => e.instancePath === path && e.keyword !== 'anyOf');
    // A deeper error inside one branch (runtime/1 is not a runtime) says more
    // than "matches no branch".
    if (errors.some((e) => e.instancePath.startsWith(`${path}/`))) continue;
    // The value had the right type for a branch but broke one of its rules.
    const structural = atPath.filter((e) => e.keyword !== 'type' && e.keyword !== 'enum');
    if (structural.length > 0) {
      for (const error of structural) {
        const { at, message } = messageFor(error, data, schema);
        push(at, error.keyword, message);
      }
      continue;
    }
    const expectations = [
      ...new Set(atPath.map(describeExpectation).filter((d): d is string => d !== undefined)),
    ];
    const value = valueAt(data, segmentsOf(path));
    const allowed = atPath
      .filter((e) => e.keyword === 'enum')
      .flatMap((e) => (e.params as { allowedValues: unknown[] }).allowedValues.map(String));
    const guess = typeof value === 'string' ? suggest(value, allowed) : undefined;
    push(
      path,
      'anyOf',
      `must be ${expectations.join(', or ')}, got ${typeOfValue(value)} ${describeValue(value)}${guess === undefined ? '' : `; did you mean "${guess}"?`}`,
    );
  }
  for (const error of errors) {
    if (error.keyword === 'anyOf' || skipAtPath.has(error.instancePath)) continue;
    const { at, message } = messageFor(error, data, schema);
    push(at, error.keyword, message);
  }
  return problems;
}
