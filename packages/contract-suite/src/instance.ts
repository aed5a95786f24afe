/**
 * How the suite gets a plugin instance: from an imported entry module, or
 * from the `plugin` option (a class, a factory or an object).
 *
 * Owns: `isClass` and `makeInstance`. It may not start a session, call hooks
 * or record results.
 */

import { instantiate } from '../host/session.mjs';
import type { Target } from './context.js';

/** Whether a value is a class (not a plain function). */
export const isClass = (value: unknown): value is new () => object =>
  typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));

/** A fresh instance: from `namespace` (the imported entry) when given, else from `target.plugin`. */
export async function makeInstance(
  target: Target,
  namespace: Record<string, unknown> | undefined,
): Promise<object> {
  if (namespace !== undefined)
    return (await instantiate(namespace, target.entry?.exportName)).instance;
  const plugin = target.plugin;
  if (isClass(plugin)) return new plugin();
  if (typeof plugin === 'function') return await (plugin as () => object | Promise<object>)();
  return plugin as object;
}
