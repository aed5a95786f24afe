/**
 * Resource protocols (ADR-0001 §PluginContext, ADR-0003 §3, ADR-0005 §3).
 * They are structural: any object with these members fits, so a pino logger,
 * the console or a dagstack logger works without an adapter.
 */

import type { JsonValue } from './manifest.js';

/** Structured fields attached to a log record. */
export type LogFields = Readonly<Record<string, unknown>>;

type LogMethod = (message: string, fields?: LogFields) => void;

/**
 * The logger shape the system writes through. Each level takes a message and
 * optional fields. `child` (pino, dagstack) is used when present to bind fields.
 * @since 0.1.0
 */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
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
  readonly message?: string;
}

/**
 * Where a long-running plugin reports progress (ADR-0003 §6).
 * @since 0.1.0
 */
export interface ProgressSink {
  report(event: ProgressEvent): void;
}

/**
 * Checkpoints of a unit of work, for resume after a crash (ADR-0003 §6).
 * Values are JSON. A read after a completed write sees the write.
 * @since 0.1.0
 */
export interface CheckpointStore {
  save(key: string, value: JsonValue): Promise<void>;
  load(key: string): Promise<JsonValue | undefined>;
  delete(key: string): Promise<void>;
  list(prefix?: string): Promise<string[]>;
}

/**
 * Binary objects by key.
 * @since 0.1.0
 */
export interface BlobStore {
  put(key: string, data: Uint8Array, options?: { contentType?: string }): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
  list(prefix?: string): Promise<string[]>;
}

/**
 * Outbound HTTP, so hosts can meter, proxy or record it. `fetch`-shaped.
 * @since 0.1.0
 */
export interface HttpClient {
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

/** Handle returned by {@link EventBus.subscribe}. */
export interface Subscription {
  readonly topic: string;
}

/**
 * In-process publish/subscribe (ADR-0001 §EventBus): at-most-once, no
 * persistence, a failing handler does not affect the others.
 * @since 0.1.0
 */
export interface EventBus {
  publish(topic: string, payload: unknown): void;
  subscribe(
    topic: string,
    handler: (payload: unknown, topic: string) => void | Promise<void>,
  ): Subscription;
  unsubscribe(subscription: Subscription): void;
}

/** Result of a tenant access check. */
export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason?: string;
}

/**
 * Multi-tenant access checks (ADR-0001 §TenantContext). I/O plugins call
 * `checkAccess` before touching tenant-scoped resources.
 * @since 0.1.0
 */
export interface TenantContext {
  readonly tenantId: string | undefined;
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
  counter(name: string, value?: number, labels?: Readonly<Record<string, string>>): void;
  gauge(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
  histogram(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
}

/** A span of a tracer (OpenTelemetry-shaped subset). */
export interface Span {
  setAttribute(key: string, value: string | number | boolean): void;
  recordException(error: unknown): void;
  end(): void;
}

/** Tracer (recommended by ADR-0001; OpenTelemetry-compatible subset). */
export interface Tracer {
  startSpan(name: string, attributes?: Readonly<Record<string, string | number | boolean>>): Span;
}

/**
 * Standard resource names of `[plugin.resources]` and their protocols.
 * @since 0.1.0
 */
export type StandardResources = {
  clock: Clock;
  rng: Rng;
  progress: ProgressSink;
  checkpoint: CheckpointStore;
  blob_store: BlobStore;
  http_client: HttpClient;
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
  get<TName extends keyof StandardResources>(name: TName): StandardResources[TName] | undefined;
  get(name: string): unknown;
  has(name: string): boolean;
  names(): readonly string[];
}
