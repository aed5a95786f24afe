import type { KindSpec } from '@dagstack/plugin-api';
import { kindSpecOf } from './emit-typescript.js';
import { loadHookspecOrThrow } from './load.js';
import type { LoadedHookspec } from './model.js';
import { planNames } from './names.js';

/**
 * The runtime {@link KindSpec} of a loaded hookspec, with its payload schemas
 * bundled: the same object the generated module's `KIND_SPEC` holds, built
 * without generating code (for hosts that load kinds at run time).
 * @since 0.1.0
 */
export function kindSpecFromHookspec(spec: LoadedHookspec): KindSpec {
  return kindSpecOf(spec, planNames(spec));
}

/**
 * Load a kind YAML and return its runtime {@link KindSpec}.
 * @throws {HookspecInvalid} when the YAML or a schema it references is invalid.
 * @since 0.1.0
 */
export async function loadKindSpec(file: string): Promise<KindSpec> {
  return kindSpecFromHookspec(await loadHookspecOrThrow(file));
}
