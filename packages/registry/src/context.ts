/**
 * Plugin contexts: the `PluginContext` each plugin's `setup` receives, its
 * bound logger, and the read-only `RegistryView` inside the context.
 *
 * What reaches a context (spec decision R12): the context's services —
 * `progress`, `checkpoint`, `eventBus`, `tenant`, `metrics`, `tracer`
 * (ADR-0001 §PluginContext fields) — are the host's resources of those
 * names for every plugin, declared in `[plugin.resources]` or not;
 * declaring one only documents it and turns on the start-time check of
 * required resources. `tenant` falls back to the allow-all `NOOP_TENANT`
 * only when the host provides none, and a host `tenant` that is not a
 * `TenantContext` fails the plugin's start (`ResourceError`) instead of
 * being replaced. `ctx.resources` stays scoped to the declared names
 * (ADR-0003 §3): asking it for another throws `UndeclaredResource`. A host
 * `tmpdir` that hands out per-plugin folders (`createTmpdir`) reaches each
 * plugin as its own sub-folder; {@link PluginContexts.release} removes it.
 *
 * With the host's `resourceDecorators` (spec decision R18), every resource
 * a context hands out (`ctx.resources.get(name)` and the services) is the
 * plugin's decorated view of it, and the plugin's handle is scoped so that
 * decorators see the hook call being served (resource-decoration.ts does
 * both; without decorators neither happens).
 *
 * Owns: building contexts, plugin loggers and views. Holds no state of its
 * own. May not touch: record state, dispatch or registry fields; it reads
 * records, resources and metadata through the host, and calls hooks only
 * through the host's `call`.
 */

import {
  type CallMetadata,
  type InFlightOperation,
  type Logger,
  NOOP_TENANT,
  type PluginContext,
  type PluginInfo,
  type RegistryCallOptions,
  type RegistryView,
} from '@dagstack/plugin-api';
import {
  createResourceContainer,
  ResourceError,
  releasePluginResources,
} from '@dagstack/plugin-resources';
import { bindLogger } from './logger.js';
import { keyOf, type PluginRecord } from './record.js';
import type { ResourceDecorations } from './resource-decoration.js';

/** What context building needs from its owner (read at each use). */
export interface ContextHost {
  /** The registry, for the context's `Symbol.toStringTag`. */
  readonly owner: object;
  readonly logger: Logger;
  resources(): Readonly<Record<string, unknown>>;
  /** The host's resource decorators; `undefined` when it has none. */
  readonly decorations?: ResourceDecorations | undefined;
  metadata(): CallMetadata;
  /** Every record, sorted by kind then name. */
  ordered(): PluginRecord[];
  /** The record with a `kind/name` key. */
  get(key: string): PluginRecord | undefined;
  /** The records with a plugin name. */
  byName(name: string): readonly PluginRecord[] | undefined;
  call(kind: string, hook: string, input: unknown, options?: RegistryCallOptions): Promise<unknown>;
}

/** Builds plugin contexts, plugin loggers and registry views. */
export class PluginContexts {
  readonly #host: ContextHost;

  constructor(host: ContextHost) {
    this.#host = host;
  }

  /** The registry logger bound to a plugin's name, kind and version. */
  logger(record: PluginRecord): Logger {
    const m = record.manifest;
    return bindLogger(this.#host.logger, {
      'plugin.name': m.name,
      'plugin.kind': m.kind,
      ...(m.version === undefined ? {} : { 'plugin.version': m.version }),
    });
  }

  /** The frozen context a plugin's `setup` receives. */
  create(record: PluginRecord): PluginContext {
    const owner = this.#host.owner;
    const m = record.manifest;
    const provided = this.#host.resources();
    const container = createResourceContainer(provided, {
      declared: m.resources,
      plugin: m.name,
      owner: record.key,
    });
    const decorations = this.#host.decorations;
    const decorated = decorations?.forPlugin({ name: m.name, kind: m.kind });
    if (decorations !== undefined && record.handle !== undefined) decorations.scope(record.handle);
    const resources = decorated === undefined ? container : decorated.container(container);
    // Context services come from the host whatever the manifest declares (R12).
    const raw = (name: string): unknown =>
      Object.hasOwn(provided, name) ? provided[name] : undefined;
    const get =
      decorated === undefined ? raw : (name: string): unknown => decorated.wrap(name, raw(name));
    const tenant = get('tenant');
    if (tenant !== undefined && !isTenantContext(tenant)) {
      throw new ResourceError(
        'the host provides a "tenant" resource that is not a TenantContext (it has no checkAccess method)',
        {
          resource: 'tenant',
          plugin: m.name,
          kind: m.kind,
          hint: 'provide an object with tenantId and checkAccess(resource, action) as resources.tenant, or none for single-tenant hosts',
        },
      );
    }
    return Object.freeze({
      config: record.config,
      logger: this.logger(record),
      registry: this.view(),
      metadata: this.#host.metadata(),
      resources,
      progress: get('progress') as PluginContext['progress'],
      checkpoint: get('checkpoint') as PluginContext['checkpoint'],
      eventBus: get('event_bus') as PluginContext['eventBus'],
      tenant: (tenant as PluginContext['tenant'] | undefined) ?? NOOP_TENANT,
      metrics: get('metrics') as PluginContext['metrics'],
      tracer: get('tracer') as PluginContext['tracer'],
      inFlight: (): readonly InFlightOperation[] => record.inFlight.toArray(),
      onConfigChange(listener: (config: Readonly<Record<string, unknown>>) => void): () => void {
        record.configListeners.add(listener);
        return () => record.configListeners.delete(listener);
      },
      get [Symbol.toStringTag](): string {
        return `PluginContext(${owner.constructor.name}:${m.kind}/${m.name})`;
      },
    }) as PluginContext;
  }

  /**
   * Release what the plugin's contexts made for it from the host's
   * resources (its `tmpdir` sub-folder, with everything in it). Called once
   * the plugin is torn down or failed to start; a failure is logged, not thrown.
   */
  async release(record: PluginRecord): Promise<void> {
    try {
      await releasePluginResources(this.#host.resources(), record.key);
    } catch (error) {
      this.#host.logger.warn("could not remove the plugin's temporary folder", {
        plugin: record.manifest.name,
        kind: record.manifest.kind,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** The read-only registry view inside a context. */
  view(): RegistryView {
    const host = this.#host;
    return {
      list: (kind: string): readonly PluginInfo[] =>
        host
          .ordered()
          .filter((r) => r.manifest.kind === kind)
          .map((r) => ({ name: r.manifest.name, kind, state: r.state, manifest: r.manifest })),
      get: (kind: string, name: string): PluginInfo | undefined => {
        const r = host.get(keyOf(kind, name));
        return r === undefined ? undefined : { name, kind, state: r.state, manifest: r.manifest };
      },
      find: (name: string): readonly PluginInfo[] =>
        (host.byName(name) ?? [])
          .map((r) => ({ name, kind: r.manifest.kind, state: r.state, manifest: r.manifest }))
          .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0)),
      call: (kind: string, hook: string, input: unknown, options?: RegistryCallOptions) =>
        host.call(kind, hook, input, options),
    };
  }
}

/** Whether a host resource can serve as `ctx.tenant`. */
function isTenantContext(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { checkAccess?: unknown }).checkAccess === 'function'
  );
}
