/**
 * Registration checks (ADR-0001 §Validation at registration, steps 2-5): the
 * kind's hookspec and its `kind_api_version` major, `core_version`, and the
 * runtime this host will use for the plugin, with the fallback order when
 * loading under it fails.
 *
 * Owns: the registered hookspecs (by kind) and the runtime adapters (by
 * runtime). Writes only a record's `runtime` field; states change through
 * the host's `setState`. May not touch: handles, dispatch, health or the
 * record maps.
 */

import {
  type KindSpec,
  KindUnknown,
  type PluginRegistryError,
  type PluginState,
  type Runtime,
  type RuntimeAdapter,
  RuntimeNotSupported,
  VersionIncompatible,
} from '@dagstack/plugin-api';
import { checkCoreVersion } from '@dagstack/plugin-manifest';
import type { PluginRecord } from './record.js';

/** What the checks need from their owner. */
export interface CompatibilityHost {
  /** The core version `core_version` is checked against. */
  readonly coreVersion: string;
  /** Plugins of kinds without a hookspec are `unavailable`. */
  readonly strictKinds: boolean;
  /** Change a record's state (events, error, dispatch refresh). */
  setState(record: PluginRecord, to: PluginState, error?: PluginRegistryError): void;
}

/** Hookspecs, runtime adapters, and the checks of a record against them. */
export class Compatibility {
  readonly #host: CompatibilityHost;
  readonly #kinds = new Map<string, KindSpec>();
  readonly #runtimes = new Map<Runtime, RuntimeAdapter>();

  /** `adapters` in order; a later adapter for the same runtime replaces an earlier one. */
  constructor(host: CompatibilityHost, adapters: readonly RuntimeAdapter[]) {
    this.#host = host;
    for (const adapter of adapters) this.#runtimes.set(adapter.runtime, adapter);
  }

  /** Keep a kind's hookspec (replacing an earlier one). */
  registerKind(spec: KindSpec): void {
    this.#kinds.set(spec.kind, spec);
  }

  /** The hookspec of a kind, when one is registered. */
  kind(kind: string): KindSpec | undefined {
    return this.#kinds.get(kind);
  }

  /** Every registered hookspec, by kind, in registration order. */
  kinds(): ReadonlyMap<string, KindSpec> {
    return this.#kinds;
  }

  /** The adapter of a runtime this host has. */
  adapter(runtime: Runtime): RuntimeAdapter | undefined {
    return this.#runtimes.get(runtime);
  }

  /** Every runtime adapter this host has. */
  adapters(): IterableIterator<RuntimeAdapter> {
    return this.#runtimes.values();
  }

  /**
   * Check a record; on success set its `runtime` to the first declared one
   * whose adapter exists and accepts it (and bring an `unavailable` record
   * back to `registered`), otherwise make it `unavailable` with the reason.
   */
  check(record: PluginRecord): boolean {
    const m = record.manifest;
    const spec = this.#kinds.get(m.kind);
    let error: PluginRegistryError | undefined;
    if (spec === undefined && this.#host.strictKinds) {
      error = new KindUnknown(`kind "${m.kind}" has no registered hookspec`, {
        kind: m.kind,
        plugin: m.name,
        path: m.source,
        hint: 'call registry.registerKind(spec) for this kind, or fix the kind in the manifest',
      });
    } else if (spec !== undefined && major(m.kind_api_version) !== major(spec.kind_api_version)) {
      error = new VersionIncompatible({
        axis: 'kind_api',
        required: m.kind_api_version,
        actual: spec.kind_api_version,
        plugin: m.name,
        kind: m.kind,
        path: m.source,
      });
    }
    error ??= checkCoreVersion(m, this.#host.coreVersion);
    if (error === undefined) {
      // The first declared runtime whose adapter exists and accepts the plugin.
      let refusal: PluginRegistryError | undefined;
      const runtime = m.runtime.find((r) => {
        const adapter = this.#runtimes.get(r);
        if (adapter === undefined) return false;
        const refused = adapter.check?.(m, spec);
        refusal ??= refused;
        return refused === undefined;
      });
      if (runtime === undefined) {
        error =
          refusal ??
          new RuntimeNotSupported({
            requested: m.runtime,
            available: [...this.#runtimes.keys()],
            plugin: m.name,
            kind: m.kind,
            path: m.source,
          });
      } else {
        record.runtime = runtime;
      }
    }
    if (error !== undefined) {
      this.#host.setState(record, 'unavailable', error);
      return false;
    }
    if (record.state === 'unavailable') this.#host.setState(record, 'registered');
    return true;
  }

  /**
   * The runtimes to try when loading (R1): the chosen one, then the
   * manifest's later runtimes that this host has and whose adapters accept
   * the plugin.
   */
  loadOrder(record: PluginRecord): Runtime[] {
    const m = record.manifest;
    const spec = this.#kinds.get(m.kind);
    const chosen = record.runtime as Runtime;
    return [
      chosen,
      ...m.runtime.slice(m.runtime.indexOf(chosen) + 1).filter((r) => {
        const adapter = this.#runtimes.get(r);
        return adapter !== undefined && adapter.check?.(m, spec) === undefined;
      }),
    ];
  }
}

function major(version: string): string {
  return version.split('.')[0] as string;
}
