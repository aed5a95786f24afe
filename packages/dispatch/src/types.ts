import type {
  BroadcastErrors,
  CallMetadata,
  DispatchClass,
  HookCall,
  Logger,
  PluginHandle,
  PluginManifest,
} from '@dagstack/plugin-api';
import type { InFlightCalls } from './in-flight.js';

/**
 * One loaded plugin as dispatch sees it. The registry builds these from its
 * ready plugins; tests and hosts without a registry may build them by hand.
 *
 * Only `manifest.priority`, `tryfirst`, `trylast`, `fallback`, `supports_*`,
 * `capabilities` and `chain_wrap` are read. A candidate whose manifest has
 * `chain_wrap` is middleware, never a business candidate, and is skipped.
 * @since 0.1.0
 */
export interface DispatchCandidate {
  /** The plugin's manifest `name`. */
  readonly name: string;
  /** The plugin's manifest `kind`. */
  readonly kind: string;
  /** The canonical manifest. */
  readonly manifest: PluginManifest;
  /**
   * What dispatch calls: `invoke(hook, input, call)`. A candidate is called
   * for a hook only when `hooks` contains it.
   */
  readonly handle: Pick<PluginHandle, 'invoke' | 'hooks'>;
  /**
   * Where the plugin's in-flight calls are listed (ADR-0001 `in_flight`):
   * when set, the engine lists every call of this candidate there while it
   * runs, and `cancel()` on a listed call settles its caller at once. The
   * registry sets it; a bare engine may leave it out.
   * @since 0.2.0
   */
  readonly inFlight?: InFlightCalls;
  /**
   * The plugin's own object, for a plugin running in this process (the
   * `in_process` runtime): what `registry.getLoadedPlugins()` callers use to
   * reach a method directly (`loaded?.instance`). `undefined` for a plugin
   * that runs in another process or service (`mcp_stdio`, `mcp_http`, or an
   * in-process plugin isolated in a worker thread or child process): there is
   * no object here to hand out, only its `handle`. Dispatch never reads it.
   * @since 0.2.0
   */
  readonly instance?: object;
}

/**
 * Horizontal middleware (ADR-0005 §2), wrapped around every matching
 * dispatch of every class. The registry adapts plugins with `chain_wrap`
 * (priority >= 1000) into this shape.
 *
 * - `before` runs in priority order (highest first, ties by name). It returns
 *   the arguments the plugins will get (`undefined` keeps them unchanged) or
 *   throws to abort the call; the error reaches the caller as it was thrown.
 * - `after` runs in the reverse order with the dispatch's result. It returns
 *   the result the caller gets (`undefined` keeps it unchanged). Its errors
 *   also reach the caller as thrown.
 *
 * For `singleton` and `capability` the `call.name` both see is the selected
 * plugin. For `chain`, `broadcast_collect` and `broadcast_notify` the whole
 * dispatch is wrapped once and `call.name` is `"*"`.
 * @since 0.1.0
 */
export interface Middleware {
  /** The middleware plugin's name. */
  readonly name: string;
  /** >= 1000 (`MIDDLEWARE_PRIORITY_FLOOR`); higher wraps further out. */
  readonly priority: number;
  /** Kinds wrapped; `"*"` means every kind. */
  readonly kinds: readonly string[];
  /** Hooks wrapped; `"*"` means every hook. */
  readonly hooks: readonly string[];
  /** Called before the plugins; returns new args, or `undefined` for unchanged. */
  before?(call: HookCall, args: unknown): unknown;
  /** Called after the plugins; returns a new result, or `undefined` for unchanged. */
  after?(call: HookCall, result: unknown): unknown;
  /**
   * The candidates this middleware allows for the call (ADR-0005 §4), like
   * the engine's `governanceFilter` and after it: the filters of the
   * matching middleware run in priority order (highest first), each given
   * what the host's filter and the previous ones allowed. Anything not in
   * `candidates` is ignored. Runs before a plugin is selected, so `call`
   * carries the metadata only. A hook with such middleware takes the
   * general path.
   * @since 0.2.0
   */
  filter?(
    kind: string,
    hook: string,
    candidates: readonly DispatchCandidate[],
    call: PolicyCall,
  ): readonly DispatchCandidate[];
}

