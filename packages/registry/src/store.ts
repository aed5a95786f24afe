/**
 * The record store: every registered plugin's record, by `kind/name` key and
 * by plugin name, and the lookups the other modules make.
 *
 * Owns: the two record maps and the creation of a record (its initial field
 * values). May not touch: a record's state (states.ts), its handle
 * (lifecycle), or dispatch; it never checks compatibility or audits, the
 * registry does that after `add`.
 */

import {
  AmbiguousPlugin,
  KindUnknown,
  type ManifestProblem,
  type PluginManifest,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import { InFlightCalls } from '@dagstack/plugin-dispatch';
import type { PluginStatus } from './options.js';
import { keyOf, type PluginRecord } from './record.js';

/** The registry's records and their indexes. */
export class RecordStore {
  readonly #records = new Map<string, PluginRecord>();
  /** Records by plugin name (names may repeat across kinds). */
  readonly #byName = new Map<string, PluginRecord[]>();

  /**
   * A new `registered` record for a validated manifest. Throws
   * {@link AmbiguousPlugin} (`duplicate_name`) when `(kind, name)` is taken.
   * The folder defaults to the manifest file's; inline and environment
   * manifests have none.
   */
  add(
    manifest: PluginManifest,
    dir: string | undefined,
    warnings: ManifestProblem[],
  ): PluginRecord {
    const key = keyOf(manifest.kind, manifest.name);
    const existing = this.#records.get(key);
    if (existing !== undefined) {
      throw new AmbiguousPlugin({
        kind: manifest.kind,
        plugin: manifest.name,
        path: manifest.source,
        candidates: [existing.manifest.source, manifest.source],
        reason: 'duplicate_name',
      });
    }
    const record: PluginRecord = {
      manifest,
      key,
      dir:
        dir ??
        (manifest.source === 'inline' || manifest.source.startsWith('env:')
          ? undefined
          : dirnameOf(manifest.source)),
      state: 'registered',
      runtime: undefined,
      handle: undefined,
      attached: undefined,
      error: undefined,
      untrusted: false,
      contentHash: undefined,
      warnings,
      inFlight: new InFlightCalls(),
      configListeners: new Set(),
      config: Object.freeze({}),
      health: undefined,
      healthFailures: 0,
      healthTimer: undefined,
      healthDown: false,
    };
    this.#records.set(key, record);
    const sameName = this.#byName.get(manifest.name);
    if (sameName === undefined) this.#byName.set(manifest.name, [record]);
    else sameName.push(record);
    return record;
  }

  /** The record with a `kind/name` key. */
  get(key: string): PluginRecord | undefined {
    return this.#records.get(key);
  }

  /** Every record, in registration order. */
  values(): IterableIterator<PluginRecord> {
    return this.#records.values();
  }

  /** Every record, sorted by kind then name. */
  ordered(): PluginRecord[] {
    return [...this.#records.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The records with a plugin name. */
  byName(name: string): readonly PluginRecord[] | undefined {
    return this.#byName.get(name);
  }

  /** Whether any plugin of `kind` is registered. */
  hasKind(kind: string): boolean {
    for (const record of this.#records.values()) if (record.manifest.kind === kind) return true;
    return false;
  }

  /**
   * The record a caller names. Throws {@link KindUnknown} when `kind` is
   * given and no such plugin exists, a `PluginRegistryError` when the name is
   * unknown, and {@link AmbiguousPlugin} when the name exists in several kinds
   * and `kind` is missing.
   */
  find(name: string, kind?: string): PluginRecord {
    if (kind !== undefined) {
      const record = this.#records.get(keyOf(kind, name));
      if (record === undefined) {
        throw new KindUnknown(`no plugin "${name}" of kind "${kind}" is registered`, {
          kind,
          plugin: name,
        });
      }
      return record;
    }
    const matches = this.#byName.get(name) ?? [];
    if (matches.length === 1) return matches[0] as PluginRecord;
    if (matches.length === 0) {
      throw new PluginRegistryError('is not registered', {
        plugin: name,
        hint: 'register its manifest first',
      });
    }
    throw new AmbiguousPlugin({
      kind: matches.map((r) => r.manifest.kind).join(', '),
      plugin: name,
      candidates: matches.map((r) => r.key),
      reason: 'duplicate_name',
      hint: 'pass the kind too',
    });
  }

  /** A `depends_on` entry's record: by `kind/name`, or by a name that exactly one kind has. */
  dependency(name: string, kind: string | undefined): PluginRecord | undefined {
    if (kind !== undefined) return this.#records.get(keyOf(kind, name));
    const matches = this.#byName.get(name);
    return matches?.length === 1 ? matches[0] : undefined;
  }
}

function dirnameOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}

/** A record as a row of `PluginRegistry.status()`. */
export function statusOf(r: PluginRecord): PluginStatus {
  return {
    name: r.manifest.name,
    kind: r.manifest.kind,
    version: r.manifest.version,
    state: r.state,
    runtime: r.runtime,
    untrusted: r.untrusted,
    source: r.manifest.source,
    dir: r.dir,
    capabilities: r.manifest.capabilities,
    dependsOn: r.manifest.depends_on.map((d) =>
      d.kind === undefined ? d.name : keyOf(d.kind, d.name),
    ),
    contentHash: r.contentHash,
    health: r.health,
    error: r.error?.toJSON(),
    warnings: r.warnings,
  };
}
