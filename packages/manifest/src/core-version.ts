import { type PluginManifest, VersionIncompatible } from '@dagstack/plugin-api';
import { parseVersionSpec } from './version-spec.js';

/** Options of {@link checkCoreVersion}. @since 0.1.0 */
export interface CoreVersionOptions {
  /** Let a pre-release core satisfy the specifier. @default true when the core itself is a pre-release */
  prereleases?: boolean;
}

/**
 * Check a manifest's `core_version` against the core's own version (ADR-0001
 * §Validation at registration, step 4). Returns `undefined` when compatible,
 * or the {@link VersionIncompatible} error to record on the plugin.
 * @since 0.1.0
 */
export function checkCoreVersion(
  manifest: Pick<PluginManifest, 'name' | 'kind' | 'core_version' | 'source'>,
  coreVersion: string,
  options: CoreVersionOptions = {},
): VersionIncompatible | undefined {
  const parsed = parseVersionSpec(manifest.core_version);
  // A pre-release core (0.2.0-rc.1) is what its users run: let it match
  // the range it is a pre-release of unless the caller says otherwise.
  const prereleases = options.prereleases ?? /[a-z]/i.test(coreVersion.replace(/^v/i, ''));
  if (parsed.ok && parsed.spec.matches(coreVersion, { prereleases })) return undefined;
  return new VersionIncompatible({
    axis: 'core',
    required: manifest.core_version,
    actual: coreVersion,
    plugin: manifest.name,
    kind: manifest.kind,
    path: manifest.source,
  });
}