/**
 * What a `capability` request asks for. Fields given together must all match
 * (intersection). Extensions are compared lower-cased with a leading dot,
 * languages and MIME types lower-cased (MIME parameters dropped, `type/*`
 * declarations match any subtype); capability tags exactly.
 * @since 0.1.0
 */
export interface CapabilitySelector {
  /** `.py`, `py` or `PY` all mean `.py`. */
  readonly extension?: string;
  /** A language the plugin's manifest `supports_languages` must list (case-insensitive). */
  readonly language?: string;
  /** A MIME type the plugin's manifest `supports_mime_types` must list, or match with `type/*`. */
  readonly mimeType?: string;
  /** Tags the plugin's manifest `capabilities` must all contain. */
  readonly capabilities?: readonly string[];
}

/**
 * The routing fields a `capability` call's input may carry, as
 * {@link selectorFromInput} reads them (when the call gives no `selector`
 * option and the engine no `selectCapability`): `extension`, `language`,
 * `mimeType` (or `mime_type`), and `capabilities`, the tags the plugin must
 * declare, as a list or as `{ required: [...] }` (the docs' form). Fields of
 * another type are ignored. {@link CapabilityDispatcher.dispatch} accepts
 * these beside the hook's own input type ({@link CapabilityInput}); the
 * plugin receives the input as it was given, routing fields included.
 *
 * ```ts
 * const chunker = new CapabilityDispatcher<ChunkPayload, ChunkResult>('chunker');
 * await chunker.dispatch(plugins, 'chunk', {
 *   language: 'python',
 *   content: 'def hello(): ...',
 *   capabilities: { required: ['lang:python'] },
 * });
 * ```
 * @since 0.2.0
 */
export interface CapabilityRequest {
  /** A file extension the plugin's `supports_extensions` must list (`.py`, `py`, `PY`). */
  readonly extension?: string;
  /** A language the plugin's `supports_languages` must list (case-insensitive). */
  readonly language?: string;
  /** A MIME type the plugin's `supports_mime_types` must list, or match with `type/*`. */
  readonly mimeType?: string;
  /** Same as `mimeType` (read when `mimeType` is absent). */
  readonly mime_type?: string;
  /**
   * Capability tags the plugin's manifest `capabilities` must all contain:
   * a list, or `{ required: [...] }`. An empty list asks for no tag.
   */
  readonly capabilities?:
    | readonly string[]
    | {
        /** The tags that must all be declared. */
        readonly required?: readonly string[];
      };
}

/**
 * The input type of {@link CapabilityDispatcher.dispatch} for a hook input
 * type `TInput`: an object type gains the routing fields of
 * {@link CapabilityRequest} (so `capabilities: { required: [...] }` is not an
 * excess property); `unknown` and non-object types stay as they are (route
 * those with the `selector` option).
 * @since 0.2.0
 */
export type CapabilityInput<TInput> = TInput extends object ? TInput & CapabilityRequest : TInput;

/**
 * Per-call options of a dispatch.
 * @since 0.1.0
 */
export interface DispatchOptions {
  /**
   * ADR-0005 metadata for the call. Checked to be plain JSON (else
   * `SerializationError` with a pointer) and deep-frozen; the caller's object
   * is copied, not frozen in place. Plugins see it as `call.metadata`.
   */
  readonly metadata?: CallMetadata;
  /**
   * Limit for the whole dispatch in milliseconds. When it passes the call
   * rejects with `HookTimeout` and `call.signal` aborts; a plugin that
   * ignores the signal has its late result discarded.
   */
  readonly timeoutMs?: number;
  /** External cancellation: aborting it rejects the call with `HookCancelled`. */
  readonly signal?: AbortSignal;
  /** For `capability` hooks: what to route on (else the engine's `selectCapability`). */
  readonly selector?: CapabilitySelector;
  /**
   * Call this plugin by name, bypassing selection (`registry.getPlugin(kind,
   * name)`). For `singleton` and `capability` only that plugin is called; for
   * the other classes the candidate list is narrowed to it. A name that is not
   * a candidate rejects with `PluginUnavailable`.
   */
  readonly target?: string;
}

