import {
  AmbiguousPlugin,
  type CallMetadata,
  envKindSuffix,
  type HealthStatus,
  HookCancelled,
  HookTimeout,
  isPluginError,
  type KindSpec,
  KindUnknown,
  type Logger,
  ManifestInvalid,
  type ManifestProblem,
  MissingDependency,
  NOOP_LOGGER,
  type PluginContext,
  type PluginFailure,
  type PluginHandle,
  PluginLoadError,
  type PluginManifest,
  PluginRegistryError,
  type PluginState,
  PluginUnavailable,
  type Runtime,
  type RuntimeAdapter,
  RuntimeNotSupported,
  type RuntimeReportedState,
  TeardownErrors,
  VersionIncompatible,
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
import {
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
  type DispatchOptions,
  InFlightCalls,
  type Middleware,
} from '@dagstack/plugin-dispatch';
import { checkCoreVersion, validateManifest } from '@dagstack/plugin-manifest';
import { missingRequired } from '@dagstack/plugin-resources';
import { AuditLog } from './audit.js';
import { type ConfigSource, configFromObject, resolvePluginConfig } from './config.js';
import { contentHash } from './content-hash.js';
import { PluginContexts } from './context.js';
import { FunctionRouter } from './function-router.js';
import { HealthMonitor } from './health.js';
import { createInProcessHandle, createInProcessRuntime } from './in-process.js';
import { type PlanNode, planStartGroups } from './plan.js';
import { keyOf, type PluginRecord } from './record.js';
import { type StateChange, StateMachine } from './states.js';
import { withTimeout } from './timeout.js';
import { CORE_VERSION } from './version.js';

export type { StateChange } from './states.js';

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
  /** @default NOOP_LOGGER */
  logger?: Logger;
  /** Named resources the host provides (`clock`, `rng`, `blob_store`, ...). */
  resources?: Readonly<Record<string, unknown>>;
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
  /** Host governance filter of each call's candidates; see {@link DispatchEngineOptions.governanceFilter}. */
  governanceFilter?: DispatchEngineOptions['governanceFilter'];
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
  /** Extra resources for this start (merged over the registry's). */
  resources?: Readonly<Record<string, unknown>>;
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

function asRegistryError(
  error: unknown,
  record: PluginRecord | undefined,
  what: string,
): PluginRegistryError {
  if (isPluginError(error)) return error;
  return new PluginLoadError(
    `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    {
      ...(record === undefined
        ? {}
        : {
            plugin: record.manifest.name,
            kind: record.manifest.kind,
            path: record.manifest.source,
          }),
      cause: error,
    },
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The plugin registry: registration and validation, lifecycle in dependency
 * order, calls through the kind's dispatch class, status and events.
 * @since 0.1.0
 */
export class PluginRegistry {
  readonly #options: PluginRegistryOptions;
  readonly #logger: Logger;
  readonly #coreVersion: string;
  readonly #runtimes = new Map<Runtime, RuntimeAdapter>();
  readonly #records = new Map<string, PluginRecord>();
  /** Records by plugin name (names may repeat across kinds). */
  readonly #byName = new Map<string, PluginRecord[]>();
  readonly #kinds = new Map<string, KindSpec>();
  readonly #engine: DispatchEngine;
  /** Function-routed hooks (the tool kind's execute): see function-router.ts. */
  readonly #functions: FunctionRouter;
  /** Whether any registered kind is function-routed: one field read on every call when none is. */
  #routing = false;
  readonly #states: StateMachine<PluginRecord>;
  readonly #health: HealthMonitor<PluginRecord>;
  readonly #contexts: PluginContexts;
  readonly #config: ConfigSource | undefined;
  readonly #discoveryFailures: DiscoveryFailure[] = [];
  readonly #audit: AuditLog;
  #startOrder: string[][] = [];
  #resources: Readonly<Record<string, unknown>>;
  #metadata: CallMetadata = Object.freeze({});
  #unsubscribeConfig: (() => void) | undefined;
  /** While true, state changes do not re-publish to dispatch (setupAll/teardownAll do it per group). */
  #batching = false;
  /** Set up during a start group, published to dispatch before they are `ready`. */
  readonly #pendingReady = new Set<PluginRecord>();

  constructor(options: PluginRegistryOptions = {}) {
    this.#options = options;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#coreVersion = options.coreVersion ?? CORE_VERSION;
    this.#resources = options.resources ?? {};
    this.#runtimes.set('in_process', createInProcessRuntime());
    const registry = this;
    this.#states = new StateMachine<PluginRecord>({
      logger: this.#logger,
      becomingReady: (record) => this.#functions.forget(record.handle),
      batching: () => this.#batching,
      refreshDispatch: () => this.#refreshDispatch(),
    });
    this.#health = new HealthMonitor<PluginRecord>({
      get enabled() {
        return registry.#options.healthChecks !== false;
      },
      get threshold() {
        return registry.#options.healthFailureThreshold ?? 3;
      },
      setState: (record, to, error) => this.#setState(record, to, error),
      poll: (record) => void this.checkHealth(record.manifest.name, record.manifest.kind),
    });
    this.#audit = new AuditLog(() => this.#options.env ?? process.env, this.#logger);
    this.#contexts = new PluginContexts({
      owner: this,
      logger: this.#logger,
      resources: () => this.#resources,
      metadata: () => this.#metadata,
      ordered: () => this.#ordered(),
      get: (key) => this.#records.get(key),
      byName: (name) => this.#byName.get(name),
      call: (kind, hook, input, options) => this.call(kind, hook, input, options),
    });
    for (const adapter of options.runtimes ?? []) this.#runtimes.set(adapter.runtime, adapter);
    this.#config =
      options.config === undefined
        ? undefined
        : typeof (options.config as ConfigSource).get === 'function'
          ? (options.config as ConfigSource)
          : configFromObject(options.config as Readonly<Record<string, unknown>>);
    this.#engine = new DispatchEngine({
      logger: this.#logger,
      env: options.env ?? process.env,
      ...(options.routingPolicy === undefined ? {} : { routingPolicy: options.routingPolicy }),
      ...(options.governanceFilter === undefined
        ? {}
        : { governanceFilter: options.governanceFilter }),
      ...(options.selectCapability === undefined
        ? {}
        : { selectCapability: options.selectCapability }),
      validate: options.validateCalls ?? false,
      checkJsonBoundaries: options.checkJsonBoundaries ?? false,
      ...(options.defaultCallTimeoutMs === undefined
        ? {}
        : { defaultTimeoutMs: options.defaultCallTimeoutMs }),
      onPluginFailure: (candidate, error) => {
        const record = this.#records.get(keyOf(candidate.kind, candidate.name));
        if (record !== undefined && record.state === 'ready') {
          this.#setState(record, 'degraded', asRegistryError(error, record, 'a hook call'));
        }
      },
    });
    this.#functions = new FunctionRouter({
      candidates: (kind) =>
        this.getLoadedPlugins().filter(
          (c) => c.kind === kind && c.manifest.chain_wrap === undefined,
        ),
      call: (kind, hook, input, callOptions) => this.#engine.call(kind, hook, input, callOptions),
      env: options.env ?? process.env,
      logger: this.#logger,
      validate: options.validateCalls ?? false,
    });
    this.#unsubscribeConfig = this.#config?.subscribe?.(() => this.#reloadConfig());
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
    this.#kinds.set(spec.kind, spec);
    this.#engine.registerKind(spec);
    this.#functions.registerKind(spec);
    this.#routing = this.#functions.active;
    for (const record of this.#records.values()) {
      if (record.manifest.kind === spec.kind && record.state === 'registered')
        this.#checkCompatibility(record);
    }
  }

  /**
   * Register a manifest (any form {@link validateManifest} accepts, or an
   * already canonical one). Throws {@link ManifestInvalid} when it does not
   * validate and {@link AmbiguousPlugin} when `(kind, name)` is taken. An
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
    const record = this.#find(name, kind);
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

  #add(
    manifest: PluginManifest,
    dir: string | undefined,
    warnings: ManifestProblem[],
  ): PluginManifest {
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
    };
    this.#records.set(key, record);
    const sameName = this.#byName.get(manifest.name);
    if (sameName === undefined) this.#byName.set(manifest.name, [record]);
    else sameName.push(record);
    this.#auditRecord(record);
    this.#checkCompatibility(record);
    return manifest;
  }

  /** Supply chain (ADR-0001): publisher allow-list and capability audit. */
  #auditRecord(record: PluginRecord): void {
    this.#audit.record(record);
  }

  /** ADR-0001 §Validation at registration, steps 2-5 (1 and 6 are manifest validation). */
  #checkCompatibility(record: PluginRecord): boolean {
    const m = record.manifest;
    const spec = this.#kinds.get(m.kind);
    let error: PluginRegistryError | undefined;
    if (spec === undefined && this.#options.strictKinds === true) {
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
    error ??= checkCoreVersion(m, this.#coreVersion);
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
      this.#setState(record, 'unavailable', error);
      return false;
    }
    if (record.state === 'unavailable') this.#setState(record, 'registered');
    return true;
  }

  #find(name: string, kind?: string): PluginRecord {
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

  // -------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------

  /**
   * Load and set up every registered plugin (ADR-0002 §Lifecycle ordering):
   * runtime phases, dependency groups, priority then name, parallel inside a
   * group, each with its `startup_timeout_sec`. A failed plugin and everything
   * that depends on it become `unavailable`; the rest start. Throws, before
   * starting anything, on a dependency cycle or an ambiguity that makes
   * dispatch impossible (singleton tie, two fallbacks).
   */
  /**
   * Kinds whose hookspec says `singleton_per_runtime` (the orchestrator): at
   * most one of their plugins runs. `DAGSTACK_ACTIVE_<KIND>` names it and the
   * others become `unavailable` with the reason; without it, several
   * candidates stop the start with {@link AmbiguousPlugin}.
   */
  #onePerRuntime(startable: readonly PluginRecord[], failedKeys: Set<string>): void {
    for (const [kind, spec] of this.#kinds) {
      if (spec.constraints?.singleton_per_runtime !== true) continue;
      const running = [...this.#records.values()].filter(
        (r) => r.manifest.kind === kind && (r.state === 'ready' || r.state === 'degraded'),
      );
      const starting = startable.filter((r) => r.manifest.kind === kind && !failedKeys.has(r.key));
      const all = [...running, ...starting];
      if (all.length <= 1) continue;
      const names = all.map((r) => r.manifest.name).sort();
      // One already runs: it stays the one. Otherwise the environment must choose.
      let chosen = running[0]?.manifest.name;
      if (chosen === undefined) {
        const env = this.#options.env ?? process.env;
        chosen = env[`DAGSTACK_ACTIVE_${envKindSuffix(kind)}`];
        if (chosen === undefined || !names.includes(chosen)) {
          throw new AmbiguousPlugin({ kind, candidates: names, reason: 'one_per_runtime' });
        }
      }
      for (const record of starting) {
        if (record.manifest.name === chosen) continue;
        this.#setState(
          record,
          'unavailable',
          new AmbiguousPlugin({
            kind,
            plugin: record.manifest.name,
            candidates: names,
            reason: 'one_per_runtime',
          }),
        );
        failedKeys.add(record.key);
      }
    }
  }

  /**
   * Start the plugins that are registered or stopped (and unavailable ones
   * that now pass the compatibility checks): resolve dependencies, plan the
   * start groups (in-process, then stdio, then HTTP; dependencies first; by
   * priority then name), then load and set up each group in parallel. A plugin
   * that cannot start, or whose dependency cannot, becomes `unavailable`; the
   * others start anyway. Throws `DependencyCycle` or {@link AmbiguousPlugin}
   * before anything starts.
   */
  async setupAll(options: SetupOptions = {}): Promise<SetupReport> {
    this.#metadata = deepFreeze(structuredClone(options.metadata ?? {})) as CallMetadata;
    if (options.resources !== undefined)
      this.#resources = { ...this.#resources, ...options.resources };
    const candidates = [...this.#records.values()].filter(
      (r) =>
        r.state === 'registered' ||
        r.state === 'stopped' ||
        (r.state === 'unavailable' && this.#checkCompatibility(r)),
    );
    for (const record of candidates) {
      if (record.state === 'stopped') this.#checkCompatibility(record);
    }
    const startable = candidates.filter((r) => r.state === 'registered' || r.state === 'stopped');
    const startableSet = new Set(startable);

    // Resolve dependencies; a missing one makes the dependent unavailable (recursively).
    const deps = new Map<string, string[]>();
    for (const record of startable) deps.set(record.key, this.#resolveDeps(record));
    const failedKeys = new Set<string>();
    let changed = true;
    while (changed) {
      changed = false;
      for (const record of startable) {
        if (failedKeys.has(record.key)) continue;
        for (const dep of record.manifest.depends_on) {
          const resolved = this.#lookupDep(dep.name, dep.kind);
          const ok =
            resolved !== undefined &&
            !failedKeys.has(resolved.key) &&
            (startableSet.has(resolved) ||
              resolved.state === 'ready' ||
              resolved.state === 'degraded');
          if (!ok) {
            const reason =
              resolved === undefined
                ? 'is not registered'
                : `is ${failedKeys.has(resolved.key) ? 'unavailable' : resolved.state}${resolved.error ? ` (${resolved.error.message})` : ''}`;
            this.#setState(
              record,
              'unavailable',
              new MissingDependency({
                plugin: record.manifest.name,
                kind: record.manifest.kind,
                dependency: dep.name,
                reason,
              }),
            );
            failedKeys.add(record.key);
            changed = true;
            break;
          }
        }
      }
    }
    this.#onePerRuntime(startable, failedKeys);
    const toStart = startable.filter((r) => !failedKeys.has(r.key));

    // Start-time checks that stop the start (ADR-0002 §Conflict resolution).
    const nodes: PlanNode[] = toStart.map((r) => ({
      key: r.key,
      name: r.manifest.name,
      priority: r.manifest.priority,
      runtime: r.runtime as Runtime,
      deps: deps.get(r.key) ?? [],
    }));
    const groups = planStartGroups(nodes);
    this.#refreshDispatch(toStart);
    const ambiguities = this.#engine.verify();
    if (ambiguities.length > 0) throw ambiguities[0] as PluginRegistryError;

    // Content hashes for status() (ADR-0001 §Supply-chain security), read up front.
    // Sixteen at a time, so a thousand plugins do not open a thousand files at once.
    const toHash = toStart.filter((r) => r.dir !== undefined && r.contentHash === undefined);
    for (let i = 0; i < toHash.length; i += 16) {
      await Promise.all(
        toHash.slice(i, i + 16).map(async (r) => {
          r.contentHash = await contentHash(r.dir as string).catch(() => undefined);
        }),
      );
    }
    const started: string[] = [];
    const order: string[][] = [];
    this.#batching = true;
    try {
      for (const group of groups) {
        // Publishes each group to dispatch before the next one starts, so
        // later groups may call these plugins from their setup.
        await this.#startGroup(group, order, started);
      }
    } finally {
      this.#batching = false;
      this.#startOrder.push(...order);
      this.#refreshDispatch();
    }
    return {
      started,
      unavailable: [...this.#records.values()]
        .filter((r) => r.state === 'unavailable')
        .map((r) => ({ plugin: r.manifest.name, error: r.error as PluginRegistryError })),
    };
  }

  /** Load, then set up, one start group; records the completion order. */
  async #startGroup(
    group: readonly PlanNode[],
    order: string[][],
    started: string[],
  ): Promise<void> {
    const records = group.map((n) => this.#records.get(n.key) as PluginRecord);
    const completed: string[] = [];
    const runnable: PluginRecord[] = [];
    for (const record of records) {
      if (!this.#depsReady(record)) {
        const failedDep = record.manifest.depends_on.find((d) => {
          const r = this.#lookupDep(d.name, d.kind);
          return r === undefined || (r.state !== 'ready' && r.state !== 'degraded');
        });
        this.#setState(
          record,
          'unavailable',
          new MissingDependency({
            plugin: record.manifest.name,
            kind: record.manifest.kind,
            dependency: failedDep?.name ?? '?',
            reason: 'failed to start',
          }),
        );
        continue;
      }
      runnable.push(record);
    }
    const loaded = await Promise.all(runnable.map((record) => this.#load(record)));
    await Promise.all(
      runnable.map(async (record, i) => {
        if (loaded[i] === true && (await this.#setup(record, true))) completed.push(record.key);
      }),
    );
    // Publish the group to dispatch first, then announce `ready`: a listener
    // (or a poller of status()) that calls a plugin the moment it is ready
    // must find it callable.
    if (this.#pendingReady.size > 0) {
      this.#refreshDispatch();
      for (const record of [...this.#pendingReady]) {
        this.#pendingReady.delete(record);
        this.#becomeStarted(record);
      }
    }
    if (completed.length > 0) order.push(completed);
    started.push(...completed.map((k) => (this.#records.get(k) as PluginRecord).manifest.name));
  }

  #lookupDep(name: string, kind: string | undefined): PluginRecord | undefined {
    if (kind !== undefined) return this.#records.get(keyOf(kind, name));
    const matches = this.#byName.get(name);
    return matches?.length === 1 ? matches[0] : undefined;
  }

  #resolveDeps(record: PluginRecord): string[] {
    return record.manifest.depends_on
      .map((d) => this.#lookupDep(d.name, d.kind)?.key)
      .filter((k): k is string => k !== undefined);
  }

  #depsReady(record: PluginRecord): boolean {
    return record.manifest.depends_on.every((d) => {
      const r = this.#lookupDep(d.name, d.kind);
      return r !== undefined && (r.state === 'ready' || r.state === 'degraded');
    });
  }

  /**
   * Start one plugin: load it (its runtime adapter, or the attached object),
   * then set it up, within its startup timeout. Loading of a group runs in
   * parallel first; setups are then initiated in the planned order so their
   * synchronous parts run deterministically.
   */
  async #start(record: PluginRecord): Promise<boolean> {
    return (await this.#load(record)) && (await this.#setup(record));
  }

  #startLimitMs(record: PluginRecord): number {
    return (
      (record.manifest.mcp_stdio?.startup_timeout_sec ?? record.manifest.startup_timeout_sec) * 1000
    );
  }

  #fail(record: PluginRecord, error: unknown, what: string): false {
    const reason = asRegistryError(error, record, what);
    this.#logger.error('plugin failed to start', {
      plugin: record.manifest.name,
      kind: record.manifest.kind,
      error: reason.message,
    });
    this.#setState(record, 'unavailable', reason);
    return false;
  }

  async #load(record: PluginRecord): Promise<boolean> {
    const m = record.manifest;
    this.#setState(record, 'starting');
    const limitMs = this.#startLimitMs(record);
    try {
      const missing = missingRequired(m.resources, this.#resources);
      if (missing.length > 0) {
        throw new PluginUnavailable({
          plugin: m.name,
          kind: m.kind,
          reason: `required resources not provided: ${missing.join(', ')}`,
          hint: 'pass them in the registry options (resources) or remove them from [plugin.resources].required',
        });
      }
      record.config = resolvePluginConfig(m, this.#config);
      if (record.attached !== undefined) {
        record.handle = createInProcessHandle(m, record.attached);
      } else {
        record.handle = await this.#loadWithFallback(record, limitMs);
      }
      return true;
    } catch (error) {
      return this.#fail(record, error, 'loading');
    }
  }

  /**
   * Load the plugin under its chosen runtime; when that fails and the
   * manifest lists further runtimes this host has (and whose adapters accept
   * the plugin), try them in order (R1): a Python plugin declaring
   * `["in_process", "mcp_stdio"]` cannot be imported by a TypeScript host and
   * runs over stdio instead. Every failure that is followed by another try is
   * logged; when all fail, the error names each runtime and why.
   */
  async #loadWithFallback(record: PluginRecord, limitMs: number): Promise<PluginHandle> {
    const m = record.manifest;
    const spec = this.#kinds.get(m.kind);
    const chosen = record.runtime as Runtime;
    const order = [
      chosen,
      ...m.runtime.slice(m.runtime.indexOf(chosen) + 1).filter((r) => {
        const adapter = this.#runtimes.get(r);
        return adapter !== undefined && adapter.check?.(m, spec) === undefined;
      }),
    ];
    const failures: { runtime: Runtime; error: unknown }[] = [];
    for (const [i, runtime] of order.entries()) {
      const adapter = this.#runtimes.get(runtime) as RuntimeAdapter;
      try {
        const handle = await withTimeout(
          () =>
            adapter.load(m, {
              ...(record.dir === undefined ? {} : { dir: record.dir }),
              ...(spec === undefined ? {} : { kindSpec: spec }),
              logger: this.#pluginLogger(record),
              onStateChange: (state, reason) => this.#runtimeReport(record, state, reason),
              onCatalogueChange: () => this.#functions.forget(record.handle),
            }),
          limitMs,
          () =>
            new HookTimeout({
              plugin: m.name,
              kind: m.kind,
              path: m.source,
              hook: 'load',
              timeoutMs: limitMs,
            }),
        );
        record.runtime = runtime;
        return handle;
      } catch (error) {
        failures.push({ runtime, error });
        const next = order[i + 1];
        if (next !== undefined) {
          this.#logger.warn(`plugin could not be loaded under ${runtime}; trying ${next}`, {
            plugin: m.name,
            kind: m.kind,
            runtime,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    const first = failures[0] as { runtime: Runtime; error: unknown };
    if (failures.length === 1) throw first.error;
    throw new PluginLoadError(
      `could not be loaded under any of its runtimes: ${failures
        .map(
          (f) => `${f.runtime} (${f.error instanceof Error ? f.error.message : String(f.error)})`,
        )
        .join('; ')}`,
      {
        plugin: m.name,
        kind: m.kind,
        path: m.source,
        cause: first.error,
        hint: `fix what stops the first runtime (${first.runtime}), or remove the runtimes this plugin cannot run under from its manifest`,
      },
    );
  }

  async #setup(record: PluginRecord, deferReady = false): Promise<boolean> {
    const m = record.manifest;
    const limitMs = this.#startLimitMs(record);
    try {
      const handle = record.handle as PluginHandle;
      await withTimeout(
        () => handle.setup(this.#context(record)),
        limitMs,
        () =>
          new HookTimeout({
            plugin: m.name,
            kind: m.kind,
            path: m.source,
            hook: 'setup',
            timeoutMs: limitMs,
          }),
      );
      if (deferReady && record.state === 'starting') {
        this.#pendingReady.add(record);
      } else {
        this.#becomeStarted(record);
      }
      return true;
    } catch (error) {
      return this.#fail(record, error, 'setup');
    }
  }

  /**
   * Tear down every started plugin in the exact reverse of the start order,
   * each within its `teardown_timeout_sec` (in-flight calls are waited for,
   * then cancelled). A timeout marks the plugin `leaked` and the next one
   * continues; `teardown()` returning false marks it `requires_restart`.
   * Throws {@link TeardownErrors} after all were tried if any failed.
   */
  async teardownAll(): Promise<void> {
    await this.#engine.settled();
    const errors: PluginFailure[] = [];
    const order = this.#startOrder;
    this.#startOrder = [];
    this.#batching = true;
    try {
      for (const group of [...order].reverse()) {
        const records = group
          .map((key) => this.#records.get(key))
          .filter(
            (r): r is PluginRecord =>
              r !== undefined && (r.state === 'ready' || r.state === 'degraded'),
          );
        // No new calls reach a group once its teardown begins.
        for (const record of records) this.#setState(record, 'stopping');
        this.#refreshDispatch();
        for (const record of [...records].reverse()) {
          const error = await this.#stop(record);
          if (error !== undefined) errors.push({ plugin: record.manifest.name, error });
        }
      }
    } finally {
      this.#batching = false;
      this.#refreshDispatch();
    }
    // Adapters release what is left: processes of plugins that became
    // unavailable or leaked, connections. Nothing the registry started survives.
    for (const adapter of this.#runtimes.values()) {
      try {
        await adapter.close?.();
      } catch (error) {
        errors.push({
          plugin: `runtime ${adapter.runtime}`,
          error: asRegistryError(error, undefined, `closing the ${adapter.runtime} runtime`),
        });
      }
    }
    if (errors.length > 0) throw new TeardownErrors({ errors });
  }

  /** A runtime's own report on a plugin (a crashed child, a restart). */
  /**
   * A plugin whose setup succeeded: `ready`, unless its runtime reported
   * otherwise while it was starting (a service not reachable yet).
   */
  #becomeStarted(record: PluginRecord): void {
    const reported = record.startReport;
    record.startReport = undefined;
    if (reported === undefined || reported.state === 'ready') {
      this.#setState(record, 'ready');
      this.#startHealth(record);
    } else if (reported.state === 'degraded') {
      this.#setState(record, 'degraded', reported.reason);
      this.#startHealth(record);
    } else {
      record.runtimeDown = true;
      this.#setState(record, 'unavailable', reported.reason);
    }
  }

  #runtimeReport(
    record: PluginRecord,
    state: RuntimeReportedState,
    reason: PluginRegistryError | undefined,
  ): void {
    // During the start the report is kept and applied when setup finishes.
    if (record.state === 'starting') {
      record.startReport = { state, reason };
      return;
    }
    // Reports apply to a started plugin, and to one the runtime itself made
    // unavailable (a service that went away may come back: ADR-0001 §Cold start).
    const started = record.state === 'ready' || record.state === 'degraded';
    const downByRuntime = record.state === 'unavailable' && record.runtimeDown === true;
    if (!started && !downByRuntime) return;
    if (state === record.state) return;
    if (state === 'unavailable') {
      this.#stopHealth(record);
      record.runtimeDown = true;
    } else if (downByRuntime) {
      record.runtimeDown = false;
      this.#startHealth(record);
    }
    this.#setState(record, state, reason);
    // The handle may serve other hooks after a reconnect: dispatch re-reads them.
    if (!this.#batching) this.#refreshDispatch();
  }

  async #stop(record: PluginRecord): Promise<PluginRegistryError | undefined> {
    const m = record.manifest;
    this.#stopHealth(record);
    if (record.state !== 'stopping') {
      this.#setState(record, 'stopping');
      if (this.#batching) this.#refreshDispatch();
    }
    const limitMs = m.teardown_timeout_sec * 1000;
    const deadline = Date.now() + limitMs;
    try {
      // Give in-flight operations the first half of the budget, then cancel them.
      if (record.inFlight.size > 0) {
        await withTimeout(
          () => record.inFlight.idle(),
          limitMs / 2,
          () => new HookTimeout({ plugin: m.name, hook: 'in-flight', timeoutMs: limitMs / 2 }),
        ).catch(() => {
          for (const op of record.inFlight.toArray()) {
            op.cancel(
              new HookCancelled({
                plugin: m.name,
                kind: m.kind,
                hook: op.hook,
                hint: `the plugin was torn down while this call was in flight (it did not finish within half of teardown_timeout_sec = ${m.teardown_timeout_sec} s); retry once the plugin is ready again`,
              }),
            );
          }
        });
      }
      const handle = record.handle as PluginHandle;
      const released = await withTimeout(
        () => handle.teardown(),
        Math.max(1, deadline - Date.now()),
        () =>
          new HookTimeout({ plugin: m.name, kind: m.kind, hook: 'teardown', timeoutMs: limitMs }),
      );
      this.#setState(record, released ? 'stopped' : 'requires_restart');
      return undefined;
    } catch (error) {
      const reason = asRegistryError(error, record, 'teardown');
      this.#setState(record, error instanceof HookTimeout ? 'leaked' : 'stopped', reason);
      this.#logger.error('plugin teardown failed', {
        plugin: m.name,
        kind: m.kind,
        error: reason.message,
      });
      return reason;
    } finally {
      record.configListeners.clear();
    }
  }

  /**
   * Tear a plugin down and set up a fresh instance (ADR-0001 §Reload): the
   * entry module is imported again under a new URL. Refused for `leaked`
   * plugins. Works for `unavailable` plugins too (after a fix).
   */
  async reload(name: string, kind?: string): Promise<void> {
    const record = this.#find(name, kind);
    if (record.state === 'leaked') {
      throw new PluginUnavailable({
        plugin: name,
        kind: record.manifest.kind,
        state: 'leaked',
        reason: 'its last teardown never finished; restart the process',
      });
    }
    if (record.state === 'ready' || record.state === 'degraded') {
      const error = await this.#stop(record);
      if (error !== undefined) throw error;
    }
    this.#removeFromOrder(record.key);
    record.handle = undefined;
    if (!this.#checkCompatibility(record)) throw record.error as PluginRegistryError;
    if (!this.#depsReady(record)) {
      const error = new MissingDependency({
        plugin: name,
        kind: record.manifest.kind,
        dependency: record.manifest.depends_on.map((d) => d.name).join(', '),
        reason: 'is not ready',
      });
      this.#setState(record, 'unavailable', error);
      throw error;
    }
    const ok = await this.#start(record);
    if (ok) this.#startOrder.push([record.key]);
    this.#refreshDispatch();
    if (!ok) throw record.error as PluginRegistryError;
  }

  #removeFromOrder(key: string): void {
    this.#startOrder = this.#startOrder
      .map((g) => g.filter((k) => k !== key))
      .filter((g) => g.length > 0);
  }

  // -------------------------------------------------------------------------
  // Context, config, health
  // -------------------------------------------------------------------------

  #pluginLogger(record: PluginRecord): Logger {
    return this.#contexts.logger(record);
  }

  #context(record: PluginRecord): PluginContext {
    return this.#contexts.create(record);
  }

  #reloadConfig(): void {
    for (const record of this.#records.values()) {
      if (record.state !== 'ready' && record.state !== 'degraded') continue;
      try {
        const next = resolvePluginConfig(record.manifest, this.#config);
        if (JSON.stringify(next) === JSON.stringify(record.config)) continue;
        record.config = next;
        for (const listener of record.configListeners) {
          try {
            listener(next);
          } catch (error) {
            this.#pluginLogger(record).error('onConfigChange listener failed', {
              error: error instanceof Error ? error.message : String(error),
            });
          }
        }
      } catch (error) {
        // Keep the last valid configuration; say why the new one was refused.
        this.#pluginLogger(record).error('new configuration refused', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** Re-read every plugin's configuration from the config source now. */
  refreshConfig(): void {
    this.#reloadConfig();
  }

  #startHealth(record: PluginRecord): void {
    this.#health.start(record);
  }

  #stopHealth(record: PluginRecord): void {
    this.#health.stop(record);
  }

  /**
   * Run one health check now (the poller calls this at the plugin's
   * interval). A failing or throwing check makes the plugin `degraded`;
   * repeated failures make it `unavailable`; a passing check makes it
   * `ready` again.
   */
  async checkHealth(name: string, kind?: string): Promise<HealthStatus | undefined> {
    const record = this.#find(name, kind);
    return this.#health.check(record);
  }

  // -------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------

  /** Ready and degraded plugins as dispatch candidates (the docs' `getLoadedPlugins()`). */
  getLoadedPlugins(): DispatchCandidate[] {
    return this.#ordered()
      .filter((r) => (r.state === 'ready' || r.state === 'degraded') && r.handle !== undefined)
      .map((r) => this.#candidate(r));
  }

  readonly #candidates = new WeakMap<PluginHandle, DispatchCandidate>();

  #candidate(record: PluginRecord): DispatchCandidate {
    const handle = record.handle as PluginHandle;
    let candidate = this.#candidates.get(handle);
    if (candidate === undefined) {
      candidate = {
        name: record.manifest.name,
        kind: record.manifest.kind,
        manifest: record.manifest,
        handle,
        inFlight: record.inFlight,
      };
      this.#candidates.set(handle, candidate);
    }
    return candidate;
  }

  #ordered(): PluginRecord[] {
    return [...this.#records.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Push the callable plugins and the middleware to the dispatch engine. */
  #refreshDispatch(preview?: readonly PluginRecord[]): void {
    const byKind = new Map<string, DispatchCandidate[]>();
    const middleware: Middleware[] = [];
    const live = (r: PluginRecord): boolean =>
      (r.state === 'ready' || r.state === 'degraded' || this.#pendingReady.has(r)) &&
      r.handle !== undefined;
    for (const record of this.#records.values()) {
      const include = live(record) || (preview?.includes(record) ?? false);
      if (!byKind.has(record.manifest.kind)) byKind.set(record.manifest.kind, []);
      if (!include) continue;
      if (record.manifest.chain_wrap !== undefined) {
        if (live(record)) middleware.push(this.#middleware(record));
        continue;
      }
      const candidate = live(record)
        ? this.#candidate(record)
        : {
            name: record.manifest.name,
            kind: record.manifest.kind,
            manifest: record.manifest,
            handle: PREVIEW_HANDLE,
          };
      byKind.get(record.manifest.kind)?.push(candidate);
    }
    for (const [kind, list] of byKind) this.#engine.setCandidates(kind, list);
    this.#engine.setMiddleware(middleware);
    this.#functions.invalidate();
  }

  #middleware(record: PluginRecord): Middleware {
    const handle = record.handle as PluginHandle;
    const wrap = record.manifest.chain_wrap as NonNullable<PluginManifest['chain_wrap']>;
    const instance = handle.instance as Record<string, unknown> | undefined;
    const direct = handle.runtime === 'in_process' && instance !== undefined;
    const method = (name: 'before' | 'after') => {
      if (direct) {
        const fn = instance[name];
        return typeof fn === 'function'
          ? (call: Parameters<NonNullable<Middleware['before']>>[0], value: unknown) =>
              fn.call(instance, call, value)
          : undefined;
      }
      return handle.hooks.has(name)
        ? (call: Parameters<NonNullable<Middleware['before']>>[0], value: unknown) =>
            handle.invoke(name, { kind: call.kind, name: call.name, hook: call.hook, value }, call)
        : undefined;
    };
    const before = method('before');
    const after = method('after');
    return {
      name: record.manifest.name,
      priority: record.manifest.priority,
      kinds: wrap.kinds,
      hooks: wrap.hooks,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    };
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
    if (name !== undefined) this.#find(name, kind);
    else if (![...this.#records.values()].some((r) => r.manifest.kind === kind)) {
      throw new KindUnknown(`no plugin of kind "${kind}" is registered`, { kind });
    }
    const registry = this;
    return new Proxy(
      {},
      {
        get(_target, hook) {
          if (typeof hook !== 'string' || hook === 'then') return undefined;
          return (input?: unknown, options: DispatchOptions = {}) => {
            if (name !== undefined) {
              const record = registry.#records.get(keyOf(kind, name)) as PluginRecord;
              if (record.state !== 'ready' && record.state !== 'degraded') {
                return Promise.reject(
                  new PluginUnavailable({
                    plugin: name,
                    kind,
                    state: record.state,
                    ...(record.error === undefined ? {} : { reason: record.error.message }),
                  }),
                );
              }
              return registry.call(kind, hook, input, { ...options, target: name });
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

  /** Every registered manifest, sorted by kind then name. */
  listManifests(): PluginManifest[] {
    return this.#ordered().map((r) => r.manifest);
  }

  /** The `/api/plugins` view: one row per plugin, sorted by kind then name. */
  status(): PluginStatus[] {
    return this.#ordered().map((r) => ({
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
    }));
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

  #setState(record: PluginRecord, to: PluginState, error?: PluginRegistryError): void {
    this.#states.set(record, to, error);
  }

  /** Stop health polling and config subscriptions. Does not tear plugins down. */
  close(): void {
    for (const record of this.#records.values()) this.#stopHealth(record);
    this.#unsubscribeConfig?.();
    this.#unsubscribeConfig = undefined;
  }
}

/** Stand-in handle for start-time checks before plugins are loaded. */
const PREVIEW_HANDLE: Pick<PluginHandle, 'invoke' | 'hooks'> = {
  hooks: new Set(),
  invoke: () => Promise.reject(new PluginRegistryError('not started')),
};

function isCanonical(value: unknown): value is PluginManifest {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { source?: unknown }).source === 'string'
  );
}

function major(version: string): string {
  return version.split('.')[0] as string;
}

function dirnameOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}
