/**
 * `PluginRegistry`: the facade a host uses. It builds the registry's modules,
 * wires them to each other through small host interfaces, and forwards its
 * public methods to them:
 *
 * - store.ts — the records and their lookups;
 * - compatibility.ts — hookspecs, runtime adapters, registration checks;
 * - audit.ts — the publisher allow-list and capability audit;
 * - states.ts — state transitions and `state` events;
 * - lifecycle.ts (with loader.ts) — start plan, load, setup, teardown, reload;
 * - health.ts — health polling;
 * - context.ts, config.ts — what a plugin's `setup` receives, config changes;
 *   resource-decoration.ts — the host's resource decorators and call scope;
 * - dispatch-binding.ts (with middleware-filter.ts), function-router.ts —
 *   what calls may reach;
 * - options.ts — the public option, report and status types.
 *
 * Owns: only the wiring and the call entry point. Holds no plugin state of
 * its own; every field is one of those modules or an option.
 */

import {
  type HealthStatus,
  isPluginError,
  type KindSpec,
  KindUnknown,
  type Logger,
  ManifestInvalid,
  type ManifestProblem,
  type PluginManifest,
  PluginRegistryError,
  type PluginState,
  PluginUnavailable,
} from '@dagstack/plugin-api';
import {
  type DiscoverOptions,
  type DiscoverPackagesOptions,
  type DiscoverRemoteOptions,
  type DiscoveryFailure,
  type DiscoveryResult,
  discover,
  discoverPackages,
  discoverRemote,
} from '@dagstack/plugin-discovery';
import type { DispatchCandidate, DispatchEngine, DispatchOptions } from '@dagstack/plugin-dispatch';
import { maskSecrets, validateManifest } from '@dagstack/plugin-manifest';
import { AuditLog } from './audit.js';
import { Compatibility } from './compatibility.js';
import { type ConfigSource, configFromObject, layeredConfig, pushConfigChanges } from './config.js';
import { PluginContexts } from './context.js';
import { createEngine, DispatchBinding } from './dispatch-binding.js';
import { asRegistryError } from './failure.js';
import { FunctionRouter } from './function-router.js';
import { HealthMonitor } from './health.js';
import { createInProcessRuntime } from './in-process.js';
import { Lifecycle } from './lifecycle.js';
import { PluginLoader } from './loader.js';
import { registryLogger } from './logger.js';
import type { PluginRegistryOptions, PluginStatus, SetupOptions, SetupReport } from './options.js';
import { keyOf, type PluginRecord } from './record.js';
import { ResourceDecorations } from './resource-decoration.js';
import { type StateChange, StateMachine } from './states.js';
import { RecordStore, statusOf } from './store.js';
import { CORE_VERSION } from './version.js';

export type {
  HostResources,
  PluginRegistryOptions,
  PluginStatus,
  ResourceLookup,
  SetupOptions,
  SetupReport,
} from './options.js';
export type { StateChange } from './states.js';

/**
 * The plugin registry: registration and validation, lifecycle in dependency
 * order, calls through the kind's dispatch class, status and events.
 * @since 0.1.0
 */
export class PluginRegistry {
  readonly #options: PluginRegistryOptions;
  readonly #logger: Logger;
  readonly #store = new RecordStore();
  readonly #compatibility: Compatibility;
  readonly #engine: DispatchEngine;
  /** Function-routed hooks (the tool kind's execute): see function-router.ts. */
  readonly #functions: FunctionRouter;
  /** Whether any registered kind is function-routed: one field read on every call when none is. */
  #routing = false;
  readonly #states: StateMachine<PluginRecord>;
  readonly #health: HealthMonitor<PluginRecord>;
  readonly #contexts: PluginContexts;
  readonly #dispatch: DispatchBinding;
  readonly #lifecycle: Lifecycle;
  readonly #config: ConfigSource;
  readonly #discoveryFailures: DiscoveryFailure[] = [];
  readonly #audit: AuditLog;
  #unsubscribeConfig: (() => void) | undefined;

