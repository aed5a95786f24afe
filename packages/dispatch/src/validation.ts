import type { JsonObject, ManifestProblem } from '@dagstack/plugin-api';
import { PluginRegistryError } from '@dagstack/plugin-api';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { escapePointer } from './json.js';

/**
 * A compiled schema check: the problems of a value, or `undefined` when it is valid.
 * @since 0.2.0
 */
export type Validator = (value: unknown) => readonly ManifestProblem[] | undefined;

let sharedAjv: Ajv2020 | undefined;

/** One ajv instance for the process (JSON Schema 2020-12 + formats). */
function ajv(): Ajv2020 {
  if (sharedAjv === undefined) {
    sharedAjv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
    // ajv-formats ships CommonJS; under NodeNext its default import is the module object.
    addFormatsModule.default(sharedAjv);
  }
  return sharedAjv;
}

const compiled = new WeakMap<JsonObject, ValidateFunction>();

function problemOf(error: ErrorObject, source: string): ManifestProblem {
  let pointer = error.instancePath;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    pointer = `${pointer}/${escapePointer(params.missingProperty)}`;
  } else if (
    error.keyword === 'additionalProperties' &&
    typeof params.additionalProperty === 'string'
  ) {
    pointer = `${pointer}/${escapePointer(params.additionalProperty)}`;
  }
  const message =
    error.keyword === 'required'
      ? 'is required'
      : error.keyword === 'additionalProperties'
        ? 'is not allowed by the schema'
        : (error.message ?? `fails "${error.keyword}"`);
  return { pointer, message, source, rule: error.keyword };
}

/**
 * Compile a hookspec schema (once per schema object) into a
 * {@link Validator}. `source` says in problems what was checked
 * (`"input of tool.execute"`). Throws `PluginRegistryError` when the schema
 * itself is invalid. Used by the registry for the per-function `parameters`
 * schemas of function-routed hooks.
 * @since 0.2.0
 */
export function compileSchema(schema: JsonObject, source: string, kind: string): Validator {
  let validate = compiled.get(schema);
  try {
    validate ??= ajv().compile(schema);
  } catch (error) {
    throw new PluginRegistryError(
      `the JSON Schema of ${source} does not compile: ${error instanceof Error ? error.message : String(error)}`,
      { kind, cause: error, hint: 'fix the schema in the hookspec (JSON Schema 2020-12)' },
    );
  }
  compiled.set(schema, validate);
  const check = validate;
  return (value) => {
    if (check(value)) return undefined;
    const errors = check.errors ?? [];
    // `anyOf` / `oneOf` report every branch; the branch errors say more.
    const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
    return (specific.length > 0 ? specific : errors).map((e) => problemOf(e, source));
  };
}
