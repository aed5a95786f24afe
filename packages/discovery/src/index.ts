/**
 * @dagstack/plugin-discovery — find plugin manifests.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type {
  DiscoverOptions,
  DiscoveryEntry,
  DiscoveryFailure,
  DiscoveryResult,
  DiscoverySource,
  DiscoveryTarget,
} from './discover.js';
export { DEFAULT_IGNORE, discover } from './discover.js';
export type { DiscoverPackagesOptions, DiscoverRemoteOptions } from './sources.js';
export { discoverPackages, discoverRemote, REMOTE_PLUGINS_ENV } from './sources.js';
