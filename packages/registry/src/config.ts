/**
 * Per-plugin configuration: where it comes from (`ConfigSource`), its
 * validation against the manifest's `config_schema`, and pushing changes to
 * started plugins.
 *
 * Owns: the compiled config validators, and a record's `config` when a change
 * is pushed. May not touch: states, handles or dispatch.
 */

import {
  ConfigInvalid,
  type Logger,
  type ManifestProblem,
  type PluginManifest,
} from '@dagstack/plugin-api';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { deepFreeze } from './freeze.js';
import type { PluginRecord } from './record.js';

/**
 * Where per-plugin configuration comes from. The registry reads the section
 * `<kind>.<name>` (a nested `{ [kind]: { [name]: {...} } }` object, or a flat
 * key `"<kind>.<name>"`). `subscribe` lets the source push changes.
 * @since 0.1.0
 */
export interface ConfigSource {
  /** The raw configuration of plugin `name` of `kind`, or `undefined` when there is none. */
  get(kind: string, name: string): unknown;
  /**
   * Call `listener` whenever the configuration may have changed; returns a
   * function that stops the calls (the registry calls it on `close()`).
   */
  subscribe?(listener: () => void): () => void;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A {@link ConfigSource} over a plain object, e.g. the parsed host config file.
 * @since 0.1.0
 */
export function configFromObject(config: Readonly<Record<string, unknown>>): ConfigSource {
  return {
    get(kind: string, name: string): unknown {
      const flat = config[`${kind}.${name}`];
      if (flat !== undefined) return flat;
      const section = config[kind];
      return isObject(section) ? section[name] : undefined;
    },
  };
}

/**
 * The registry's config source with the last `setupAll({ configs })` in
 * front: `configs["<kind>.<name>"]`, then `configs[name]`, then `base`.
 * @internal
 */
export function layeredConfig(
  configs: () => Readonly<Record<string, unknown>> | undefined,
  base: ConfigSource | undefined,
): ConfigSource {
  const layered: ConfigSource = {
    get(kind: string, name: string): unknown {
      const given = configs();
      if (given !== undefined) {
        const value = given[`${kind}.${name}`] ?? given[name];
        if (value !== undefined) return value;
      }
      return base?.get(kind, name);
    },
  };
  if (base?.subscribe !== undefined) layered.subscribe = base.subscribe.bind(base);
  return layered;
}

let ajv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    if (ajv === undefined) {
      ajv = new Ajv2020({
        allErrors: true,
        strict: false,
        useDefaults: true,
        allowUnionTypes: true,
        // A schema's `$id` is not registered on the shared instance: the same
        // `config_schema` read again (reload, rediscovery) would clash with itself.
        addUsedSchema: false,
      });
      addFormatsModule.default(ajv);
    }
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Read and validate a plugin's configuration against its `config_schema`
 * (defaults from the schema filled in). Returns a deep-frozen copy; throws
 * {@link ConfigInvalid} naming each offending field.
 * @since 0.1.0
 */
export function resolvePluginConfig(
  manifest: PluginManifest,
  source: ConfigSource | undefined,
): Readonly<Record<string, unknown>> {
  const raw = source?.get(manifest.kind, manifest.name);
  const value: unknown = raw === undefined ? {} : structuredClone(raw);
  const origin = `config section ${manifest.kind}.${manifest.name}`;
  if (manifest.config_schema !== undefined) {
    const validate = validatorFor(manifest.config_schema);
    if (!validate(value)) {
      const problems: ManifestProblem[] = (validate.errors ?? []).map((e) => ({
        pointer:
          e.keyword === 'required'
            ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
            : e.instancePath,
        message: e.keyword === 'required' ? 'is required' : (e.message ?? e.keyword),
        source: origin,
        rule: e.keyword,
      }));
      throw new ConfigInvalid({ plugin: manifest.name, kind: manifest.kind, problems });
    }
  } else if (!isObject(value)) {
    throw new ConfigInvalid({
      plugin: manifest.name,
      kind: manifest.kind,
      problems: [{ pointer: '', message: 'must be a table/object', source: origin, rule: 'type' }],
    });
  }
  return deepFreeze(value) as Readonly<Record<string, unknown>>;
}

/**
 * Give the started plugins among `records` their configuration as `source`
 * has it now: a plugin whose section changed gets the new value and its
 * `onConfigChange` listeners are called; a value that no longer validates is
 * refused (logged to the plugin's logger) and the last valid one kept.
 */
export function pushConfigChanges(
  records: Iterable<PluginRecord>,
  source: ConfigSource | undefined,
  loggerOf: (record: PluginRecord) => Logger,
): void {
  for (const record of records) {
    if (record.state !== 'ready' && record.state !== 'degraded') continue;
    try {
      const next = resolvePluginConfig(record.manifest, source);
      if (JSON.stringify(next) === JSON.stringify(record.config)) continue;
      record.config = next;
      for (const listener of record.configListeners) {
        try {
          listener(next);
        } catch (error) {
          loggerOf(record).error('onConfigChange listener failed', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    } catch (error) {
      // Keep the last valid configuration; say why the new one was refused.
      loggerOf(record).error('new configuration refused', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
