import type { HealthState, PluginState, Runtime } from './constants.js';
import type { PluginRegistryError } from './errors.js';
import type { CallMetadata, HookCall, KindSpec } from './hooks.js';
import type { JsonObject, PluginManifest } from './manifest.js';
import type {
  CheckpointStore,
  EventBus,
  Logger,
  Metrics,
  ProgressSink,
  ResourceContainer,
  TenantContext,
  Tracer,
} from './resources.js';

/**
 * What `health()` reports.
 * @since 0.1.0
 */
export interface HealthStatus {
  /** The verdict: `ok`, `degraded` or `failing`. */
  readonly status: HealthState;
  /** Human-readable explanation, when there is one. */
  readonly message?: string;
  /** Structured details, when there are any. */
  readonly details?: JsonObject;
}

/** A value or a promise of it: hooks and lifecycle methods may be sync or async. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * One in-flight operation of a plugin, as `ctx.inFlight()` lists them.
 * @since 0.1.0
 */
export interface InFlightOperation {
  /** Name of the hook being called. */
  readonly hook: string;
  /**
   * When the call started, in milliseconds since the Unix epoch. The
   * registry's calls take it from a coarse clock (read at most once per 16
   * calls and again after a millisecond of event loop), so it may be late by
   * about a millisecond.
   */
  readonly startedAt: number;
  /** The call's metadata. */
  readonly metadata: CallMetadata;
  /** Abort the operation. */
  cancel(reason?: unknown): void;
}

/**
 * A read-only view of one registered plugin, as other plugins see it.
 * @since 0.1.0
 */
export interface PluginInfo {
  /** The plugin name. */
  readonly name: string;
  /** The plugin kind. */
  readonly kind: string;
  /** The lifecycle state the plugin is in. */
  readonly state: PluginState;
  /** The plugin's validated manifest. */
  readonly manifest: PluginManifest;
}

/**
 * The narrow registry view a plugin gets in `setup` for cross-plugin lookup.
 * @since 0.1.0
 */
export interface RegistryView {
  /** Plugins of a kind, in dispatch order. */
  list(kind: string): readonly PluginInfo[];
  /** One plugin, or `undefined`. */
  get(kind: string, name: string): PluginInfo | undefined;
  /** Every plugin named `name`, whatever its kind (sorted by kind). @since 0.2.0 */
  find(name: string): readonly PluginInfo[];
  /** Call a hook through the registry (dispatch class from the kind's hookspec). */
  call(kind: string, hook: string, input: unknown, options?: RegistryCallOptions): Promise<unknown>;
}

/**
 * Options of {@link RegistryView.call}: a subset of the host's dispatch options.
 * @since 0.1.0
 */
export interface RegistryCallOptions {
  /** Metadata of the call, as the called plugins see it in `call.metadata`. */
  readonly metadata?: CallMetadata;
  /** Call this plugin of the kind by name, bypassing selection. @since 0.2.0 */
  readonly target?: string;
  /** Limit for the call in milliseconds (`HookTimeout`). @since 0.2.0 */
  readonly timeoutMs?: number;
  /** Cancellation (`HookCancelled`). @since 0.2.0 */
  readonly signal?: AbortSignal;
}

/**
 * What a plugin receives in `setup(ctx)` (ADR-0001 §PluginContext, ADR-0003,
 * ADR-0005). Field semantics are the spec's; names are camelCase.
 * @since 0.1.0
 */
export interface PluginContext<TConfig = Readonly<Record<string, unknown>>> {
  /** Validated configuration (`<kind>.<name>` of the host config). */
  readonly config: TConfig;
  /** Pre-bound with `plugin.name`, `plugin.kind`, `plugin.version`. */
  readonly logger: Logger;
  /** A narrow view of the registry, to find and call other plugins. */
  readonly registry: RegistryView;
  /** Metadata of the start-up (ADR-0005 §1). Empty by default. */
  readonly metadata: CallMetadata;
  /** The resources the host provides for the names the manifest declares. */
  readonly resources: ResourceContainer;
  /** The `progress` resource, when declared and provided. */
  readonly progress: ProgressSink | undefined;
  /** The `checkpoint` resource, when declared and provided. */
  readonly checkpoint: CheckpointStore | undefined;
  /** The `event_bus` resource, when declared and provided. */
  readonly eventBus: EventBus | undefined;
  /** The `tenant` resource when declared and provided, else a context that allows everything. */
  readonly tenant: TenantContext;
  /** The `metrics` resource, when declared and provided. */
  readonly metrics: Metrics | undefined;
  /** The `tracer` resource, when declared and provided. */
  readonly tracer: Tracer | undefined;
  /** The plugin's operations in flight right now (for teardown and reload). */
  inFlight(): readonly InFlightOperation[];
  /** Subscribe to changes of `config`; returns an unsubscribe function. */
  onConfigChange(listener: (config: TConfig) => void): () => void;
}

