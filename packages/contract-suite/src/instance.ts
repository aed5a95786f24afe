/**
 * How the suite gets a plugin instance: from an imported entry module, or
 * from the `plugin` option (a class, a factory or an object).
 *
 * Owns: `isClass`, `makeInstance`, and `openSession` (a fresh instance in a
 * session with the target's seed, clock and config). It may not call hooks
 * or record results.
 */

import { createSession, instantiate, type Session, type SessionOptions } from '../host/session.mjs';
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

/**
 * A fresh instance (see {@link makeInstance}) in a new session with the
 * target's manifest, seed, clock and config; `extra` adds session options.
 */
export async function openSession(
  target: Target,
  namespace: Record<string, unknown> | undefined,
  extra: Omit<SessionOptions, 'manifest' | 'instance' | 'seed' | 'now' | 'config'> = {},
): Promise<Session> {
  const instance = await makeInstance(target, namespace);
  return createSession({
    manifest: target.manifest,
    instance,
    seed: target.seed,
    now: target.now,
    config: target.config,
    ...extra,
  });
}
