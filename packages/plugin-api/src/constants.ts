/**
 * Closed sets of the spec (runtimes, dispatch classes, execution models,
 * plugin states) as `as const` objects with derived union types.
 *
 * Values are the spec's wire strings; they are the same in every binding, so a
 * manifest or hookspec written for the Python or Go binding reads unchanged.
 */

/**
 * The three runtime adapters of ADR-0001 §Adapters.
 * @since 0.1.0
 */
export const RUNTIMES = {
  /** In the host's process, loaded from the manifest's `entry_point`. */
  inProcess: 'in_process',
  /** A child process speaking MCP on stdin/stdout. */
  mcpStdio: 'mcp_stdio',
  /** A separate service reached over MCP Streamable HTTP. */
  mcpHttp: 'mcp_http',
} as const;

/** One of {@link RUNTIMES}. @since 0.1.0 */
export type Runtime = (typeof RUNTIMES)[keyof typeof RUNTIMES];

/** @since 0.1.0 */
export const RUNTIME_IN_PROCESS: 'in_process' = RUNTIMES.inProcess;
/** @since 0.1.0 */
export const RUNTIME_MCP_STDIO: 'mcp_stdio' = RUNTIMES.mcpStdio;
/** @since 0.1.0 */
export const RUNTIME_MCP_HTTP: 'mcp_http' = RUNTIMES.mcpHttp;

/**
 * Runtimes in start-up order (ADR-0002 §Startup order): fast and local first,
 * networked last.
 * @since 0.1.0
 */
export const RUNTIME_START_ORDER: readonly Runtime[] = Object.freeze([
  RUNTIME_IN_PROCESS,
  RUNTIME_MCP_STDIO,
  RUNTIME_MCP_HTTP,
]);

/**
 * The closed enum of hook dispatch classes (`_meta/dispatch_classes.yaml`).
 * @since 0.1.0
 */
export const DISPATCH_CLASSES = {
  /** One selected plugin is called; its result is the result. */
  singleton: 'singleton',
  /** Every plugin is called; their results are collected in dispatch order. */
  broadcastCollect: 'broadcast_collect',
  /** Every plugin is called, fire and forget; nothing is returned. */
  broadcastNotify: 'broadcast_notify',
  /** Every plugin is called in turn, each getting the previous one's output. */
  chain: 'chain',
  /** The plugin whose declared support matches the request is called. */
  capability: 'capability',
} as const;

/** One of {@link DISPATCH_CLASSES}. @since 0.1.0 */
export type DispatchClass = (typeof DISPATCH_CLASSES)[keyof typeof DISPATCH_CLASSES];

/** @since 0.1.0 */
export const DISPATCH_SINGLETON: 'singleton' = DISPATCH_CLASSES.singleton;
/** @since 0.1.0 */
export const DISPATCH_BROADCAST_COLLECT: 'broadcast_collect' = DISPATCH_CLASSES.broadcastCollect;
/** @since 0.1.0 */
export const DISPATCH_BROADCAST_NOTIFY: 'broadcast_notify' = DISPATCH_CLASSES.broadcastNotify;
/** @since 0.1.0 */
export const DISPATCH_CHAIN: 'chain' = DISPATCH_CLASSES.chain;
/** @since 0.1.0 */
export const DISPATCH_CAPABILITY: 'capability' = DISPATCH_CLASSES.capability;

/**
 * How a plugin's hooks execute (ADR-0003): not the dispatch class.
 * @since 0.1.0
 */
export const EXECUTION_MODELS = {
  /** Synchronous hooks, run in the host's thread. The default. */
  sync: 'sync',
  /** Asynchronous hooks (returning promises), run in the host's thread. */
  async: 'async',
  /** CPU-heavy hooks: an in-process plugin runs in a worker thread. */
  threadCpuBound: 'thread_cpu_bound',
  /** CPU-heavy hooks: an in-process plugin runs in a child process. */
  processCpuBound: 'process_cpu_bound',
} as const;

/** One of {@link EXECUTION_MODELS}. @since 0.1.0 */
export type ExecutionModel = (typeof EXECUTION_MODELS)[keyof typeof EXECUTION_MODELS];

/**
 * Idempotency modes of a unit of work (ADR-0003 §5).
 * @since 0.1.0
 */
