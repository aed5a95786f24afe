/**
 * The registry's public option and report types: `PluginRegistryOptions`,
 * `SetupOptions`, `SetupReport` and the `PluginStatus` row. A leaf module of
 * types only (re-exported by index.ts).
 */

import type {
  CallMetadata,
  HealthStatus,
  Logger,
  ManifestProblem,
  PluginRegistryError,
  PluginState,
  ResourceDecoration,
  Runtime,
  RuntimeAdapter,
} from '@dagstack/plugin-api';
import type { DispatchEngineOptions } from '@dagstack/plugin-dispatch';
import type { ConfigSource } from './config.js';

/** One row of {@link PluginRegistry.status} (the `/api/plugins` view). @since 0.1.0 */
export interface PluginStatus {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** The manifest `version`, when it declares one. */
  readonly version: string | undefined;
  /** The plugin's current lifecycle state. */
  readonly state: PluginState;
  /** The runtime chosen for this host, when one fits. */
  readonly runtime: Runtime | undefined;
  /**
   * `DAGSTACK_PLUGIN_TRUSTED_PUBLISHERS` is set and the plugin's publisher is
   * not in it. Always false when the variable is unset or empty.
   */
  readonly untrusted: boolean;
  /** Where the manifest came from: its file path, `inline`, or `env:...`. */
  readonly source: string;
  /** The plugin folder; `undefined` for inline and environment manifests. */
  readonly dir: string | undefined;
  /** The manifest's `capabilities` tags. */
  readonly capabilities: readonly string[];
  /** The manifest's `depends_on`, each as `name` or `kind/name`. */
  readonly dependsOn: readonly string[];
  /** `sha256:<hex>` of the plugin folder's files, computed by `setupAll()`; `undefined` before, or without a folder. */
  readonly contentHash: string | undefined;
  /** The result of the last health check; `undefined` before the first one. */
  readonly health: HealthStatus | undefined;
  /** JSON form of the error that last made the plugin fail; cleared when it becomes ready again. */
  readonly error: ReturnType<PluginRegistryError['toJSON']> | undefined;
  /** Manifest warnings and discovery notes. */
  readonly warnings: readonly ManifestProblem[];
}

/** Options of {@link PluginRegistry}. @since 0.1.0 */
export interface PluginRegistryOptions {
  /** The core version `core_version` is checked against. @default this package's version */
  coreVersion?: string;
  /** Runtime adapters this host may use. The in-process one is always present. */
  runtimes?: readonly RuntimeAdapter[];
  /**
   * Where the registry logs: failing `broadcast_notify` handlers, plugins that
   * fail to start, untrusted publishers, discovery failures, the capability
   * audit (at `info`), state changes (at `debug`). Plugins' `ctx.logger` is
   * this logger bound to the plugin.
   *
   * - not given: warnings and errors go to stderr, one line each
   *   (`createStderrLogger` at level `warn`: JSON lines, or one
   *   readable line when stderr is a terminal);
   * - `'silent'` (or `NOOP_LOGGER`): nothing is logged;
   * - a logger (pino, console-like, dagstack): every record's fields are
   *   masked by key with `maskSecrets` of `@dagstack/plugin-manifest` before
   *   it sees them.
   *
   * @default a stderr logger at level `warn`
   */
  logger?: Logger | 'silent';
  /**
   * Named resources the host provides (`clock`, `rng`, `blob_store`, ...): a
   * record by name, or a `ResourceRegistry` (any object with `names()` and
   * `get(name)`), read when plugins start, so resources registered in it
   * after the registry was made are seen by the next `setupAll()`.
   */
  resources?: HostResources;
  /** Per-plugin configuration: sections `<kind>.<name>`. */
  config?: ConfigSource | Readonly<Record<string, unknown>>;
  /** Environment for `DAGSTACK_ACTIVE_<KIND>` and `DAGSTACK_PLUGIN_TRUSTED_PUBLISHERS`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Validate hook inputs and outputs against the hookspec schemas. @default false */
  validateCalls?: boolean;
  /** JSON round-trip check between chain stages. @default false */
  checkJsonBoundaries?: boolean;
  /** Host routing policy for `singleton` hooks; see {@link DispatchEngineOptions.routingPolicy}. */
  routingPolicy?: DispatchEngineOptions['routingPolicy'];
  /**
   * Host governance filter of each call's candidates; see
   * {@link DispatchEngineOptions.governanceFilter}. A `chain_wrap` middleware
   * plugin may add its own (its `filter(candidates, call)` method, a
   * `CandidateFilter`), applied after this one.
   */
  governanceFilter?: DispatchEngineOptions['governanceFilter'];
  /**
   * Resource decorators (ADR-0005 §3, §5): each runs around every method
   * call an in-process plugin makes on the resource it names (`"*"`: every
   * resource) through its context — `ctx.resources.get(name)` and the
   * services (`ctx.eventBus`, `ctx.tracer`, ...) — and sees the plugin, the
   * resource, the method, the arguments and the metadata of the hook call
   * the plugin is serving (a `ResourceCall`; `undefined` metadata outside
   * hook calls, as in `setup`). Listed first runs first (outermost). Applied
   * to plugins set up after the registry is made; none given: resources
   * reach plugins undecorated and hook calls pay nothing.
   * @since 0.2.0
   */
  resourceDecorators?: readonly ResourceDecoration[];
  /** Extracts the selector of a `capability` call from its input; see {@link DispatchEngineOptions.selectCapability}. */
  selectCapability?: DispatchEngineOptions['selectCapability'];
  /** Per-call limit when the caller gives none. */
  defaultCallTimeoutMs?: number;
  /** Make plugins of kinds without a registered hookspec `unavailable`. @default false */
  strictKinds?: boolean;
  /** Poll `health()` of ready plugins at their `health_interval_sec`. @default true */
  healthChecks?: boolean;
  /** Consecutive failed health checks that make a plugin `unavailable`. @default 3 */
  healthFailureThreshold?: number;
}

