/**
 * Resource protocols (ADR-0001 §PluginContext, ADR-0003 §3, ADR-0005 §3).
 * They are structural: any object with these members fits, so a pino logger,
 * the console or a dagstack logger works without an adapter.
 */

import type { JsonObject, JsonValue } from './manifest.js';

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
 * Source of time. Plugins read time only through this (ADR-0003 §1, §8).
 *
 * `now` and `monotonicNs` are the protocol as the dagstack docs state it;
 * `sleep` is this binding's extra. Changed in 0.2.1: `now()` returns a
 * `Date` (it returned epoch milliseconds) and `monotonicNs()` replaces
 * `monotonic()` (see spec decision RS1).
 * @since 0.1.0
 */
export interface Clock {
  /**
   * The current wall-clock time, as a new `Date` on every call (changing it
   * does not change the clock). `clock.now().getTime()` gives epoch milliseconds.
   * @since 0.2.1
   */
  now(): Date;
  /**
   * A monotonic reading in nanoseconds, for measuring durations: only the
   * difference of two readings is meaningful, and it never goes back.
   * @since 0.2.1
   */
  monotonicNs(): bigint;
  /**
   * Monotonic milliseconds: `Number(monotonicNs()) / 1e6`.
   * @deprecated Use {@link Clock.monotonicNs}; removed in 0.3.
   */
  monotonic(): number;
  /** Resolve after `ms` milliseconds of this clock's time; reject with `signal.reason` when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Source of randomness. Seeded implementations give the same sequence on every
 * platform.
 *
 * `nextFloat`, `nextInt`, `uuid4` and `choice` are the protocol as the
 * dagstack docs state it; `bytes` is this binding's extra. `random`, `int`
 * and `uuid` are the 0.2.0 names, kept for one minor release.
 * @since 0.1.0
 */
export interface Rng {
  /** A float in [0, 1). @since 0.2.1 */
  nextFloat(): number;
  /** An integer in [low, high], both inclusive. @since 0.2.1 */
  nextInt(low: number, high: number): number;
  /** A random RFC 4122 version 4 UUID, lowercase. @since 0.2.1 */
  uuid4(): string;
  /** One element of `items`, each equally likely; `items` must not be empty. @since 0.2.1 */
  choice<T>(items: readonly T[]): T;
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
  /**
   * A float in [0, 1).
   * @deprecated Use {@link Rng.nextFloat}; removed in 0.3.
   */
  random(): number;
  /**
   * An integer in [min, max] (both inclusive).
   * @deprecated Use {@link Rng.nextInt}; removed in 0.3.
   */
  int(min: number, max: number): number;
  /**
   * A random RFC 4122 version 4 UUID.
   * @deprecated Use {@link Rng.uuid4}; removed in 0.3.
   */
  uuid(): string;
}

/**
 * One progress update (ADR-0003 §6 `update(percent, message, payload)`).
 * Crosses process boundaries, so `payload` is JSON.
 * @since 0.2.1
 */
export interface ProgressUpdate {
  /** Completion as a fraction in [0, 1]: `0.5` is halfway (spec decision RS2). */
  readonly percent: number;
  /** Human-readable status text. */
  readonly message?: string;
  /** Structured detail, plain JSON (`{ current_file: "a.txt" }`). */
  readonly payload?: JsonObject;
}

/**
 * One progress report of the 0.2.0 `report()` call.
 * @deprecated Use {@link ProgressUpdate} with {@link ProgressSink.update}; removed in 0.3.
 * @since 0.1.0
 */
export interface ProgressEvent {
  /** Units done so far. */
  readonly current: number;
  /** Units in all, when known. */
  readonly total?: number;
  /** Human-readable status text. */
  readonly message?: string;
}

/**
 * Where a long-running plugin reports progress (ADR-0003 §6). The host
 * decides where updates go (a log, a UI, an orchestrator's unit status).
 *
 * ```ts
 * ctx.progress?.update({ percent: 0.5, message: 'Halfway there' });
 * ctx.progress?.update(0.75, 'three quarters', { current_file: 'c.txt' }); // ADR form
 * ctx.progress?.event('file_skipped', { file: 'd.bin' });
 * ```
 * @since 0.1.0
 */
export interface ProgressSink {
  /**
   * Report how far the work is. Takes an update object, or ADR-0003's
   * positional form `(percent, message?, payload?)`. `percent` is a fraction
   * in [0, 1]; a value outside it is refused (spec decision RS2).
   * @since 0.2.1
   */
  update(update: ProgressUpdate): void;
  /** ADR-0003's positional form of {@link ProgressSink.update}. @since 0.2.1 */
  update(percent: number, message?: string, payload?: JsonObject | null): void;
  /**
   * Report something that happened (`event_type`), with JSON detail.
   * @since 0.2.1
   */
  event(type: string, payload?: JsonObject): void;
  /**
   * Report progress as units done of a total: `update` with `current / total`
   * (clamped to [0, 1]) and `{ current, total }` as the payload; without a
   * positive `total`, `event("progress", { current })`.
   * @deprecated Use {@link ProgressSink.update}; removed in 0.3.
   */
  report(event: ProgressEvent): void;
}

/**
 * Options of {@link CheckpointStore.save} and {@link CheckpointStore.delete}.
 * @since 0.2.1
 */
export interface CheckpointWriteOptions {
  /**
   * Optimistic concurrency: write only when the key's current version is
   * this one, or, with `null`, only when the key has no checkpoint. Otherwise
   * the call rejects with `CheckpointConflict` (`@dagstack/plugin-resources`,
   * code `CHECKPOINT_CONFLICT`) naming the key, the expected and the actual
   * version, and nothing is written. Absent: write whatever is there.
   */
  expectedVersion?: string | null;
}

/**
 * A checkpoint as {@link CheckpointStore.load} returns it.
 * @since 0.2.1
 */
export interface SavedCheckpoint {
  /** The saved state: a fresh copy, changing it changes nothing stored. */
  readonly state: JsonValue;
  /** Version id of this state: what the `save` that wrote it returned. */
  readonly version: string;
}

/**
 * One checkpoint as {@link CheckpointStore.list} returns it.
 * @since 0.2.1
 */
export interface CheckpointEntry {
  /** The key, as it was saved. */
  readonly key: string;
  /** Version id of the key's current state. */
  readonly version: string;
}

/**
 * Checkpoints of a unit of work, for resume after a crash (ADR-0003 §6).
 * States are JSON. A read after a completed write sees the write.
 *
 * Every `save` returns a new version id (spec decision RS8): an opaque,
 * non-empty string; compare ids only for equality. A key never gets an id
 * it had before, even for the same state, so an id read earlier matches
 * only while nobody has written the key since. Pass it back as
 * `expectedVersion` to write only over what you read.
 * @since 0.1.0
 */
export interface CheckpointStore {
  /**
   * Store `state` under `key`, replacing any earlier state, and resolve the
   * new version id. With `options.expectedVersion`, only over that version
   * (`null`: only when the key has no checkpoint), else `CheckpointConflict`.
   * Before 0.2.1 it resolved `undefined`.
   */
  save(key: string, state: JsonValue, options?: CheckpointWriteOptions): Promise<string>;
  /**
   * The state under `key` with its version id, or `undefined` when there is
   * none. Before 0.2.1 it resolved the bare state.
   */
  load(key: string): Promise<SavedCheckpoint | undefined>;
  /**
   * Remove the checkpoint under `key`; a missing key is not an error. With
   * `options.expectedVersion`, only when the current version is that one
   * (`null`: only when there is none, so nothing is removed), else
   * `CheckpointConflict`.
   */
  delete(key: string, options?: CheckpointWriteOptions): Promise<void>;
  /**
   * The keys that start with `prefix` (every key without one), each with its
   * current version id, sorted by key in UTF-16 code-unit order (what
   * `Array.prototype.sort` gives). Before 0.2.1 it resolved the keys alone.
   */
  list(prefix?: string): Promise<CheckpointEntry[]>;
}

/**
 * Binary objects by key.
 * @since 0.1.0
 */
export interface BlobStore {
  /** Store `data` under `key`, replacing any earlier blob; `contentType` is its MIME type. */
  put(key: string, data: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /**
   * The blob stored under `key`. A missing key rejects with a typed error
   * (`BlobNotFound` in `@dagstack/plugin-resources`, code `BLOB_NOT_FOUND`);
   * probe with {@link BlobStore.exists}. Before 0.2.1 it resolved `undefined`
   * (spec decision RS3).
   */
  get(key: string): Promise<Uint8Array>;
  /** Whether a blob is stored under `key`. @since 0.2.1 */
  exists(key: string): Promise<boolean>;
  /** Remove the blob under `key`; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix` (every key without one). */
  list(prefix?: string): Promise<string[]>;
}

/**
 * The headers of an {@link HttpResponse}: the read side of the web `Headers`.
 * @since 0.2.1
 */
export interface HttpHeaders {
  /** The value of header `name` (case-insensitive), or `null` when absent. */
  get(name: string): string | null;
  /** Whether header `name` is present. */
  has(name: string): boolean;
}

/**
 * What {@link HttpClient} requests resolve to: the part of the web
 * `Response` plugins rely on, so the global `Response` fits and a test
 * double can be a plain object (spec decision RS4).
 * @since 0.2.1
 */
export interface HttpResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Whether `status` is in 200-299. */
  readonly ok: boolean;
  /** Response headers. */
  readonly headers: HttpHeaders;
  /** The body parsed as JSON. */
  json(): Promise<unknown>;
  /** The body as text. */
  text(): Promise<string>;
  /** The body as bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Outbound HTTP, so hosts can meter, proxy or record it. `get`, `post`,
 * `put` and `delete` are the protocol as the dagstack docs state it;
 * `fetch` is the primitive they build on (same arguments and result as the
 * global `fetch`).
 *
 * `post` and `put` send `body` as JSON (`content-type: application/json`
 * unless the request sets one) unless it is a string, `Uint8Array` (or
 * another `ArrayBuffer` view), `ArrayBuffer`, `Blob`, `FormData`,
 * `URLSearchParams` or `ReadableStream`, which are sent as they are.
 * @since 0.1.0
 */
export interface HttpClient {
  /** Make a request; same arguments and result as the global `fetch`. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** `GET url`. @since 0.2.1 */
  get(url: string | URL, init?: RequestInit): Promise<HttpResponse>;
  /** `POST url` with `body` (JSON unless already a body type). @since 0.2.1 */
  post(url: string | URL, body: unknown, init?: RequestInit): Promise<HttpResponse>;
  /** `PUT url` with `body` (JSON unless already a body type). @since 0.2.1 */
  put(url: string | URL, body: unknown, init?: RequestInit): Promise<HttpResponse>;
  /** `DELETE url`. @since 0.2.1 */
  delete(url: string | URL, init?: RequestInit): Promise<HttpResponse>;
}

/**
 * A scratch folder of one plugin (the `tmpdir` resource, ADR-0003 §3): the
 * host creates it for the plugin and removes it, with everything in it,
 * when the plugin is torn down. Names are single path segments: a name with
 * a separator, NUL, or `.`/`..` is refused with a typed error.
 * @since 0.2.1
 */
export interface TempDir {
  /** Absolute path of the folder. */
  readonly path: string;
  /** Create the empty file `<name><suffix>` in the folder (it must not exist); its absolute path. */
  createFile(name: string, suffix?: string): Promise<string>;
  /** Create the folder `name` in the folder (it must not exist); its absolute path. */
  createSubdir(name: string): Promise<string>;
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
  /** The plugin's scratch folder, removed when the plugin is torn down (a path string before 0.2.1). */
  tmpdir: TempDir;
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
 * names come back as `unknown`, or as the type the caller names.
 *
 * ```ts
 * const clock = ctx.resources.get('clock'); // Clock | undefined
 * this.db = ctx.resources.get<DBClient>('postgres'); // a required resource
 * const blobs = ctx.resources.get<BlobStore | undefined>('blob_store'); // an optional one
 * ```
 *
 * `get` returns `undefined` for a declared resource the host does not
 * provide (only an optional one can be missing once the plugin starts:
 * a missing required one keeps it from starting), and throws
 * `UndeclaredResource` for a name the manifest does not declare. The type
 * argument of `get<T>` is the caller's word, as with a cast: name an
 * optional resource's type with `| undefined`, or probe with `has()`
 * (spec decision RS5).
 * @since 0.1.0
 */
export interface ResourceContainer {
  /** The standard resource `name`, typed, or `undefined` when it is not provided. */
  get<TName extends keyof StandardResources>(name: TName): StandardResources[TName] | undefined;
  /**
   * The resource `name` as the type the caller names (`unknown` without
   * one), or `undefined` when it is not provided.
   */
  get<T = unknown>(name: string): T;
  /** Whether the resource `name` is available to the plugin. */
  has(name: string): boolean;
  /** Names of the resources available to the plugin. */
  names(): readonly string[];
}
