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
  /** Name of the plugin depended on. */
  readonly name: string;
  /** Set when the manifest named the kind too. */
  readonly kind?: string;
}

/** `[plugin.resources]` (ADR-0003 §3). @since 0.1.0 */
export interface ResourcesSpec {
  /** Resources the plugin cannot start without. @default [] */
  readonly required: readonly string[];
  /** Resources the plugin uses when the host provides them. @default [] */
  readonly optional: readonly string[];
}

/** `[plugin.unit_of_work]` (ADR-0003 §5). @since 0.1.0 */
export interface UnitOfWorkSpec {
  /**
   * Whether the plugin is a unit-of-work plugin; the other fields matter only when `true`.
   * @default false
   */
  readonly declared: boolean;
  /** Argument whose value partitions units (one unit at a time per partition). @default null */
  readonly partition_key: string | null;
  /** Expected duration of a unit in seconds, a hint for schedulers. @default null */
  readonly estimated_duration_sec: number | null;
  /** How repeated units are recognised. @default "none" */
  readonly idempotency_mode: IdempotencyMode;
  /** Whether the plugin saves checkpoints and can resume. @default false */
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
  /** The token itself, written in the manifest (discouraged). */
  readonly token?: string;
  /** Name of the environment variable the token is read from at connect time. */
  readonly token_env?: string;
  /**
   * `oauth2_client_credentials`: the host gets its bearer token from
   * `token_url` with the OAuth 2.1 client-credentials grant. Absent for a
   * static token. @since 0.2.1
   */
  readonly type?: 'oauth2_client_credentials';
  /** The authorization server's token endpoint (client credentials). @since 0.2.1 */
  readonly token_url?: string;
  /** The OAuth client id, when written in the manifest (client credentials). @since 0.2.1 */
  readonly client_id?: string;
  /** Name of the environment variable holding the client id (client credentials). @since 0.2.1 */
  readonly client_id_env?: string;
  /** Name of the environment variable holding the client secret (client credentials). @since 0.2.1 */
  readonly client_secret_env?: string;
  /** Scope asked for, space-separated (client credentials). @since 0.2.1 */
  readonly scope?: string;
  /** RFC 8707 resource indicator sent with the token request (client credentials). @since 0.2.1 */
  readonly resource?: string;
  /**
   * How the client authenticates at the token endpoint. @default "client_secret_basic"
   * @since 0.2.1
   */
  readonly token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
}

/** Settings of the `mcp_http` runtime, from `[plugin.mcp_http]` or the flat fields. */
export interface McpHttpSpec {
  /** The MCP endpoint: an absolute `http://` or `https://` URL. */
  readonly url: string;
  /** How the host authenticates; absent when it does not. */
  readonly auth?: McpHttpAuth;
  /** Extra request headers (not secrets). */
  readonly headers: Readonly<Record<string, string>>;
  /** Per-request limit. @default 60 */
  readonly timeout_sec: number;
  /** CA bundle file used to verify an `https` server. */
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
  /** Plugin name, unique within its kind. */
  readonly name: string;
  /** The kind the plugin implements. */
  readonly kind: string;
  /** Version of the kind API the plugin implements (major or SemVer). @default "1" */
  readonly kind_api_version: string;
  /** PEP 440 specifier set (or npm range) the core version must satisfy. */
  readonly core_version: string;
  /** Runtimes the plugin can run under, in the author's order of preference. */
  readonly runtime: readonly Runtime[];

  /** The plugin's own version. */
  readonly version?: string;
  /** One-line description. */
  readonly description?: string;
  /** Licence identifier. */
  readonly license?: string;
  /** Maintainer; the publisher when `metadata.publisher` is absent. */
  readonly maintainer?: string;
  /** Homepage URL. */
  readonly homepage?: string;
  /** Authors. @default [] */
  readonly authors: readonly string[];

  /** Security and routing declarations (`network`, `filesystem.write`, ...). */
  readonly capabilities: readonly string[];
  /** Higher is called first within its band; 1000 and up is reserved for middleware. @default 0 */
  readonly priority: number;
  /** Plugins that must start before this one. @default [] */
  readonly depends_on: readonly DependencyRef[];
  /** Put the plugin in the first band of the dispatch order. @default false */
  readonly tryfirst: boolean;
  /** Put the plugin in the last band of the dispatch order. @default false */
  readonly trylast: boolean;
  /** Limit in seconds for loading and `setup`. @default 30 */
  readonly startup_timeout_sec: number;
  /** Limit in seconds for `teardown`; exceeding it makes the plugin `leaked`. @default 15 */
  readonly teardown_timeout_sec: number;
  /** Seconds between health polls. @default 30 */
  readonly health_interval_sec: number;

  /** Languages served, for `capability` dispatch (lower-cased). @default [] */
  readonly supports_languages: readonly string[];
  /** File extensions served, for `capability` dispatch (lower-cased, leading dot). @default [] */
  readonly supports_extensions: readonly string[];
  /** MIME types served, for `capability` dispatch (lower-cased). @default [] */
  readonly supports_mime_types: readonly string[];
  /** `[plugin.supports]`: boolean feature flags (`text`, `batch`, ...). */
  readonly supports: Readonly<Record<string, boolean>>;
  /** `capability` dispatch falls back to this plugin; at most one per kind. @default false */
  readonly fallback: boolean;

  /** How the hooks execute in process. @default "sync" */
  readonly execution_model: ExecutionModel;
  /** The plugin must never run out of process. @default false */
  readonly in_process_only: boolean;
  /** Resources the plugin takes from the host (`[plugin.resources]`). */
  readonly resources: ResourcesSpec;
  /** Unit-of-work settings (`[plugin.unit_of_work]`). */
  readonly unit_of_work: UnitOfWorkSpec;

  /** In-process entry: `module:Export`, `./file.js#Export`, or a package name. */
  readonly entry_point?: string;
  /** Name of a health-check hook (recorded, not interpreted by this binding). */
  readonly health_check?: string;
  /** JSON Schema 2020-12 of the plugin's configuration. */
  readonly config_schema?: JsonObject;
  /** Present for middleware: which calls it wraps. */
  readonly chain_wrap?: ChainWrapSpec;
  /** Settings of the `mcp_stdio` runtime, when given. */
  readonly mcp_stdio?: McpStdioSpec;
  /** Settings of the `mcp_http` runtime, when given. */
  readonly mcp_http?: McpHttpSpec;
  /** `[plugin.metadata]`: free-form, not interpreted by the core. */
  readonly metadata: JsonObject;

  /** Where the manifest came from: a file path, or `inline`. */
  readonly source: string;
}
