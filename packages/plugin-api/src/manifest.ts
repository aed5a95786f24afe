import type { ExecutionModel, IdempotencyMode, Runtime } from './constants.js';

/** A JSON value. @since 0.1.0 */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A JSON object. @since 0.1.0 */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * A `depends_on` entry. Written as a plain name (`"tokenizer"`) or as a
 * `{ kind, name }` table; always normalised to this object.
 * @since 0.1.0
 */
export interface DependencyRef {
  readonly name: string;
  /** Set when the manifest named the kind too. */
  readonly kind?: string;
}

/** `[plugin.resources]` (ADR-0003 §3). @since 0.1.0 */
export interface ResourcesSpec {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

/** `[plugin.unit_of_work]` (ADR-0003 §5). @since 0.1.0 */
export interface UnitOfWorkSpec {
  readonly declared: boolean;
  readonly partition_key: string | null;
  readonly estimated_duration_sec: number | null;
  readonly idempotency_mode: IdempotencyMode;
  readonly checkpointable: boolean;
  /** Fields the idempotency key is computed from. */
  readonly content_hash: readonly string[];
}

/** `[plugin.chain_wrap]` (ADR-0005 §2): which dispatches a middleware wraps. */
export interface ChainWrapSpec {
  /** Kind names, or `"*"` for every kind. */
  readonly kinds: readonly string[];
  /** Hook names, or `"*"` for every hook. */
  readonly hooks: readonly string[];
}

/** Settings of the `mcp_stdio` runtime, from `[plugin.mcp_stdio]` or the flat fields. */
export interface McpStdioSpec {
  /** Executable and arguments. */
  readonly command: readonly string[];
  /** Variables added to the child's minimal environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory, relative to the plugin folder when not absolute. */
  readonly working_dir?: string;
  /** Handshake limit; falls back to the manifest's `startup_timeout_sec`. */
  readonly startup_timeout_sec?: number;
}

/**
 * How the host authenticates to an `mcp_http` plugin. The secret is either in
 * `token` (discouraged: it sits in the manifest) or read at connect time from
 * the environment variable `token_env`.
 * @since 0.1.0
 */
export interface McpHttpAuth {
  /** Header that carries the credential. @default "Authorization" */
  readonly header: string;
  /**
   * Scheme written before the token (`Bearer`), or `null` for a raw value.
   * `Bearer` for the Authorization header, raw for any other header, unless set.
   */
  readonly scheme: string | null;
  readonly token?: string;
  readonly token_env?: string;
}

/** Settings of the `mcp_http` runtime, from `[plugin.mcp_http]` or the flat fields. */
export interface McpHttpSpec {
  readonly url: string;
  readonly auth?: McpHttpAuth;
  /** Extra request headers (not secrets). */
  readonly headers: Readonly<Record<string, string>>;
  /** Per-request limit. @default 60 */
  readonly timeout_sec: number;
  readonly tls_ca_bundle?: string;
  /** @default true */
  readonly tls_verify: boolean;
  /** Retries of idempotent failures. @default 3 */
  readonly retry_attempts: number;
  /** Consecutive failures that open the circuit. @default 5 */
  readonly circuit_breaker_threshold: number;
  /** Seconds the circuit stays open before a trial call. @default 30 */
  readonly circuit_breaker_cooldown_sec: number;
}

/**
 * A validated manifest in its one canonical shape, whatever file form it was
 * written in. Keys keep the spec's snake_case names so the document is the same
 * in every binding and over the wire. Defaults are filled in.
 * @since 0.1.0
 */
export interface PluginManifest {
  /** Always `"1"` (written as `"1"`, `"1.0"` or `"1.0.0"`). */
  readonly schema_version: '1';
  readonly name: string;
  readonly kind: string;
  readonly kind_api_version: string;
  /** PEP 440 specifier set (or npm range) the core version must satisfy. */
  readonly core_version: string;
  /** Runtimes the plugin can run under, in the author's order of preference. */
  readonly runtime: readonly Runtime[];

  readonly version?: string;
  readonly description?: string;
  readonly license?: string;
  readonly maintainer?: string;
  readonly homepage?: string;
  readonly authors: readonly string[];

  /** Security and routing declarations (`network`, `filesystem.write`, ...). */
  readonly capabilities: readonly string[];
  readonly priority: number;
  readonly depends_on: readonly DependencyRef[];
  readonly tryfirst: boolean;
  readonly trylast: boolean;
  readonly startup_timeout_sec: number;
  readonly teardown_timeout_sec: number;
  /** Seconds between health polls. @default 30 */
  readonly health_interval_sec: number;

  readonly supports_languages: readonly string[];
  readonly supports_extensions: readonly string[];
  readonly supports_mime_types: readonly string[];
  /** `[plugin.supports]`: boolean feature flags (`text`, `batch`, ...). */
  readonly supports: Readonly<Record<string, boolean>>;
  readonly fallback: boolean;

  readonly execution_model: ExecutionModel;
  readonly in_process_only: boolean;
  readonly resources: ResourcesSpec;
  readonly unit_of_work: UnitOfWorkSpec;

  /** In-process entry: `module:Export`, `./file.js#Export`, or a package name. */
  readonly entry_point?: string;
  readonly health_check?: string;
  /** JSON Schema 2020-12 of the plugin's configuration. */
  readonly config_schema?: JsonObject;
  readonly chain_wrap?: ChainWrapSpec;
  readonly mcp_stdio?: McpStdioSpec;
  readonly mcp_http?: McpHttpSpec;
  /** `[plugin.metadata]`: free-form, not interpreted by the core. */
  readonly metadata: JsonObject;

  /** Where the manifest came from: a file path, or `inline`. */
  readonly source: string;
}
