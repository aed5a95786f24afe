import type { CallAbortListener } from './call-abort-listener.js';
import type { DispatchClass } from './constants.js';
import type { JsonObject, JsonValue } from './manifest.js';

/**
 * The open metadata slot of a call (ADR-0005 §1). The core does not interpret
 * the keys; middleware reads and writes them. Values are JSON so they cross
 * every runtime unchanged. Frozen once the call starts.
 * @since 0.1.0
 */
export interface CallMetadata {
  /** Conventional key: the tenant the call is made for. */
  readonly tenant_id?: string;
  /** Conventional key: who or what made the call (any JSON). */
  readonly actor?: JsonValue;
  /** Conventional key: the call's quota budget (any JSON; its meaning is up to the host). */
  readonly quota_budget?: JsonValue;
  /** W3C Trace Context. */
  readonly trace_context?: {
    /** The W3C `traceparent` header value. */
    readonly traceparent: string;
    /** The W3C `tracestate` header value, when there is one. */
    readonly tracestate?: string;
  };
  /** Conventional key: an identifier of the request the call belongs to. */
  readonly request_id?: string;
  readonly [key: string]: JsonValue | undefined;
}

/**
 * The per-invocation context every hook receives beside its input.
 * @since 0.1.0
 */
export interface HookCall {
  /** Kind of the plugin being called. */
  readonly kind: string;
  /** The plugin being called. */
  readonly name: string;
  /** Name of the hook being called. */
  readonly hook: string;
  /** The call's metadata (frozen). */
  readonly metadata: CallMetadata;
  /**
   * Aborted on timeout or when the caller cancels. It may be created lazily
   * (a getter): code that copies a `HookCall` must copy it explicitly
   * (`{ ...call, signal: call.signal }`), since spreading a getter reads it.
   */
  readonly signal: AbortSignal;
  /**
   * Watch for the abort without reading {@link signal} (optional).
   *
   * `signal` is usually created lazily, and in Node 20 an `AbortSignal` with
   * a listener costs more CPU than a whole MCP request; a runtime that
   * forwards calls to another process must still learn of an abort at once
   * (to send `notifications/cancelled`), while most calls can never abort.
   *
   * `on: true` starts watching and returns `false` when the call can never
   * abort (the listener is not kept) or `true` when it is kept; a call that
   * has already aborted tells the listener before returning. `on: false`
   * stops watching. The calls made by the dispatch engine and the registry
   * have it; where it is missing, watch `signal`.
   * @since 0.2.0
   */
  watchAbort?(listener: CallAbortListener, on: boolean): boolean;
}

/**
 * What a `broadcast_collect` hook does when one plugin fails.
 * @since 0.1.0
 */
export type ErrorPolicy = 'fail_fast' | 'best_effort';

/**
 * The error policies of `broadcast_collect` hooks, and the default.
 * @since 0.1.0
 */
export const ERROR_POLICIES: readonly ErrorPolicy[] = Object.freeze(['fail_fast', 'best_effort']);

/** @since 0.1.0 */
export const DEFAULT_ERROR_POLICY: ErrorPolicy = 'fail_fast';

/**
 * Runtime form of one hook of a kind (ADR-0004).
 * @since 0.1.0
 */
export interface HookSpec {
  /** snake_case hook name. */
  readonly name: string;
  /** How a call is dispatched across the kind's plugins. */
  readonly dispatch: DispatchClass;
  /** Human-readable description of the hook. */
  readonly description?: string;
  /** JSON Schema 2020-12 of the input, with `$ref`s resolved or bundled. */
  readonly input_schema?: JsonObject;
  /** JSON Schema 2020-12 of the output. Absent means the hook returns nothing (`broadcast_notify`). */
  readonly output_schema?: JsonObject;
  /** Whether the hook may be served over MCP. @default true */
  readonly mcp_exposed: boolean;
  /** MCP tool name template. @default "{kind}.{plugin}.{hook}" */
  readonly mcp_tool_name_template?: string;
  /** For `broadcast_collect`. @default "fail_fast" */
  readonly error_policy?: ErrorPolicy;
}

/**
 * Runtime form of a kind's hookspec, registered with the registry.
 * Produced by `@dagstack/hookspec-codegen` or written by hand.
 * @since 0.1.0
 */
export interface KindSpec {
  /** Name of the kind. */
  readonly kind: string;
  /** SemVer of the kind API (`"1.0.0"`). */
  readonly kind_api_version: string;
  /** Human-readable description of the kind. */
  readonly description?: string;
  /** The hooks of the kind. */
  readonly hooks: readonly HookSpec[];
  /** Kind-level constraints from the hookspec (`in_process_only`, `singleton_per_runtime`, ...). */
  readonly constraints?: Readonly<Record<string, JsonValue>>;
}

/**
 * The default MCP tool name template (ADR-0004).
 * @since 0.1.0
 */
export const DEFAULT_TOOL_NAME_TEMPLATE = '{kind}.{plugin}.{hook}' as const;
