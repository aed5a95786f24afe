/**
 * Refusing `process.exit()` from an in-process plugin's `setup` and
 * `teardown`: such a plugin shares the host's process, and one call would end
 * every other plugin with it. While at least one guarded step runs,
 * `process.exit` is replaced by a function that throws a typed error when
 * called from inside a guarded step (found through AsyncLocalStorage) and
 * exits as usual anywhere else; the original is put back afterwards. Hooks
 * are not guarded (that would cost every call); `process.abort()`, signals
 * and endless loops are not caught either: run such plugins with
 * `execution_model = "process_cpu_bound"`.
 *
 * Owns: the replacement of `process.exit` and its scope. A leaf module.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { PluginLoadError, type PluginManifest } from '@dagstack/plugin-api';

interface Step {
  readonly manifest: PluginManifest;
  readonly step: 'setup' | 'teardown';
}

const scope = new AsyncLocalStorage<Step>();
let active = 0;
let original: typeof process.exit | undefined;

function guardedExit(this: unknown, code?: number | string | null): never {
  const inside = scope.getStore();
  if (inside !== undefined) {
    throw new PluginLoadError(`called process.exit(${code ?? ''}) in ${inside.step}; refused`, {
      plugin: inside.manifest.name,
      kind: inside.manifest.kind,
      path: inside.manifest.source,
      hint: `an in_process plugin shares the host process: throw an error from ${inside.step} instead, or run the plugin with execution_model = "process_cpu_bound"`,
    });
  }
  return (original as typeof process.exit).call(process, code);
}

/** Run a plugin's `setup` or `teardown` with `process.exit` refused inside it. */
export async function withExitGuard<T>(
  manifest: PluginManifest,
  step: Step['step'],
  work: () => T | Promise<T>,
): Promise<T> {
  if (active === 0) {
    original = process.exit;
    process.exit = guardedExit as typeof process.exit;
  }
  active += 1;
  try {
    return await scope.run({ manifest, step }, work);
  } finally {
    active -= 1;
    if (active === 0) {
      // Put the original back unless someone replaced ours meanwhile.
      if (process.exit === guardedExit) process.exit = original as typeof process.exit;
      original = undefined;
    }
  }
}
