// What `dagstack/setup` carries (docs/wire.md §7), built from a host's
// PluginContext.
//
// Owns: SetupParams and setupParamsFrom. May not touch: the session or the
// client; sending the request is WireSession.setup's (session.ts).
import type { CallMetadata, JsonValue, PluginContext, PluginManifest } from '@dagstack/plugin-api';
import { canonicalJson } from './canonical-json.js';

/**
 * What `dagstack/setup` carries (docs/wire.md §7).
 * @since 0.1.0
 */
export interface SetupParams {
  /** Canonical JSON of the host's normalised manifest. */
  readonly manifest: string;
  /** Canonical JSON of the plugin's validated configuration. */
  readonly config: string;
  /** Declared resources whose host value is plain JSON, by name. */
  readonly resources: Readonly<Record<string, JsonValue>>;
  /** Names of declared resources the host has but cannot send over the wire. */
  readonly resources_unavailable: readonly string[];
  /** Start-up call metadata, sent in `_meta`. */
  readonly metadata: CallMetadata;
}

/** Whether a value is plain JSON all the way down (no functions, class instances, undefined). */
function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isJsonValue(item, depth + 1));
}

/**
 * Build the `dagstack/setup` parameters from a host's `PluginContext`:
 * canonical JSON of the manifest and config, the declared resources that are
 * plain JSON, and the names of those that cannot cross the wire.
 * @since 0.1.0
 */
export function setupParamsFrom(manifest: PluginManifest, ctx: PluginContext): SetupParams {
  const resources: Record<string, JsonValue> = {};
  const unavailable: string[] = [];
  const declared = [...manifest.resources.required, ...manifest.resources.optional];
  for (const name of declared) {
    if (!ctx.resources.has(name)) continue;
    let value: unknown;
    try {
      value = ctx.resources.get(name);
    } catch {
      continue;
    }
    if (isJsonValue(value)) resources[name] = value as JsonValue;
    else unavailable.push(name);
  }
  return {
    manifest: canonicalJson(manifest),
    config: canonicalJson(ctx.config),
    resources,
    resources_unavailable: unavailable,
    metadata: ctx.metadata,
  };
}
