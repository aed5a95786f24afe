// PluginManifestSchema: the manifest validation of validateManifest under the
// parse / safeParse names the docs use (the schema-object shape TypeScript
// users know from zod), so no second validator exists.
import type { ManifestInvalid, ManifestProblem, PluginManifest } from '@dagstack/plugin-api';
import { invalidOf } from './read.js';
import { type ValidateManifestOptions, validateManifest } from './validate.js';

/**
 * Result of {@link PluginManifestSchema}`.safeParse`: the canonical manifest,
 * or the typed error `parse` would have thrown.
 * @since 0.2.0
 */
export type ManifestParseResult =
  | {
      /** The manifest is valid. */
      readonly success: true;
      /** The canonical (normalised) manifest. */
      readonly data: PluginManifest;
      /** Non-fatal findings (defaults assumed, unknown fields ignored, ...). */
      readonly warnings: readonly ManifestProblem[];
    }
  | {
      /** The manifest is invalid. */
      readonly success: false;
      /** Every problem, each with its JSON pointer (`error.problems`). */
      readonly error: ManifestInvalid;
    };

/**
 * The plugin manifest schema as an object with `parse` and `safeParse`:
 * the same validation and normalisation as {@link validateManifest} (the
 * JSON Schema of the spec plus the cross-field rules), for the plugin table
 * (the contents of `[plugin]`, a JSON manifest, an inline object).
 * @since 0.2.0
 */
export interface ManifestSchema {
  /** The canonical manifest; throws `ManifestInvalid` listing every problem. */
  parse(input: unknown, options?: ValidateManifestOptions): PluginManifest;
  /** The canonical manifest or the `ManifestInvalid` error, never thrown. */
  safeParse(input: unknown, options?: ValidateManifestOptions): ManifestParseResult;
}

/**
 * Validate and normalise a manifest object, as the docs show:
 *
 * ```ts
 * const raw = JSON.parse(await readFile('plugins/my-plugin/dagstack.json', 'utf8'));
 * const manifest = PluginManifestSchema.parse('plugin' in raw ? raw.plugin : raw);
 * ```
 *
 * `parse` throws `ManifestInvalid` (a `PluginRegistryError` carrying every
 * problem with its JSON pointer), not a zod error: the schema is the spec's
 * JSON Schema, checked by the same code as discovery.
 * @since 0.2.0
 */
export const PluginManifestSchema: ManifestSchema = Object.freeze({
  parse(input: unknown, options?: ValidateManifestOptions): PluginManifest {
    const result = validateManifest(input, options);
    if (result.ok) return result.manifest;
    throw invalidOf(result);
  },
  safeParse(input: unknown, options?: ValidateManifestOptions): ManifestParseResult {
    const result = validateManifest(input, options);
    if (result.ok) return { success: true, data: result.manifest, warnings: result.warnings };
    return { success: false, error: invalidOf(result) };
  },
});
