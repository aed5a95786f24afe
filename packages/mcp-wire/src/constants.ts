/**
 * Names and numbers of the dagstack MCP wire (docs/wire.md). They are the same
 * in every binding.
 */

/**
 * Version of the wire this package speaks (docs/wire.md §2). Peers are
 * compatible when the majors (text before the first `.`) are equal.
 * @since 0.1.0
 */
export const WIRE_VERSION = '1' as const;

/**
 * Key of the experimental capability both sides announce in `initialize`.
 * @since 0.1.0
 */
export const CAPABILITY_KEY = 'dagstack' as const;

/**
 * Reserved `_meta` keys (docs/wire.md §4–§6).
 * @since 0.1.0
 */
export const META_KEYS = {
  /** Call metadata other than the trace context. */
  metadata: 'dagstack.dev/metadata',
  /** A structured plugin error on a tool error result. */
  error: 'dagstack.dev/error',
  /** A hook input that is not a JSON object. */
  input: 'dagstack.dev/input',
  /** A hook output that is not a JSON object. */
  output: 'dagstack.dev/output',
  /** W3C `traceparent`. */
  traceparent: 'traceparent',
  /** W3C `tracestate`. */
  tracestate: 'tracestate',
} as const;

/**
 * The dagstack extension requests (docs/wire.md §7).
 * @since 0.1.0
 */
export const METHODS = {
  /** Sends the manifest, config and resources once after the handshake and after every restart. */
  setup: 'dagstack/setup',
  /** Asks the plugin to release what it holds; the result says whether it did. */
  teardown: 'dagstack/teardown',
  /** Asks the plugin for its health status (`ok`, `degraded` or `failing`). */
  health: 'dagstack/health',
} as const;

/** Extension names as announced in the capability's `extensions` list. */
export type WireExtension = 'setup' | 'teardown' | 'health';

/**
 * Name of the catalogue hook that lists the functions of a
 * function-templated hook (the `tool` kind's `get_schema`).
 * @since 0.1.0
 */
export const CATALOGUE_HOOK = 'get_schema' as const;

/**
 * MCP tool names this wire may publish.
 * @since 0.1.0
 */
export const TOOL_NAME_PATTERN: RegExp = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Default bound of one message in bytes, each direction (16 MiB): room for a
 * 10 MB file as base64 (ADR-0001 §File uploads) plus the envelope.
 * @since 0.1.0
 */
export const DEFAULT_MAX_MESSAGE_BYTES: number = 16 * 1024 * 1024;

/** Longest timer Node accepts; used as "no limit" for SDK requests. */
export const NO_TIMEOUT_MS = 2_147_483_647;

/** What the dagstack capability of a plugin server holds (docs/wire.md §2). @since 0.1.0 */
export interface ServerCapability {
  /** Wire version the server speaks; only its major part must match the host's. */
  readonly wire_version: string;
  /** The plugin's name; must equal the manifest's `name`. */
  readonly plugin: string;
  /** The plugin's kind; must equal the manifest's `kind`. */
  readonly kind: string;
  /** Kind API version the server implements, when it says; its major must match the host's. */
  readonly kind_api_version?: string;
  /** Hooks the plugin implements (snake_case), whether or not they are MCP tools. */
  readonly hooks: readonly string[];
  /** Extension requests the server answers; a missing one means the host uses its fallback. */
  readonly extensions: readonly WireExtension[];
}
