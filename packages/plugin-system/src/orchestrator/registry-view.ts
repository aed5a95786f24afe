/**
 * What the orchestrator asks of the host's registry about plugins: the
 * unit-of-work plugin an `enqueue` names, whether a plugin hashes its output,
 * and the lifecycle state units wait on (ADR-0003).
 *
 * Owns: the lookup rules and {@link WAIT_STATES}. Stateless: it reads the
 * registry's manifests and `status()` only, never calls a plugin, and may not
 * touch units or any orchestrator state.
 */

import { AmbiguousPlugin, type PluginManifest, PluginUnavailable } from '@dagstack/plugin-api';
import type { UnitRegistry } from './types.js';
import { KIND, type UnitRecord } from './unit-record.js';

/** Plugin states in which a unit waits for its plugin instead of running. */
export const WAIT_STATES: ReadonlySet<string> = new Set([
  'registered',
  'starting',
  'stopping',
  'stopped',
]);

/**
 * The manifest of the unit-of-work plugin named `name`: the only plugin of
 * that name outside the orchestrator kind, or the only one of them that
 * declares `[plugin.unit_of_work]`. Throws `PluginUnavailable` when there is
 * none and `AmbiguousPlugin` when there are several.
 */
export function findUnitPlugin(registry: UnitRegistry, name: string): PluginManifest {
  const all = registry.listManifests().filter((m) => m.name === name && m.kind !== KIND);
  const declared = all.filter((m) => m.unit_of_work.declared);
  const pick = declared.length > 0 ? declared : all;
  if (pick.length === 1) return pick[0] as PluginManifest;
  if (pick.length === 0) {
    throw new PluginUnavailable({
      plugin: name,
      reason: 'no plugin of that name is registered',
      hint: 'enqueue the manifest name of a registered unit-of-work plugin',
    });
  }
  throw new AmbiguousPlugin({
    plugin: name,
    kind: pick.map((m) => m.kind).join(', '),
    candidates: pick.map((m) => `${m.kind}/${m.name}`),
    reason: 'duplicate_name',
    hint: 'give the unit-of-work plugins distinct names, or declare [plugin.unit_of_work] on the one to run',
  });
}

/** Whether the plugin of a unit declares `unit_of_work.idempotency_mode = "output_hash"`. */
export function isOutputHashPlugin(registry: UnitRegistry, unit: UnitRecord): boolean {
  const manifest = registry
    .listManifests()
    .find((m) => m.name === unit.plugin_name && m.kind === unit.plugin_kind);
  return manifest?.unit_of_work.idempotency_mode === 'output_hash';
}

/** The lifecycle state of a unit's plugin, when the registry reports states. */
export function pluginStateOf(registry: UnitRegistry, unit: UnitRecord): string | undefined {
  return registry.status?.().find((r) => r.name === unit.plugin_name && r.kind === unit.plugin_kind)
    ?.state;
}

/** `kind/name` of the plugins units must wait for (see {@link WAIT_STATES}). */
export function waitingPlugins(registry: UnitRegistry): ReadonlySet<string> {
  const rows = registry.status?.() ?? [];
  return new Set(rows.filter((r) => WAIT_STATES.has(r.state)).map((r) => `${r.kind}/${r.name}`));
}
