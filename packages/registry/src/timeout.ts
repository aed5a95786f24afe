/**
 * Time limits for plugin work (load, setup, teardown, health checks).
 *
 * Owns: `withTimeout`. A leaf module: it imports only types from packages,
 * never another file of this package, and holds no state.
 */

import type { PluginRegistryError } from '@dagstack/plugin-api';

/** Run `work` with a time limit; the promise it returns is abandoned on timeout. */
export async function withTimeout<T>(
  work: () => Promise<T>,
  ms: number,
  onTimeout: () => PluginRegistryError,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
