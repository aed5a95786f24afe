import type { JsonObject } from '@dagstack/plugin-api';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

let shared: Ajv2020 | undefined;
const compiled = new WeakMap<JsonObject, ValidateFunction>();

/** The problems of `value` against a JSON Schema 2020-12, as `pointer: message`; `[]` when valid. */
export function schemaProblems(
  schema: JsonObject,
  value: unknown,
): { pointer: string; message: string }[] {
  if (shared === undefined) {
    shared = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
    // ajv-formats ships CommonJS; under NodeNext its default import is the module object.
    addFormatsModule.default(shared);
  }
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = shared.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => ({
    pointer: e.instancePath,
    message: e.message ?? e.keyword,
  }));
}