/** Options of {@link PluginRegistry.setupAll}. @since 0.1.0 */
export interface SetupOptions {
  /** Metadata given to every `setup(ctx)` (ADR-0005 §1). */
  metadata?: CallMetadata;
  /**
   * Extra resources for this start, merged over the registry's: a record by
   * name or a `ResourceRegistry` (read once, when the start begins). A later
   * start's resources are merged over these.
   */
  resources?: HostResources;
  /**
   * Per-plugin configuration for this start, by plugin name (or
   * `"<kind>.<name>"` where two kinds share a name), taken before the
   * registry's `config` source. Each value is validated against the plugin's
   * `config_schema` (a failure makes that plugin `unavailable` with
   * `ConfigInvalid`, naming the field). A name that matches no registered
   * plugin is logged as a warning with the closest name. Kept for later
   * starts and `reload()` until a start gives `configs` again.
   * @since 0.2.0
   */
  configs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Resources as a host hands them over: a record by name, or a container
 * such as `ResourceRegistry` of `@dagstack/plugin-resources` (anything with
 * `names()` and `get(name)`; a plain object is always read as a record).
 * @since 0.2.0
 */
export type HostResources = Readonly<Record<string, unknown>> | ResourceLookup;

/**
 * A container of resources the registry can read: what `ResourceRegistry`
 * (and any `ResourceContainer`) offers.
 * @since 0.2.0
 */
export interface ResourceLookup {
  /** The names of the resources it holds. */
  names(): readonly string[];
  /** The resource `name`. */
  get(name: string): unknown;
}

/**
 * `resources` as a record: a plain object as is, a container by its names.
 * @internal
 */
export function resourceRecord(
  value: HostResources | undefined,
): Readonly<Record<string, unknown>> {
  if (value === undefined) return {};
  const proto = Object.getPrototypeOf(value) as unknown;
  const plain = proto === Object.prototype || proto === null;
  const container = value as { names?: unknown; get?: unknown };
  if (!plain && typeof container.names === 'function' && typeof container.get === 'function') {
    const { names, get } = value as ResourceLookup;
    const out: Record<string, unknown> = {};
    for (const name of names.call(value)) out[name] = get.call(value, name);
    return out;
  }
  return value as Readonly<Record<string, unknown>>;
}

/** What {@link PluginRegistry.setupAll} did. @since 0.1.0 */
export interface SetupReport {
  /** Plugins started, in start order. */
  readonly started: readonly string[];
  /** Plugins that are unavailable, with the reason. */
  readonly unavailable: readonly {
    /** The plugin's name. */
    readonly plugin: string;
    /** Why it is unavailable. */
    readonly error: PluginRegistryError;
  }[];
}
