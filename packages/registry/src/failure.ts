/**
 * Turning whatever a plugin, a runtime or an adapter threw into a typed
 * registry error that names the plugin.
 *
 * Owns: nothing but the conversion. A leaf module: it imports only a type
 * from record.ts and the error classes of `@dagstack/plugin-api`.
 */

import { isPluginError, PluginLoadError, type PluginRegistryError } from '@dagstack/plugin-api';
import type { PluginRecord } from './record.js';

/**
 * `error` as a {@link PluginRegistryError}: typed errors pass through; any
 * other value becomes a `PluginLoadError` saying `<what> failed: ...`, with
 * the plugin's name, kind and manifest path when a record is given.
 */
export function asRegistryError(
  error: unknown,
  record: Pick<PluginRecord, 'manifest'> | undefined,
  what: string,
): PluginRegistryError {
  if (isPluginError(error)) return error;
  return new PluginLoadError(
    `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    {
      ...(record === undefined
        ? {}
        : {
            plugin: record.manifest.name,
            kind: record.manifest.kind,
            path: record.manifest.source,
          }),
      cause: error,
    },
  );
}
