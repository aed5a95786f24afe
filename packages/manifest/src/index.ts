/**
 * @dagstack/plugin-manifest — read, validate and normalise plugin manifests.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { CoreVersionOptions } from './core-version.js';
export { checkCoreVersion } from './core-version.js';
export type { ManifestFormat } from './document.js';
export type { EntryPoint, EntryPointResult, EntryPointStyle } from './entry-point.js';
export { parseEntryPoint } from './entry-point.js';
export type { ManifestParseResult, ManifestSchema } from './manifest-schema.js';
export { PluginManifestSchema } from './manifest-schema.js';
export { isSecretKey, MASK, maskSecrets } from './mask.js';
export {
  assertManifestValid,
  findManifestFile,
  formatOf,
  loadManifest,
  loadManifestOrThrow,
  MANIFEST_FILE_NAMES,
  parseManifest,
  unwrapManifest,
} from './read.js';
export { manifestJsonSchema } from './schema.js';
export type { ManifestResult, ValidateManifestOptions } from './validate.js';
export { validateManifest } from './validate.js';
export type {
  ParsedVersionSpec,
  Pep440Version,
  VersionSpecResult,
  VersionSpecSyntax,
} from './version-spec.js';
export {
  comparePep440,
  parsePep440Version,
  parseVersionSpec,
  satisfiesVersionSpec,
} from './version-spec.js';
