/**
 * Resource protocols (ADR-0001 §PluginContext, ADR-0003 §3, ADR-0005 §3).
 * They are structural: any object with these members fits, so a pino logger,
 * the console or a dagstack logger works without an adapter.
 */

import type { JsonValue } from './manifest.js';

/** Structured fields attached to a log record. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * One level's method of a {@link Logger}: a message and optional structured fields.
 * @since 0.2.0
 */
export type LogMethod = (message: string, fields?: LogFields) => void;

/**
 * The logger shape the system writes through. Each level takes a message and
 * optional fields. `child` (pino, dagstack) is used when present to bind fields.
 * @since 0.1.0
 */
export interface Logger {
  /** Log `message` at debug level, with optional fields. */
  debug: LogMethod;
  /** Log `message` at info level, with optional fields. */
  info: LogMethod;
  /** Log `message` at warning level, with optional fields. */
  warn: LogMethod;
  /** Log `message` at error level, with optional fields. */
  error: LogMethod;
  /** A logger that adds `bindings` to every record (optional). */
  child?: (bindings: LogFields) => Logger;
}

const noop = (): void => {};

/**
 * A logger that drops everything. The default where none is injected.
 * @since 0.1.0
 */
export const NOOP_LOGGER: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: (): Logger => NOOP_LOGGER,
});

/**
 * Source of time. Plugins read time only through this (ADR-0003 §1).
 * @since 0.1.0
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
  /** Resolve after `ms` milliseconds of this clock's time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Source of randomness. Seeded implementations give the same sequence on every
 * platform.
 * @since 0.1.0
 */
export interface Rng {
  /** A float in [0, 1). */
  random(): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
  /** A random RFC 4122 version 4 UUID. */
  uuid(): string;
}

/** One progress report. */
export interface ProgressEvent {
  /** Units done so far. */
  readonly current: number;
  /** Units in all, when known. */
  readonly total?: number;
  /** Human-readable status text. */
  readonly message?: string;
}

/**
 * Where a long-running plugin reports progress (ADR-0003 §6).
 * @since 0.1.0
 */
export interface ProgressSink {
  /** Report progress. */
  report(event: ProgressEvent): void;
}

/**
 * Checkpoints of a unit of work, for resume after a crash (ADR-0003 §6).
 * Values are JSON. A read after a completed write sees the write.
 * @since 0.1.0
 */
export interface CheckpointStore {
  /** Store `value` under `key`, replacing any earlier value. */
  save(key: string, value: JsonValue): Promise<void>;
  /** The value stored under `key`, or `undefined` when there is none. */
  load(key: string): Promise<JsonValue | undefined>;
  /** Remove the value under `key`. */
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix` (every key without one). */
  list(prefix?: string): Promise<string[]>;
}

/**
 * Binary objects by key.
 * @since 0.1.0
 */
export interface BlobStore {
  /** Store `data` under `key`, replacing any earlier blob; `contentType` is its MIME type. */
  put(key: string, data: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /** The blob stored under `key`, or `undefined` when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Remove the blob under `key`. */
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix` (every key without one). */
  list(prefix?: string): Promise<string[]>;
}

/**
 * Outbound HTTP, so hosts can meter, proxy or record it. `fetch`-shaped.
 * @since 0.1.0
 */