/**
 * Extra context host callbacks receive.
 * @since 0.1.0
 */
export interface PolicyCall {
  /** The frozen metadata of the call. */
  readonly metadata: CallMetadata;
}

/**
 * Options of a {@link DispatchEngine}.
 * @since 0.1.0
 */
export interface DispatchEngineOptions {
  /** Where notification failures and chain stops are logged. Default: drops everything. */
  readonly logger?: Logger;
  /**
   * Environment read for `DAGSTACK_ACTIVE_<KIND>` (default `process.env`). Read
   * when a hook's plan is built, i.e. after `registerKind` / `setCandidates`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Host routing policy for `singleton` hooks (ADR-0002 §1 step 1): the plugin
   * name to use, or `undefined` to fall through to `DAGSTACK_ACTIVE_<KIND>`
   * and priority. `candidates` are already narrowed by the governance filter.
   * When set, equal top priorities are not reported by `verify()`: the
   * policy is the override.
   */
  readonly routingPolicy?: (
    kind: string,
    hook: string,
    candidates: readonly DispatchCandidate[],
    call: PolicyCall,
  ) => string | undefined;
  /**
   * Host governance filter (ADR-0005 §4): the candidates allowed for this
   * call. Anything not in `candidates` is ignored; order is always the
   * dispatch order.
   */
  readonly governanceFilter?: (
    kind: string,
    hook: string,
    candidates: readonly DispatchCandidate[],
    call: PolicyCall,
  ) => readonly DispatchCandidate[];
  /**
   * Extracts the capability selector of a `capability` call from its input.
   * Default: {@link selectorFromInput} (reads `extension`, `language`,
   * `mimeType`/`mime_type` and `capabilities` of an object input).
   */
  readonly selectCapability?: (
    kind: string,
    hook: string,
    input: unknown,
  ) => CapabilitySelector | undefined;
  /**
   * Validate inputs and outputs against the hookspec's JSON Schemas
   * (`HookValidationError` pointing at the field). Schemas are compiled once,
   * when the kind is registered. @default false
   */
  readonly validate?: boolean;
  /**
   * Check that every `chain` stage's output survives a JSON round trip
   * (`SerializationError` naming the stage's plugin and the path). @default false
   */
  readonly checkJsonBoundaries?: boolean;
  /**
   * Called when a plugin fails inside a `broadcast_collect` (both policies);
   * the registry marks the plugin `degraded`. Never called for timeouts.
   */
  readonly onPluginFailure?: (candidate: DispatchCandidate, error: unknown, hook: string) => void;
  /** Timeout applied when a call gives none. Default: none. */
  readonly defaultTimeoutMs?: number;
}

/**
 * One plugin's value in a `broadcast_collect` result.
 * @since 0.1.0
 */
export interface CollectEntry<TValue = unknown> {
  /** Name of the plugin that returned the value. */
  readonly plugin: string;
  /** The value the plugin returned. */
  readonly value: TValue;
}

/**
 * What a `best_effort` `broadcast_collect` returns: the values of the plugins
 * that succeeded (in dispatch order) and, when some failed, their errors.
 * @since 0.1.0
 */
export interface BestEffortResult<TValue = unknown> {
  /** The values of the plugins that succeeded, in dispatch order. */
  readonly results: readonly CollectEntry<TValue>[];
  /** The failures of the other plugins; `undefined` when none failed. */
  readonly errors: BroadcastErrors | undefined;
}

/**
 * The result type of a dispatch class: `singleton`, `capability` and `chain`
 * give the value; `broadcast_notify` gives `undefined`; `broadcast_collect`
 * gives the entries (`fail_fast`) or a {@link BestEffortResult}.
 * @since 0.1.0
 */
export type DispatchResult<C extends DispatchClass, TValue> = C extends 'broadcast_notify'
  ? undefined
  : C extends 'broadcast_collect'
    ? readonly CollectEntry<TValue>[] | BestEffortResult<TValue>
    : TValue;