export const IDEMPOTENCY_MODES = {
  /** Repeated units are not recognised. The default. */
  none: 'none',
  /** A unit whose input hash matches an earlier unit is a repeat of it. */
  inputHash: 'input_hash',
  /** The unit's output is hashed; the same input must give the same output. */
  outputHash: 'output_hash',
} as const;

/** One of {@link IDEMPOTENCY_MODES}. @since 0.1.0 */
export type IdempotencyMode = (typeof IDEMPOTENCY_MODES)[keyof typeof IDEMPOTENCY_MODES];

/**
 * States a registered plugin moves through (ADR-0001 §Lifecycle, ADR-0002
 * §Lifecycle ordering). `untrusted` is a flag beside the state, not a state.
 * @since 0.1.0
 */
export const PLUGIN_STATES = {
  /** Manifest accepted and compatible with the host; not started. */
  registered: 'registered',
  /** Being loaded and set up. */
  starting: 'starting',
  /** Set up and serving calls. */
  ready: 'ready',
  /** Serving calls, but something is wrong (a failing health check, a failed call, ...). */
  degraded: 'degraded',
  /** Cannot serve calls (failed start, missing dependency, repeated health failures, ...). */
  unavailable: 'unavailable',
  /** Being torn down; new calls no longer reach it. */
  stopping: 'stopping',
  /** Torn down cleanly; may be started again. */
  stopped: 'stopped',
  /** `teardown()` returned `false`: something could not be released; restart the process. */
  requiresRestart: 'requires_restart',
  /** `teardown()` did not finish within `teardown_timeout_sec`. */
  leaked: 'leaked',
} as const;

/** One of {@link PLUGIN_STATES}. @since 0.1.0 */
export type PluginState = (typeof PLUGIN_STATES)[keyof typeof PLUGIN_STATES];

/**
 * Health verdicts a plugin's `health()` may return.
 * @since 0.1.0
 */
export const HEALTH = {
  /** Healthy. */
  ok: 'ok',
  /** Working, but impaired; the plugin is marked `degraded`. */
  degraded: 'degraded',
  /** Not working; repeated `failing` checks make the plugin `unavailable`. */
  failing: 'failing',
} as const;

/** One of {@link HEALTH}. @since 0.1.0 */
export type HealthState = (typeof HEALTH)[keyof typeof HEALTH];

/**
 * The manifest schema version this binding reads (`schema_version`).
 * `"1"`, `"1.0"` and `"1.0.0"` are all accepted and normalised to this value.
 * @since 0.1.0
 */
export const MANIFEST_SCHEMA_VERSION = '1' as const;

/**
 * Priority at and above which a plugin counts as horizontal middleware
 * (ADR-0005 §2). Business plugins must stay below it.
 * @since 0.1.0
 */
export const MIDDLEWARE_PRIORITY_FLOOR = 1000 as const;

/**
 * Sentinel a `chain` hook returns to stop the chain. The chain's result is the
 * input the stopping plugin received; to stop with a different value return
 * `{ [STOP_CHAIN]: value }` (see {@link stopChain}).
 *
 * Created with `Symbol.for`, so two copies of this package agree on it.
 * @since 0.1.0
 */
export const STOP_CHAIN: unique symbol = Symbol.for('dagstack.plugin-system.stop-chain');

/** Type of {@link STOP_CHAIN}. @since 0.1.0 */
export type StopChain = typeof STOP_CHAIN;

/** A chain stop that carries the chain's final value. @since 0.1.0 */
export interface StopChainWith<TValue> {
  /** The value the chain ends with. */
  readonly [STOP_CHAIN]: TValue;
}

/**
 * Build a chain stop that ends the chain with `value`.
 * @since 0.1.0
 */
export function stopChain<TValue>(value: TValue): StopChainWith<TValue> {
  return { [STOP_CHAIN]: value };
}

/**
 * Whether `value` is {@link STOP_CHAIN} or a {@link stopChain} wrapper.
 * @since 0.1.0
 */
export function isStopChain(value: unknown): value is StopChain | StopChainWith<unknown> {
  return (
    value === STOP_CHAIN ||
    (typeof value === 'object' && value !== null && Object.hasOwn(value, STOP_CHAIN))
  );
}