export interface HttpClient {
  /** Make a request; same arguments and result as the global `fetch`. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

/** Handle returned by {@link EventBus.subscribe}. */
export interface Subscription {
  /** The topic subscribed to. */
  readonly topic: string;
}

/**
 * In-process publish/subscribe (ADR-0001 §EventBus): at-most-once, no
 * persistence, a failing handler does not affect the others.
 * @since 0.1.0
 */
export interface EventBus {
  /** Publish `payload` on `topic` to its subscribers; does not wait for the handlers. */
  publish(topic: string, payload: unknown): void;
  /** Call `handler` with each later payload on `topic`; returns the handle to unsubscribe with. */
  subscribe(
    topic: string,
    handler: (payload: unknown, topic: string) => void | Promise<void>,
  ): Subscription;
  /** Stop deliveries to `subscription`. */
  unsubscribe(subscription: Subscription): void;
}

/** Result of a tenant access check. */
export interface AccessDecision {
  /** Whether the access is allowed. */
  readonly allowed: boolean;
  /** Why, when the checker gives a reason. */
  readonly reason?: string;
}

/**
 * Multi-tenant access checks (ADR-0001 §TenantContext). I/O plugins call
 * `checkAccess` before touching tenant-scoped resources.
 * @since 0.1.0
 */
export interface TenantContext {
  /** The current tenant, or `undefined` when there is none. */
  readonly tenantId: string | undefined;
  /** Whether the current tenant may perform `action` on `resource`. */
  checkAccess(resource: string, action: string): AccessDecision | Promise<AccessDecision>;
}

/**
 * A tenant context that allows everything. The default.
 * @since 0.1.0
 */
export const NOOP_TENANT: TenantContext = Object.freeze({
  tenantId: undefined,
  checkAccess: (): AccessDecision => ({ allowed: true }),
});

/** Metrics recorder (recommended by ADR-0001; labels pre-bound). */
export interface Metrics {
  /** Increase the counter `name` by `value`, with optional labels. */
  counter(name: string, value?: number, labels?: Readonly<Record<string, string>>): void;
  /** Set the gauge `name` to `value`, with optional labels. */
  gauge(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
  /** Record `value` in the histogram `name`, with optional labels. */
  histogram(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
}

/** A span of a tracer (OpenTelemetry-shaped subset). */
export interface Span {
  /** Set the attribute `key` of the span to `value`. */
  setAttribute(key: string, value: string | number | boolean): void;
  /** Record `error` on the span. */
  recordException(error: unknown): void;
  /** End the span. */
  end(): void;
}

/** Tracer (recommended by ADR-0001; OpenTelemetry-compatible subset). */
export interface Tracer {
  /** Start a span named `name` with optional attributes; the caller ends it. */
  startSpan(name: string, attributes?: Readonly<Record<string, string | number | boolean>>): Span;
}

/**
 * Standard resource names of `[plugin.resources]` and their protocols.
 * @since 0.1.0
 */
export type StandardResources = {
  /** Source of time. */
  clock: Clock;
  /** Source of randomness. */
  rng: Rng;
  /** Where progress is reported. */
  progress: ProgressSink;
  /** Checkpoints of a unit of work. */
  checkpoint: CheckpointStore;
  /** Binary objects by key. */
  blob_store: BlobStore;
  /** Outbound HTTP. */
  http_client: HttpClient;
  /** In-process publish/subscribe. */
  event_bus: EventBus;
  /** Path of a scratch folder the host removes when the plugin is torn down. */
  tmpdir: string;
};

/**
 * Names a manifest may list in `[plugin.resources]` that this binding provides.
 * Other names are allowed (host-defined resources).
 * @since 0.1.0
 */
export const STANDARD_RESOURCE_NAMES: readonly (keyof StandardResources)[] = Object.freeze([
  'clock',
  'rng',
  'progress',
  'checkpoint',
  'blob_store',
  'http_client',
  'event_bus',
  'tmpdir',
]);

/**
 * The resources a plugin was given. Standard names are typed; host-defined
 * names come back as `unknown`.
 * @since 0.1.0
 */
export interface ResourceContainer {
  /** The standard resource `name`, typed, or `undefined` when it is not provided. */
  get<TName extends keyof StandardResources>(name: TName): StandardResources[TName] | undefined;
  /** The resource `name`, or `undefined` when it is not provided. */
  get(name: string): unknown;
  /** Whether the resource `name` is available to the plugin. */
  has(name: string): boolean;
  /** Names of the resources available to the plugin. */
  names(): readonly string[];
}