  constructor(options: PluginRegistryOptions = {}) {
    this.#options = options;
    const logger = registryLogger(options.logger);
    const env = (): Readonly<Record<string, string | undefined>> => options.env ?? process.env;
    const setState = (record: PluginRecord, to: PluginState, error?: PluginRegistryError): void =>
      this.#states.set(record, to, error);
    this.#logger = logger;
    const store = this.#store;
    this.#compatibility = new Compatibility(
      {
        coreVersion: options.coreVersion ?? CORE_VERSION,
        strictKinds: options.strictKinds === true,
        setState,
      },
      [createInProcessRuntime(), ...(options.runtimes ?? [])],
    );
    this.#states = new StateMachine<PluginRecord>({
      logger,
      becomingReady: (record) => this.#functions.forget(record.handle),
      batching: () => this.#lifecycle.batching,
      refreshDispatch: () => this.#dispatch.refresh(),
    });
    this.#health = new HealthMonitor<PluginRecord>({
      get enabled() {
        return options.healthChecks !== false;
      },
      get threshold() {
        return options.healthFailureThreshold ?? 3;
      },
      setState,
      poll: (record) => void this.checkHealth(record.manifest.name, record.manifest.kind),
      logger,
    });
    this.#audit = new AuditLog(env, logger);
    this.#contexts = new PluginContexts({
      owner: this,
      logger,
      resources: () => this.#lifecycle.resources,
      decorations: ResourceDecorations.of(options.resourceDecorators),
      metadata: () => this.#lifecycle.metadata,
      ordered: () => store.ordered(),
      get: (key) => store.get(key),
      byName: (name) => store.byName(name),
      call: (kind, hook, input, callOptions) => this.call(kind, hook, input, callOptions),
    });
    this.#config = layeredConfig(
      () => this.#lifecycle.configs,
      options.config === undefined
        ? undefined
        : typeof (options.config as ConfigSource).get === 'function'
          ? (options.config as ConfigSource)
          : configFromObject(options.config as Readonly<Record<string, unknown>>),
    );
    this.#engine = createEngine(options, logger, env(), (candidate, error) => {
      const record = store.get(keyOf(candidate.kind, candidate.name));
      if (record !== undefined && record.state === 'ready') {
        setState(record, 'degraded', asRegistryError(error, record, 'a hook call'));
      }
    });
    this.#functions = new FunctionRouter({
      candidates: (kind) =>
        this.getLoadedPlugins().filter(
          (c) => c.kind === kind && c.manifest.chain_wrap === undefined,
        ),
      call: (kind, hook, input, callOptions) => this.#engine.call(kind, hook, input, callOptions),
      env: env(),
      logger,
      validate: options.validateCalls ?? false,
    });
    this.#dispatch = new DispatchBinding(this.#engine, this.#functions, {
      records: () => store.values(),
      ordered: () => store.ordered(),
      pending: (record) => this.#lifecycle.pending(record),
    });
    const loader = new PluginLoader({
      logger,
      compatibility: this.#compatibility,
      contexts: this.#contexts,
      config: this.#config,
      resources: () => this.#lifecycle.resources,
      setState,
      report: (record, state, reason) => this.#lifecycle.report(record, state, reason),
      catalogueChanged: (record) => this.#functions.forget(record.handle),
    });
    this.#lifecycle = new Lifecycle(
      {
        store,
        compatibility: this.#compatibility,
        loader,
        health: this.#health,
        dispatch: this.#dispatch,
        engine: this.#engine,
        logger,
        env,
        setState,
      },
      options.resources,
    );
    this.#unsubscribeConfig = this.#config.subscribe?.(() => this.refreshConfig());
  }

  // -------------------------------------------------------------------------
  // Registration
  // -------------------------------------------------------------------------

  /**
   * Register a kind's hookspec: which dispatch class each hook uses, its
   * schemas and error policy. Plugins of the kind are checked against its
   * `kind_api_version` major.
   */
  registerKind(spec: KindSpec): void {
    this.#compatibility.registerKind(spec);
    this.#engine.registerKind(spec);
    this.#functions.registerKind(spec);
    this.#routing = this.#functions.active;
    for (const record of this.#store.values()) {
      if (record.manifest.kind === spec.kind && record.state === 'registered')
        this.#compatibility.check(record);
    }
  }

  /**
   * Register a manifest (any form {@link validateManifest} accepts, or an
   * already canonical one). Throws {@link ManifestInvalid} when it does not
   * validate and `AmbiguousPlugin` when `(kind, name)` is taken. An
   * incompatible plugin is registered as `unavailable` with its reason.
   */
  registerManifest(
    input: unknown,
    source?: string,
    options: { dir?: string } = {},
  ): PluginManifest {
    // An already canonical manifest carries its source; validate the rest again.
    let document = input;
    let origin = source ?? 'inline';
    if (isCanonical(input)) {
      const { source: carried, ...rest } = input;
      document = rest;
      origin = source ?? carried;
    }
    const result = validateManifest(document, { source: origin });
    if (!result.ok) {
      throw new ManifestInvalid({
        problems: result.problems,
        path: result.source,
        ...(result.name === undefined ? {} : { plugin: result.name }),
      });
    }
    return this.#add(result.manifest, options.dir, [...result.warnings]);
  }

  /** Give the object that implements a registered plugin (instead of its entry point). */
  attachPlugin(name: string, instance: object, kind?: string): void {
    const record = this.#store.find(name, kind);
    if (
      record.handle !== undefined &&
      record.state !== 'registered' &&
      record.state !== 'unavailable'
    ) {
      throw new PluginRegistryError('is already loaded; attach objects before setupAll()', {
        plugin: name,
        kind: record.manifest.kind,
      });
    }
    record.attached = instance;
  }

  /**
   * Register an object that carries its manifest (`obj.manifest` or
   * `obj.constructor.manifest`) and attach it.
   */
  register(instance: object): PluginManifest {
    const carried =
      (instance as { manifest?: unknown }).manifest ??
      (instance.constructor as { manifest?: unknown } | undefined)?.manifest;
    if (carried === undefined) {
      throw new PluginRegistryError('the object has no manifest', {
        hint: 'give the plugin class a static `manifest` property, or use registerManifest() + attachPlugin()',
      });
    }
    const manifest = this.registerManifest(carried, 'inline');
    this.attachPlugin(manifest.name, instance, manifest.kind);
    return manifest;
  }

  /**
   * Discover plugin folders (ADR-0006) and register every valid one.
   * Failures are kept and shown in {@link status}; nothing throws for one bad
   * plugin.
   */
  async discover(
    roots: string | readonly string[],
    options: DiscoverOptions = {},
  ): Promise<DiscoveryResult> {
    return this.#registerFound(await discover(roots, { logger: this.#logger, ...options }));
  }

  /**
   * Register the out-of-process plugins listed outside plugin folders (the
   * `discoverRemote` of `@dagstack/plugin-discovery`): the manifest files of
   * `plugins_registry/` under `options.dir`, and `DAGSTACK_REMOTE_PLUGINS`,
   * read from the registry's `env`. Only MCP runtimes qualify; an entry that
   * would run local code is a failure, like any invalid manifest.
   * @since 0.2.0
   */
  async discoverRemote(options: DiscoverRemoteOptions = {}): Promise<DiscoveryResult> {
    return this.#registerFound(
      await discoverRemote({
        logger: this.#logger,
        env: this.#options.env ?? process.env,
        ...options,
      }),
    );
  }

  /**
   * Register the plugins of the npm packages under `projectDir/node_modules`
   * whose `package.json` declares a dagstack manifest (scoped and linked
   * packages included).
   * @since 0.2.0
   */
  async discoverPackages(
    projectDir: string,
    options: DiscoverPackagesOptions = {},
  ): Promise<DiscoveryResult> {
    return this.#registerFound(
      await discoverPackages(projectDir, { logger: this.#logger, ...options }),
    );
  }

  /** Register what a discovery found; its failures and refused entries are kept for status(). */
  #registerFound(result: DiscoveryResult): DiscoveryResult {
    this.#discoveryFailures.push(...result.failures);
    const failures = [...result.failures];
    for (const entry of result.entries) {
      try {
        this.#add(entry.manifest, entry.dir, [...entry.warnings]);
      } catch (error) {
        if (!isPluginError(error)) throw error;
        const failure = { path: entry.manifest.source, error };
        failures.push(failure);
        this.#discoveryFailures.push(failure);
      }
    }
    return { ...result, failures };
  }

  /** A new record: stored, audited (ADR-0001 supply chain), checked for compatibility. */
  #add(
    manifest: PluginManifest,
    dir: string | undefined,
    warnings: ManifestProblem[],
  ): PluginManifest {
    const record = this.#store.add(manifest, dir, warnings);
    this.#audit.record(record);
    this.#compatibility.check(record);
    return manifest;
  }

  // -------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------

  /**
   * Start the plugins that are registered or stopped (and unavailable ones
   * that now pass the compatibility checks): resolve dependencies, plan the
   * start groups (in-process, then stdio, then HTTP; dependencies first; by
   * priority then name), then load and set up each group in parallel, each
   * within its `startup_timeout_sec` (ADR-0002 §Lifecycle ordering). A plugin
   * that cannot start, or whose dependency cannot, becomes `unavailable`; the
   * others start anyway. Of a `singleton_per_runtime` kind only the plugin
   * `DAGSTACK_ACTIVE_<KIND>` names starts. Throws `DependencyCycle` or
   * `AmbiguousPlugin` (a singleton tie, two fallbacks, several
   * one-per-runtime candidates) before anything starts.
   */
  setupAll(options: SetupOptions = {}): Promise<SetupReport> {
    return this.#lifecycle.startAll(options);
  }

  /**
   * Tear down every started plugin in the exact reverse of the start order,
   * each within its `teardown_timeout_sec` (in-flight calls are waited for,
   * then cancelled). A timeout marks the plugin `leaked` and the next one
   * continues; `teardown()` returning false marks it `requires_restart`.
   * Throws `TeardownErrors` after all were tried if any failed.
   */
  teardownAll(): Promise<void> {
    return this.#lifecycle.stopAll();
  }

  /**
   * Tear a plugin down and set up a fresh instance (ADR-0001 §Reload): the
   * entry module is imported again under a new URL. Refused for `leaked`
   * plugins. Works for `unavailable` plugins too (after a fix).
   */
  async reload(name: string, kind?: string): Promise<void> {
    await this.#lifecycle.reload(this.#store.find(name, kind));
  }

  /** Re-read every plugin's configuration from the config source now. */
  refreshConfig(): void {
    pushConfigChanges(this.#store.values(), this.#config, (record) =>
      this.#contexts.logger(record),
    );
  }

  /**
   * Run one health check now (the poller calls this at the plugin's
   * interval). A failing or throwing check makes the plugin `degraded`;
   * repeated failures make it `unavailable`; a passing check makes it
   * `ready` again.
   */
  async checkHealth(name: string, kind?: string): Promise<HealthStatus | undefined> {
    const record = this.#store.find(name, kind);
    return this.#health.check(record);
  }

  // -------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------

  /** Ready and degraded plugins as dispatch candidates (the docs' `getLoadedPlugins()`). */
  getLoadedPlugins(): DispatchCandidate[] {
    return this.#dispatch.loaded();
  }

  /**
   * Call a hook through its kind's dispatch class (from the registered
   * hookspec): metadata, timeout, cancellation, middleware and validation
   * applied.
   *
   * A function-routed hook (a `singleton` hook whose MCP tool-name template
   * holds `{function}`, in a kind with a `get_schema` catalogue: the `tool`
   * kind's `execute`) goes to the one plugin whose catalogue lists
   * `input.function` (or to `options.target`), after `input.args` is checked
   * against that function's `parameters` schema. Rejects with
   * `FunctionNotFound` (no plugin lists it; did-you-mean in the hint),
   * `AmbiguousPlugin` (`same_function`: several list it at the same
   * priority and `DAGSTACK_ACTIVE_<KIND>` names none), `HookValidationError`
   * (the arguments do not match; the plugin is not called) or
   * `ToolCallFailed` (the plugin answered `is_error: true`).
   */
  call(kind: string, hook: string, input: unknown, options?: DispatchOptions): Promise<unknown> {
    if (this.#routing && this.#functions.routes(kind, hook)) {
      return this.#functions.call(kind, hook, input, options);
    }
    return this.#engine.call(kind, hook, input, options);
  }

  /**
   * The functions each ready plugin of a function-routed kind lists (the
   * `tool` kind's `get_schema`), by plugin name; plugins without a
   * catalogue are left out. The same lists route `execute` calls.
   * @since 0.2.0
   */
  functions(kind: string): Promise<Map<string, string[]>> {
    return this.#functions.functions(kind);
  }

  /**
   * A proxy whose methods are the kind's hooks:
   * `registry.getPlugin('tool', 'echo').execute({ msg })`. With a name, calls
   * go to that plugin and fail with {@link PluginUnavailable} unless it is
   * ready; without one, the kind's dispatch rules choose.
   * @typeParam T - The type of the proxy. Default: an object whose every
   *   property is a hook function taking the input and dispatch options and
   *   returning a promise of the result.
   */
  getPlugin<T = Record<string, (input?: unknown, options?: DispatchOptions) => Promise<unknown>>>(
    kind: string,
    name?: string,
  ): T {
    const record = name === undefined ? undefined : this.#store.find(name, kind);
    if (name === undefined && !this.#store.hasKind(kind)) {
      throw new KindUnknown(`no plugin of kind "${kind}" is registered`, { kind });
    }
    const registry = this;
    return new Proxy(
      {},
      {
        get(_target, hook) {
          if (typeof hook !== 'string' || hook === 'then') return undefined;
          return (input?: unknown, options: DispatchOptions = {}) => {
            if (record !== undefined) {
              if (record.state !== 'ready' && record.state !== 'degraded') {
                return Promise.reject(
                  new PluginUnavailable({
                    plugin: record.manifest.name,
                    kind,
                    state: record.state,
                    ...(record.error === undefined ? {} : { reason: record.error.message }),
                  }),
                );
              }
              return registry.call(kind, hook, input, { ...options, target: record.manifest.name });
            }
            return registry.call(kind, hook, input, options);
          };
        },
      },
    ) as T;
  }

  /** Wait until in-flight `broadcast_notify` handlers have finished. */
  settled(): Promise<void> {
    return this.#engine.settled();
  }

  // -------------------------------------------------------------------------
  // Introspection
  // -------------------------------------------------------------------------

  /**
   * Every registered manifest, sorted by kind then name (whatever its state:
   * see {@link status} for states and reasons).
   *
   * ```ts
   * for (const m of registry.list()) logger.info('plugin', { kind: m.kind, name: m.name });
   * ```
   * @since 0.2.0
   */
  list(): PluginManifest[] {
    return this.#store.ordered().map((r) => r.manifest);
  }

  /**
   * Every registered manifest, sorted by kind then name.
   * @deprecated Use {@link list} (the docs' name); this alias goes in 0.3.
   */
  listManifests(): PluginManifest[] {
    return this.list();
  }

  /** The `/api/plugins` view: one row per plugin, sorted by kind then name. */
  status(): PluginStatus[] {
    // Rows carry error details and warnings, which may quote a secret-named field.
    return this.#store.ordered().map((r) => maskSecrets(statusOf(r)));
  }

  /** Discovery failures seen by {@link discover} (paths that yielded no plugin). */
  discoveryFailures(): readonly DiscoveryFailure[] {
    return [...this.#discoveryFailures];
  }

  /** The capability audit log (ADR-0001 §Supply-chain security). */
  auditLog(): readonly {
    /** The plugin's name. */
    plugin: string;
    /** The plugin's kind. */
    kind: string;
    /** The capabilities its manifest declares. */
    capabilities: readonly string[];
    /** Whether its publisher is missing from the trusted-publisher allow-list. */
    untrusted: boolean;
  }[] {
    return this.#audit.entries();
  }

  /** Subscribe to state changes; returns an unsubscribe function. */
  on(event: 'state', listener: (change: StateChange) => void): () => void {
    if (event !== 'state') throw new PluginRegistryError(`unknown event "${String(event)}"`);
    return this.#states.subscribe(listener);
  }

  /** Stop health polling and config subscriptions. Does not tear plugins down. */
  close(): void {
    for (const record of this.#store.values()) this.#health.stop(record);
    this.#unsubscribeConfig?.();
    this.#unsubscribeConfig = undefined;
  }
}

function isCanonical(value: unknown): value is PluginManifest {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { source?: unknown }).source === 'string'
  );
}