/**
 * What an in-process plugin object may implement. Every member is optional;
 * hook methods are looked up by hook name and called with `(input, call)`.
 * @since 0.1.0
 */
export interface Plugin {
  /** Start the plugin with its context; a throw or rejection fails the start. */
  setup?(ctx: PluginContext): MaybePromise<void>;
  /** `false` means resources were not all released: the plugin needs a process restart. */
  // biome-ignore lint/suspicious/noConfusingVoidType: lets `teardown(): void` and `async teardown()` implement it.
  teardown?(): MaybePromise<boolean | undefined | void>;
  /** Report the plugin's health; without it the plugin counts as `ok`. */
  health?(): MaybePromise<HealthStatus>;
}

/**
 * A hook implementation: input and call context in, output (or a promise of
 * it) out.
 * @since 0.1.0
 */
export type HookImplementation<TInput = unknown, TOutput = unknown> = (
  input: TInput,
  call: HookCall,
) => MaybePromise<TOutput>;

/**
 * A loaded plugin, as a runtime adapter hands it to the registry. The registry
 * and dispatch call nothing else; a caller cannot tell which runtime is behind
 * a handle.
 * @since 0.1.0
 */
export interface PluginHandle {
  /** The manifest the plugin was loaded from. */
  readonly manifest: PluginManifest;
  /** The runtime this handle was loaded with. */
  readonly runtime: Runtime;
  /** Names of the hooks the plugin implements. */
  readonly hooks: ReadonlySet<string>;
  /** Set the plugin up with `ctx`. */
  setup(ctx: PluginContext): Promise<void>;
  /** Resolves `false` when the plugin could not release everything. */
  teardown(): Promise<boolean>;
  /** The plugin's current health. */
  health(): Promise<HealthStatus>;
  /** Call `hook` with `input` and the call context; resolves with the hook's output. */
  invoke(hook: string, input: unknown, call: HookCall): Promise<unknown>;
  /** Escape hatch: the in-process object, the MCP client, ... */
  readonly instance?: unknown;
  /**
   * End the plugin's own thread or process now, without asking the plugin:
   * the registry calls it when loading, setup or teardown failed or timed
   * out (a plugin that spins or hangs), so that nothing it started keeps
   * running. Idempotent; calls in flight reject with `PluginUnavailable`.
   * Handles of plugins that run in the host's own thread have none.
   * @since 0.2.0
   */
  terminate?(): Promise<void>;
}

/**
 * Options a runtime adapter gets with each load.
 * @since 0.1.0
 */
export interface RuntimeLoadOptions {
  /** Folder of the plugin (manifest's directory), when it came from disk. */
  readonly dir?: string;
  /** Logger for the runtime to write through, bound to the plugin. */
  readonly logger: Logger;
  /** Aborts the load when triggered. */
  readonly signal?: AbortSignal;
  /**
   * The hookspec of the plugin's kind, when the host registered one. MCP
   * runtimes read tool-name templates, `mcp_exposed` and schemas from it.
   * @since 0.2.0
   */
  readonly kindSpec?: KindSpec;
  /**
   * Report a change of the plugin's health seen by the runtime itself (a
   * crashed child, a restart, a lost connection). The registry applies it to
   * a plugin that is `ready` or `degraded`; reports before setup finished or
   * after teardown began are ignored.
   * @since 0.2.0
   */
  readonly onStateChange?: (state: RuntimeReportedState, reason?: PluginRegistryError) => void;
  /**
   * Report that the plugin's catalogue changed (an MCP server announced
   * `notifications/tools/list_changed`): the registry reads it again before
   * routing the next function-routed call (the `tool` kind's `execute`).
   * @since 0.2.0
   */
  readonly onCatalogueChange?: () => void;
}

/**
 * States a runtime may report through {@link RuntimeLoadOptions.onStateChange}.
 * @since 0.2.0
 */
export type RuntimeReportedState = 'ready' | 'degraded' | 'unavailable';

/**
 * Loads plugins of one runtime. The registry is constructed with the adapters
 * it may use; a deployment swaps them.
 * @since 0.1.0
 */
export interface RuntimeAdapter {
  /** The runtime this adapter loads plugins of. */
  readonly runtime: Runtime;
  /**
   * Refuse a plugin at registration, before anything is started: return the
   * reason, or `undefined` when the adapter can load it. `kindSpec` is the
   * kind's hookspec when registered (the check runs again when it is).
   * @since 0.2.0
   */
  check?(manifest: PluginManifest, kindSpec: KindSpec | undefined): PluginRegistryError | undefined;
  /** Load the plugin `manifest` describes and return its handle (not yet set up). */
  load(manifest: PluginManifest, options: RuntimeLoadOptions): Promise<PluginHandle>;
  /** Release everything the adapter holds (processes, connections). */
  close?(): Promise<void>;
}
