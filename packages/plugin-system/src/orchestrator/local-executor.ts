/**
 * `LocalExecutorOrchestrator`: the mandatory in-tree plugin of kind
 * `orchestrator` (ADR-0003 §Default in-tree implementation). Runs
 * unit-of-work plugins in this process through the registry, with a
 * concurrency limit, idempotent enqueue, status, backfill, checkpoint resume
 * and an optional JSON state file that a restart resumes from.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  AmbiguousPlugin,
  type CallMetadata,
  type CheckpointStore,
  ConfigInvalid,
  type HealthStatus,
  type HookCall,
  isHookTimeout,
  isPluginError,
  type JsonObject,
  type JsonValue,
  KindUnknown,
  type Logger,
  NOOP_LOGGER,
  type PluginContext,
  type PluginManifest,
  PluginRegistryError,
  PluginUnavailable,
  type ProgressEvent,
  type ProgressSink,
} from '@dagstack/plugin-api';
import { HookValidationError } from '@dagstack/plugin-dispatch';
import { assertJsonValue } from '@dagstack/plugin-resources';
import type {
  BackfillInput,
  BackfillOutput,
  EnqueueInput,
  EnqueueOutput,
  OrchestratorPlugin,
  RerunnableState,
  StatusInput,
  StatusOutput,
  UnitState,
} from '../generated/kinds/orchestrator/v1.js';
import { UnitNotFound } from './errors.js';
import { jsonHash, unitInputHash } from './hash.js';
import { DEFAULT_UNIT_HOOK, LOCAL_EXECUTOR_NAME, localExecutorManifest } from './manifest.js';
import { readJsonFile, writeJsonAtomic } from './state-file.js';

/**
 * What the orchestrator needs of the host's registry: the manifests (to find
 * a unit-of-work plugin by name) and `call` with a `target` (to run exactly
 * that plugin). `PluginRegistry` fits. When present, `status` and `on` let
 * queued units wait while their plugin is not started yet (or is being
 * stopped) instead of failing, and start them once it is ready.
 * @since 0.1.0
 */
export interface UnitRegistry {
  /** The manifests of every registered plugin. */
  listManifests(): readonly PluginManifest[];
  /**
   * Call `hook` of `kind` with `input`; the orchestrator always passes a
   * `target` (the unit's plugin) and the unit's metadata.
   */
  call(
    kind: string,
    hook: string,
    input: unknown,
    options?: {
      readonly target?: string;
      readonly metadata?: CallMetadata;
      readonly signal?: AbortSignal;
      readonly timeoutMs?: number;
    },
  ): Promise<unknown>;
  /** The current lifecycle state of each registered plugin. */
  status?(): readonly {
    /** Manifest name of the plugin. */
    readonly name: string;
    /** Kind of the plugin. */
    readonly kind: string;
    /** Lifecycle state of the plugin, such as `ready` or `degraded`. */
    readonly state: string;
  }[];
  /** Subscribe to plugin state changes; returns a function that unsubscribes. */
  on?(
    event: 'state',
    listener: (change: {
      readonly name: string;
      readonly kind: string;
      readonly to: string;
    }) => void,
  ): () => void;
}

/**
 * Options of {@link LocalExecutorOrchestrator}. Each falls back to the
 * plugin's configuration section (`orchestrator.local_executor`, snake_case
 * keys), then to the default.
 * @since 0.1.0
 */
export interface LocalExecutorOptions {
  /** The registry unit-of-work plugins are called through. */
  registry: UnitRegistry;
  /** Units running at once. @default 4 */
  concurrency?: number;
  /**
   * JSON file the units are persisted to (atomic replace after every change)
   * and loaded from at `setup`. Units that were running when the process
   * stopped are queued again and resume from their checkpoint. Without it,
   * state lives in memory only.
   */
  stateFile?: string;
  /** Hook called on unit-of-work plugins (a plugin's `[plugin.metadata] unit_of_work_hook` wins). @default "run" */
  hook?: string;
  /** Time limit of one attempt in milliseconds; a unit over it becomes `expired`. */
  unitTimeoutMs?: number;
  /** Where units' progress reports are forwarded too (after the orchestrator records them). */
  progress?: ProgressSink;
  /** Milliseconds since the epoch, for the units' timestamps. @default Date.now */
  now?: () => number;
  /** New unit ids. @default crypto.randomUUID */
  newId?: () => string;
}

/**
 * What a unit-of-work plugin finds in `call.metadata.unit_of_work` when the
 * orchestrator runs it (read it with {@link unitOfWorkOf}).
 * @since 0.1.0
 */
export interface UnitOfWorkCall {
  /** Id of the unit being run, as `enqueue` returned it. */
  readonly unit_id: string;
  /** 1 on the first run; each retry, backfill or resume after a restart adds one. */
  readonly attempt: number;
  /**
   * Key to save and load this unit's checkpoint under (`ctx.checkpoint`). The
   * same on every attempt, so a later attempt resumes; the orchestrator
   * deletes it when the unit succeeds.
   */
  readonly checkpoint_key: string;
  /** The unit's partition, when it has one. */
  readonly partition_key?: string;
}

/**
 * Everything the orchestrator knows of one unit: what `status` reports plus
 * the input, the output and the bookkeeping.
 * @since 0.1.0
 */
export interface UnitSnapshot {
  /** Id of the unit, as `enqueue` returned it. */
  readonly unit_id: string;
  /** Manifest name of the unit-of-work plugin that runs the unit. */
  readonly plugin_name: string;
  /** Kind of that plugin. */
  readonly plugin_kind: string;
  /** Hook called on the plugin to run the unit. */
  readonly hook: string;
  /** Arguments the unit was enqueued with, passed to the hook. */
  readonly args: JsonObject;
  /** Where the unit is in its lifecycle. */
  readonly state: UnitState;
  /** How many times the unit has been started so far. */
  readonly attempts: number;
  /** When the unit was enqueued (RFC 3339). */
  readonly enqueued_at: string;
  /** When the unit's latest run started (RFC 3339); absent while it is queued. */
  readonly started_at?: string;
  /** When the unit reached an end state (RFC 3339); absent until then. */
  readonly finished_at?: string;
  /** Deduplication key the unit was enqueued with, if any. */
  readonly idempotency_key?: string;
  /** The unit's partition: given at enqueue, or taken from its args as the plugin's manifest says. */
  readonly partition_key?: string;
  /** Set for plugins whose `unit_of_work.idempotency_mode` is `input_hash`. */
  readonly input_hash?: string;
  /** Set on success for plugins whose `idempotency_mode` is `output_hash`. */
  readonly output_hash?: string;
  /** Aggregate of the unit's progress reports and the orchestrator's own notes. */
  readonly progress?: JsonObject;
  /** Why the unit failed, expired or was cancelled, when it did. */
  readonly error?: string;
  /** What the plugin returned, once the unit succeeded. */
  readonly output?: unknown;
}

/** Metadata key under which a unit-of-work call carries {@link UnitOfWorkCall}. @since 0.1.0 */
export const UNIT_METADATA_KEY: 'unit_of_work' = 'unit_of_work';

/**
 * The {@link UnitOfWorkCall} of a hook call, or `undefined` when the call
 * does not come from an orchestrator.
 * @since 0.1.0
 */
export function unitOfWorkOf(call: Pick<HookCall, 'metadata'>): UnitOfWorkCall | undefined {
  const value = (call.metadata as Record<string, unknown>)[UNIT_METADATA_KEY];
  if (typeof value !== 'object' || value === null) return undefined;
  const unit = value as Partial<UnitOfWorkCall>;
  return typeof unit.unit_id === 'string' &&
    typeof unit.attempt === 'number' &&
    typeof unit.checkpoint_key === 'string'
    ? (unit as UnitOfWorkCall)
    : undefined;
}

/** A unit as kept in memory and in the state file. */
interface UnitRecord {
  unit_id: string;
  seq: number;
  plugin_name: string;
  plugin_kind: string;
  hook: string;
  args: JsonObject;
  metadata: JsonObject;
  state: UnitState;
  attempts: number;
  enqueued_at: number;
  started_at?: number;
  finished_at?: number;
  idempotency_key?: string;
  partition_key?: string;
  input_hash?: string;
  output_hash?: string;
  progress?: JsonObject;
  error?: string;
  output?: unknown;
  /** False when the output is not JSON and so is not in the state file. */
  output_persisted?: boolean;
}

interface Running {
  readonly controller: AbortController;
  done: Promise<void>;
  cancelRequested: boolean;
}

const STATE_FORMAT = 'dagstack.local_executor.state';
const STATE_VERSION = 1;
const END_STATES: ReadonlySet<UnitState> = new Set(['succeeded', 'failed', 'cancelled', 'expired']);
const DEFAULT_BACKFILL_STATES: readonly RerunnableState[] = ['failed', 'expired'];
const RERUNNABLE: ReadonlySet<string> = new Set(['failed', 'expired', 'cancelled']);
const DEFAULT_CONCURRENCY = 4;
const KIND = 'orchestrator';
/** Plugin states in which a unit waits for its plugin instead of running. */
const WAIT_STATES: ReadonlySet<string> = new Set(['registered', 'starting', 'stopping', 'stopped']);
/**
 * While `setupAll` starts a group, a plugin is `ready` a moment before the
 * dispatch engine can call it; a unit that meets that gap is retried this
 * often, up to {@link CATCH_UP_LIMIT} times, without counting an attempt.
 */
const CATCH_UP_MS = 25;
const CATCH_UP_LIMIT = 2400;

const iso = (ms: number): string => new Date(ms).toISOString();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function problem(hook: string, pointer: string, text: string, rule: string): HookValidationError {
  return new HookValidationError({
    kind: KIND,
    hook,
    direction: 'input',
    plugin: LOCAL_EXECUTOR_NAME,
    problems: [{ pointer, message: text, source: `input of ${KIND}.${hook}`, rule }],
  });
}

/**
 * The in-tree orchestrator (ADR-0003). A plugin of kind `orchestrator`,
 * in-process only, one per registry:
 *
 * - `enqueue` queues a run of a unit-of-work plugin (found by name among the
 *   registry's manifests, called through `registry.call(kind, hook, args,
 *   { target })`) and returns at once; at most `concurrency` units run at a
 *   time, and units of one partition run one after another;
 * - a second `enqueue` with the same `idempotency_key` (per plugin) returns
 *   the first unit; for `input_hash` plugins an enqueue whose input hash
 *   matches a queued, running or succeeded unit returns that unit;
 * - `status` reports state, times, progress (from {@link progress}) and error;
 * - `backfill` queues failed/expired (or cancelled) units again, by plugin,
 *   partition, enqueue time window and state; they keep their unit id, so
 *   their checkpoint key, so they resume;
 * - with a state file, every change is written atomically and `setup` loads
 *   it: a unit that was running when the process died runs again and resumes
 *   from `ctx.checkpoint`.
 *
 * A unit-of-work plugin reads {@link unitOfWorkOf}(call) for its unit id,
 * attempt and checkpoint key, saves checkpoints under that key through its
 * own `ctx.checkpoint`, and reports progress through `ctx.progress`; give the
 * registry `resources: { progress: orchestrator.progress }` so reports are
 * attributed to the unit that made them.
 *
 * Methods beyond the kind's hooks (`unit`, `wait`, `idle`, `cancel`, `flush`)
 * are for the host, in-process.
 * @since 0.1.0
 */
export class LocalExecutorOrchestrator implements OrchestratorPlugin {
  /** The manifest `registry.register(instance)` reads. */
  static readonly manifest: JsonObject = localExecutorManifest;

  /**
   * A progress sink to give the registry as the `progress` resource: a report
   * made while a unit runs is recorded on that unit (see `status`) and then
   * forwarded to `options.progress`.
   */
  readonly progress: ProgressSink;

  readonly #registry: UnitRegistry;
  readonly #options: LocalExecutorOptions;
  readonly #units = new Map<string, UnitRecord>();
  readonly #byKey = new Map<string, string>();
  readonly #byHash = new Map<string, string>();
  readonly #running = new Map<string, Running>();
  readonly #waiters = new Map<string, (() => void)[]>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #current = new AsyncLocalStorage<string>();
  readonly #now: () => number;
  readonly #newId: () => string;
  #logger: Logger = NOOP_LOGGER;
  #checkpoint: CheckpointStore | undefined;
  #concurrency: number = DEFAULT_CONCURRENCY;
  #hook: string = DEFAULT_UNIT_HOOK;
  #timeoutMs: number | undefined;
  #stateFile: string | undefined;
  #seq = 0;
  #started = false;
  #loaded = false;
  #closing = false;
  #unsubscribe: (() => void) | undefined;
  #catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #catchUps = new Map<string, number>();
  #dirty = false;
  #writing: Promise<void> | undefined;

  constructor(options: LocalExecutorOptions) {
    if (
      typeof options?.registry?.listManifests !== 'function' ||
      typeof options.registry.call !== 'function'
    ) {
      throw new PluginRegistryError('needs the registry it runs units through', {
        plugin: LOCAL_EXECUTOR_NAME,
        kind: KIND,
        hint: 'new LocalExecutorOrchestrator({ registry }) with the PluginRegistry it is registered in',
      });
    }
    this.#registry = options.registry;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomUUID;
    this.#applySettings({});
    const forward = options.progress;
    this.progress = Object.freeze({
      report: (event: ProgressEvent): void => {
        const id = this.#current.getStore();
        const unit = id === undefined ? undefined : this.#units.get(id);
        if (unit !== undefined && unit.state === 'running') {
          const next: Record<string, JsonValue> = { ...(unit.progress ?? {}) };
          if (typeof event.current === 'number' && Number.isFinite(event.current))
            next.current = event.current;
          if (typeof event.total === 'number' && Number.isFinite(event.total)) {
            next.total = event.total;
            if (event.total > 0 && typeof next.current === 'number')
              next.percent = Math.round((next.current / event.total) * 1000) / 10;
          }
          if (typeof event.message === 'string') next.message = event.message;
          unit.progress = next;
          this.#persist();
        }
        forward?.report(event);
      },
    });
  }

  #applySettings(config: Readonly<Record<string, unknown>>): void {
    const o = this.#options;
    const concurrency = o.concurrency ?? (config.concurrency as number | undefined);
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
      throw new ConfigInvalid({
        plugin: LOCAL_EXECUTOR_NAME,
        kind: KIND,
        problems: [
          {
            pointer: '/concurrency',
            message: `must be an integer >= 1, got ${String(concurrency)}`,
            source: 'LocalExecutorOptions',
            rule: 'minimum',
          },
        ],
      });
    }
    this.#concurrency = concurrency ?? DEFAULT_CONCURRENCY;
    this.#hook = o.hook ?? (config.hook as string | undefined) ?? DEFAULT_UNIT_HOOK;
    const timeoutSec = config.unit_timeout_sec as number | undefined;
    this.#timeoutMs = o.unitTimeoutMs ?? (timeoutSec === undefined ? undefined : timeoutSec * 1000);
    const file = o.stateFile ?? (config.state_file as string | undefined);
    this.#stateFile = file === undefined ? undefined : resolve(file);
  }

  // ---------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------

  /** Read the configuration, load the state file (when there is one) and start queued units. */
  async setup(ctx: PluginContext): Promise<void> {
    this.#logger = ctx.logger;
    this.#checkpoint = ctx.checkpoint;
    this.#applySettings(ctx.config);
    this.#closing = false;
    if (this.#stateFile !== undefined && !this.#loaded) await this.#load(this.#stateFile);
    this.#loaded = true;
    this.#started = true;
    this.#unsubscribe = this.#registry.on?.('state', (change) => {
      // A plugin became callable (or stopped): units waiting for it may start.
      if (change.to === 'ready' || change.to === 'degraded') setImmediate(() => this.#pump());
    });
    this.#persist();
    this.#pump();
  }

  /**
   * Stop: running units are cancelled and go back to `queued` (a restart with
   * the same state file resumes them), and the state file is flushed.
   */
  async teardown(): Promise<boolean> {
    this.#closing = true;
    this.#started = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#catchUpTimer !== undefined) clearTimeout(this.#catchUpTimer);
    this.#catchUpTimer = undefined;
    const running = [...this.#running.values()];
    for (const run of running) run.controller.abort(new Error('the orchestrator is stopping'));
    await Promise.all(running.map((r) => r.done));
    await this.flush();
    this.#checkIdle();
    return true;
  }

  /** `ok`, with the queue's counts in `details`. */
  health(): HealthStatus {
    const counts: Record<string, number> = {};
    for (const unit of this.#units.values()) counts[unit.state] = (counts[unit.state] ?? 0) + 1;
    return {
      status: 'ok',
      details: { concurrency: this.#concurrency, running: this.#running.size, units: counts },
    };
  }

  // ---------------------------------------------------------------------------
  // Hooks of the orchestrator kind
  // ---------------------------------------------------------------------------

  /**
   * Queue a run of `plugin_name` with `args`. Returns at once with the unit
   * id; `deduplicated` is true when an existing unit was returned (same
   * `idempotency_key` for this plugin, or same input hash for an
   * `input_hash` plugin while that unit is queued, running or succeeded).
   * Throws `HookValidationError` for a malformed input, `SerializationError`
   * when `args` is not plain JSON, `PluginUnavailable` when no plugin has that
   * name and `AmbiguousPlugin` when several kinds do.
   */
  enqueue(input: EnqueueInput, call?: HookCall): EnqueueOutput {
    if (!isObject(input)) throw problem('enqueue', '', 'must be an object', 'type');
    if (typeof input.plugin_name !== 'string' || input.plugin_name === '')
      throw problem('enqueue', '/plugin_name', 'is required (a plugin name)', 'required');
    if (!isObject(input.args)) throw problem('enqueue', '/args', 'must be an object', 'type');
    for (const field of ['idempotency_key', 'partition_key'] as const) {
      if (input[field] !== undefined && typeof input[field] !== 'string')
        throw problem('enqueue', `/${field}`, 'must be a string', 'type');
    }
    const name = input.plugin_name;
    if (input.idempotency_key !== undefined) {
      const existing = this.#byKey.get(keyOf(name, input.idempotency_key));
      if (existing !== undefined) return { unit_id: existing, deduplicated: true };
    }
    assertJsonValue(input.args, `arguments of unit-of-work plugin "${name}"`);
    const args = structuredClone(input.args) as JsonObject;
    const manifest = this.#findPlugin(name);
    const uow = manifest.unit_of_work;
    let inputHash: string | undefined;
    if (uow.idempotency_mode === 'input_hash') {
      inputHash = unitInputHash(name, args, uow.content_hash);
      const previous = this.#byHash.get(inputHash);
      const prior = previous === undefined ? undefined : this.#units.get(previous);
      if (
        prior !== undefined &&
        prior.state !== 'failed' &&
        prior.state !== 'expired' &&
        prior.state !== 'cancelled'
      ) {
        if (input.idempotency_key !== undefined)
          this.#byKey.set(keyOf(name, input.idempotency_key), prior.unit_id);
        this.#persist();
        return { unit_id: prior.unit_id, deduplicated: true };
      }
    }
    const partition =
      input.partition_key ??
      (uow.partition_key === null ? undefined : partitionFromArgs(args, uow.partition_key));
    const hookOverride = manifest.metadata.unit_of_work_hook;
    const metadata = call?.metadata ?? {};
    assertJsonValue(metadata, 'call metadata');
    const unit: UnitRecord = {
      unit_id: this.#newId(),
      seq: ++this.#seq,
      plugin_name: name,
      plugin_kind: manifest.kind,
      hook: typeof hookOverride === 'string' ? hookOverride : this.#hook,
      args,
      metadata: structuredClone(metadata) as JsonObject,
      state: 'queued',
      attempts: 0,
      enqueued_at: this.#now(),
      ...(input.idempotency_key === undefined ? {} : { idempotency_key: input.idempotency_key }),
      ...(partition === undefined ? {} : { partition_key: partition }),
      ...(inputHash === undefined ? {} : { input_hash: inputHash }),
    };
    this.#add(unit);
    this.#logger.debug('unit queued', {
      unit_id: unit.unit_id,
      plugin: name,
      kind: unit.plugin_kind,
    });
    this.#persist();
    this.#pump();
    return { unit_id: unit.unit_id, deduplicated: false };
  }

  /** State, times, progress and error of a unit. Throws {@link UnitNotFound} for an unknown id. */
  status(input: StatusInput): StatusOutput {
    if (!isObject(input) || typeof input.unit_id !== 'string')
      throw problem('status', '/unit_id', 'is required (the id enqueue returned)', 'required');
    const unit = this.#get(input.unit_id);
    return {
      unit_id: unit.unit_id,
      state: unit.state,
      ...(unit.started_at === undefined ? {} : { started_at: iso(unit.started_at) }),
      ...(unit.finished_at === undefined ? {} : { finished_at: iso(unit.finished_at) }),
      progress: { attempt: unit.attempts, ...(unit.progress ?? {}) },
      ...(unit.error === undefined ? {} : { error: unit.error }),
    };
  }

  /**
   * Queue again the units in one of `states` (default failed and expired)
   * that match every given filter: `plugin_name`, `partition_key`, and an
   * enqueue time in [`since`, `until`). They keep their unit id and
   * checkpoint key. Units that match the filters but are queued or running
   * already — or whose input hash is held by another live unit — are counted
   * in `skipped_count`.
   */
  backfill(input: BackfillInput = {}): BackfillOutput {
    if (!isObject(input)) throw problem('backfill', '', 'must be an object', 'type');
    const states = new Set<string>(input.states ?? DEFAULT_BACKFILL_STATES);
    for (const state of states) {
      if (!RERUNNABLE.has(state))
        throw problem('backfill', '/states', `"${state}" cannot be run again`, 'enum');
    }
    const time = (field: 'since' | 'until'): number | undefined => {
      const value = input[field];
      if (value === undefined) return undefined;
      const ms = Date.parse(value);
      if (Number.isNaN(ms))
        throw problem('backfill', `/${field}`, 'must be an RFC 3339 date-time', 'format');
      return ms;
    };
    const since = time('since');
    const until = time('until');
    let enqueued = 0;
    let skipped = 0;
    for (const unit of this.#ordered()) {
      if (input.plugin_name !== undefined && unit.plugin_name !== input.plugin_name) continue;
      if (input.partition_key !== undefined && unit.partition_key !== input.partition_key) continue;
      if (since !== undefined && unit.enqueued_at < since) continue;
      if (until !== undefined && unit.enqueued_at >= until) continue;
      if (unit.state === 'queued' || unit.state === 'running') {
        skipped += 1;
        continue;
      }
      if (!states.has(unit.state)) continue;
      if (unit.input_hash !== undefined) {
        const holder = this.#units.get(this.#byHash.get(unit.input_hash) ?? '');
        if (holder !== undefined && holder !== unit && !RERUNNABLE.has(holder.state)) {
          skipped += 1;
          continue;
        }
        this.#byHash.set(unit.input_hash, unit.unit_id);
      }
      unit.state = 'queued';
      unit.seq = ++this.#seq;
      delete unit.started_at;
      delete unit.finished_at;
      delete unit.error;
      enqueued += 1;
    }
    if (enqueued > 0) {
      this.#logger.info('units queued again', { enqueued, skipped });
      this.#persist();
      this.#pump();
    }
    return { enqueued_count: enqueued, skipped_count: skipped };
  }

  // ---------------------------------------------------------------------------
  // Host API (in-process)
  // ---------------------------------------------------------------------------

  /** Everything known of a unit, its output included. Throws {@link UnitNotFound}. */
  unit(unitId: string): UnitSnapshot {
    const unit = this.#get(unitId);
    const {
      seq: _seq,
      metadata: _metadata,
      output_persisted: _persisted,
      started_at: _started,
      finished_at: _finished,
      ...rest
    } = unit;
    return {
      ...rest,
      enqueued_at: iso(unit.enqueued_at),
      ...(unit.started_at === undefined ? {} : { started_at: iso(unit.started_at) }),
      ...(unit.finished_at === undefined ? {} : { finished_at: iso(unit.finished_at) }),
    };
  }

  /** Every unit, in enqueue order. */
  units(): UnitSnapshot[] {
    return [...this.#units.values()]
      .sort((a, b) => a.enqueued_at - b.enqueued_at || a.unit_id.localeCompare(b.unit_id))
      .map((u) => this.unit(u.unit_id));
  }

  /** Resolves with the unit's status once it is in an end state (at once if it is). */
  wait(unitId: string): Promise<StatusOutput> {
    const unit = this.#get(unitId);
    if (END_STATES.has(unit.state)) return Promise.resolve(this.status({ unit_id: unitId }));
    return new Promise((resolveWait) => {
      const list = this.#waiters.get(unitId) ?? [];
      list.push(() => resolveWait(this.status({ unit_id: unitId })));
      this.#waiters.set(unitId, list);
    });
  }

  /** Resolves once nothing is running and nothing is queued (and the state file is written). */
  async idle(): Promise<void> {
    if (!this.#isIdle()) await new Promise<void>((r) => this.#idleWaiters.push(r));
    await this.flush();
  }

  /**
   * Cancel a unit: a queued one becomes `cancelled` at once, a running one is
   * aborted (`call.signal`) and becomes `cancelled` when its call returns.
   * Returns false when the unit had ended already.
   */
  cancel(unitId: string): boolean {
    const unit = this.#get(unitId);
    if (unit.state === 'queued') {
      this.#end(unit, 'cancelled', 'cancelled before it started');
      return true;
    }
    const run = this.#running.get(unitId);
    if (run === undefined) return false;
    run.cancelRequested = true;
    run.controller.abort(new Error('cancelled'));
    return true;
  }

  /** Resolves once the state file holds every change made so far. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  // ---------------------------------------------------------------------------
  // Running units
  // ---------------------------------------------------------------------------

  #pump(): void {
    if (!this.#started || this.#closing) return;
    if (this.#running.size >= this.#concurrency) return;
    const busy = new Set<string>();
    for (const id of this.#running.keys()) {
      const p = this.#units.get(id)?.partition_key;
      if (p !== undefined) busy.add(p);
    }
    const waiting = this.#waitingPlugins();
    for (const unit of this.#ordered()) {
      if (this.#running.size >= this.#concurrency) break;
      if (unit.state !== 'queued') continue;
      if (waiting.has(pluginKey(unit))) continue;
      if (unit.partition_key !== undefined) {
        // Units of one partition run one after another (ADR-0003 §5).
        if (busy.has(unit.partition_key)) continue;
        busy.add(unit.partition_key);
      }
      this.#start(unit);
    }
    this.#checkIdle();
  }

  #start(unit: UnitRecord): void {
    unit.state = 'running';
    unit.attempts += 1;
    unit.started_at = this.#now();
    delete unit.finished_at;
    delete unit.error;
    const run: Running = {
      controller: new AbortController(),
      cancelRequested: false,
      done: Promise.resolve(),
    };
    run.done = run.done.then(() => this.#execute(unit, run));
    this.#running.set(unit.unit_id, run);
    this.#persist();
  }

  async #execute(unit: UnitRecord, run: Running): Promise<void> {
    const checkpointKey = `units/${unit.unit_id}`;
    const unitCall: UnitOfWorkCall = {
      unit_id: unit.unit_id,
      attempt: unit.attempts,
      checkpoint_key: checkpointKey,
      ...(unit.partition_key === undefined ? {} : { partition_key: unit.partition_key }),
    };
    try {
      const resumed =
        this.#checkpoint === undefined
          ? undefined
          : (await this.#checkpoint.load(checkpointKey).catch(() => undefined)) !== undefined;
      unit.progress = {
        ...(unit.progress ?? {}),
        checkpoint_key: checkpointKey,
        ...(resumed === undefined ? {} : { resumed_from_checkpoint: resumed }),
      };
      this.#logger.info('unit started', {
        unit_id: unit.unit_id,
        plugin: unit.plugin_name,
        attempt: unit.attempts,
        ...(resumed === undefined ? {} : { resumed }),
      });
      const output = await this.#current.run(unit.unit_id, () =>
        this.#registry.call(unit.plugin_kind, unit.hook, unit.args, {
          target: unit.plugin_name,
          metadata: { ...unit.metadata, [UNIT_METADATA_KEY]: { ...unitCall } },
          signal: run.controller.signal,
          ...(this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs }),
        }),
      );
      unit.output = output;
      unit.output_persisted = true;
      try {
        assertJsonValue(output);
        if (this.#isOutputHash(unit)) unit.output_hash = jsonHash(output);
      } catch {
        unit.output_persisted = false;
      }
      await this.#checkpoint?.delete(checkpointKey).catch((error: unknown) => {
        this.#logger.warn('could not delete the checkpoint of a finished unit', {
          unit_id: unit.unit_id,
          error: message(error),
        });
      });
      this.#catchUps.delete(unit.unit_id);
      this.#end(unit, 'succeeded');
    } catch (error) {
      const pluginState = this.#pluginState(unit);
      if (run.cancelRequested) this.#end(unit, 'cancelled', 'cancelled');
      else if (this.#closing || (pluginState !== undefined && WAIT_STATES.has(pluginState))) {
        // Interrupted, not failed: it runs again (from its checkpoint) when
        // the plugin is back, or at the next start with the state file.
        unit.state = 'queued';
        delete unit.started_at;
        this.#logger.info('unit interrupted; queued again', { unit_id: unit.unit_id });
      } else if (this.#catchingUp(unit, error, pluginState)) {
        unit.state = 'queued';
        unit.attempts -= 1;
        delete unit.started_at;
        this.#logger.debug('unit waits until its plugin is callable', {
          unit_id: unit.unit_id,
          plugin: unit.plugin_name,
          error: message(error),
        });
        this.#catchUpTimer ??= setTimeout(() => {
          this.#catchUpTimer = undefined;
          this.#pump();
        }, CATCH_UP_MS);
        this.#catchUpTimer.unref?.();
      } else if (isHookTimeout(error)) this.#end(unit, 'expired', message(error));
      else this.#end(unit, 'failed', message(error));
    } finally {
      this.#running.delete(unit.unit_id);
      this.#persist();
      this.#pump();
    }
  }

  #end(unit: UnitRecord, state: UnitState, error?: string): void {
    unit.state = state;
    unit.finished_at = this.#now();
    if (error !== undefined) unit.error = error;
    if (state !== 'succeeded') {
      this.#logger.warn(`unit ${state}`, {
        unit_id: unit.unit_id,
        plugin: unit.plugin_name,
        attempt: unit.attempts,
        ...(error === undefined ? {} : { error }),
      });
    }
    this.#persist();
    const waiters = this.#waiters.get(unit.unit_id);
    this.#waiters.delete(unit.unit_id);
    for (const notify of waiters ?? []) notify();
    this.#checkIdle();
  }

  #pluginState(unit: UnitRecord): string | undefined {
    return this.#registry
      .status?.()
      .find((r) => r.name === unit.plugin_name && r.kind === unit.plugin_kind)?.state;
  }

  /** `kind/name` of the plugins units must wait for (see {@link WAIT_STATES}). */
  #waitingPlugins(): ReadonlySet<string> {
    const rows = this.#registry.status?.() ?? [];
    return new Set(rows.filter((r) => WAIT_STATES.has(r.state)).map((r) => `${r.kind}/${r.name}`));
  }

  /** Whether a failed call met the gap between `ready` and callable (see {@link CATCH_UP_MS}). */
  #catchingUp(unit: UnitRecord, error: unknown, pluginState: string | undefined): boolean {
    if (pluginState !== 'ready' && pluginState !== 'degraded') return false;
    if (!isPluginError(error, PluginUnavailable.code) && !isPluginError(error, KindUnknown.code))
      return false;
    const tries = (this.#catchUps.get(unit.unit_id) ?? 0) + 1;
    if (tries > CATCH_UP_LIMIT) {
      this.#catchUps.delete(unit.unit_id);
      return false;
    }
    this.#catchUps.set(unit.unit_id, tries);
    return true;
  }

  #isOutputHash(unit: UnitRecord): boolean {
    const manifest = this.#registry
      .listManifests()
      .find((m) => m.name === unit.plugin_name && m.kind === unit.plugin_kind);
    return manifest?.unit_of_work.idempotency_mode === 'output_hash';
  }

  #isIdle(): boolean {
    if (this.#running.size > 0) return false;
    if (!this.#started) return true;
    if (this.#catchUpTimer !== undefined) return false;
    const waiting = this.#waitingPlugins();
    for (const unit of this.#units.values()) {
      if (unit.state === 'queued' && !waiting.has(pluginKey(unit))) return false;
    }
    return true;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    for (const notify of this.#idleWaiters.splice(0)) notify();
  }

  // ---------------------------------------------------------------------------
  // Bookkeeping
  // ---------------------------------------------------------------------------

  #findPlugin(name: string): PluginManifest {
    const all = this.#registry.listManifests().filter((m) => m.name === name && m.kind !== KIND);
    const declared = all.filter((m) => m.unit_of_work.declared);
    const pick = declared.length > 0 ? declared : all;
    if (pick.length === 1) return pick[0] as PluginManifest;
    if (pick.length === 0) {
      throw new PluginUnavailable({
        plugin: name,
        reason: 'no plugin of that name is registered',
        hint: 'enqueue the manifest name of a registered unit-of-work plugin',
      });
    }
    throw new AmbiguousPlugin({
      plugin: name,
      kind: pick.map((m) => m.kind).join(', '),
      candidates: pick.map((m) => `${m.kind}/${m.name}`),
      reason: 'duplicate_name',
      hint: 'give the unit-of-work plugins distinct names, or declare [plugin.unit_of_work] on the one to run',
    });
  }

  #get(unitId: string): UnitRecord {
    const unit = this.#units.get(unitId);
    if (unit === undefined)
      throw new UnitNotFound({ unitId, plugin: LOCAL_EXECUTOR_NAME, kind: KIND });
    return unit;
  }

  #add(unit: UnitRecord): void {
    this.#units.set(unit.unit_id, unit);
    if (unit.idempotency_key !== undefined)
      this.#byKey.set(keyOf(unit.plugin_name, unit.idempotency_key), unit.unit_id);
    if (unit.input_hash !== undefined) {
      const holder = this.#units.get(this.#byHash.get(unit.input_hash) ?? '');
      // The index points at the unit that answers for the hash: a live one over an ended one.
      if (holder === undefined || RERUNNABLE.has(holder.state) || holder.seq < unit.seq)
        this.#byHash.set(unit.input_hash, unit.unit_id);
    }
    if (unit.seq > this.#seq) this.#seq = unit.seq;
  }

  #ordered(): UnitRecord[] {
    return [...this.#units.values()].sort((a, b) => a.seq - b.seq);
  }

  // ---------------------------------------------------------------------------
  // Persistence
  // ---------------------------------------------------------------------------

  #persist(): void {
    // Before setup has read the state file, writing would overwrite it.
    if (this.#stateFile === undefined || !this.#loaded) return;
    this.#dirty = true;
    this.#writing ??= this.#writeLoop(this.#stateFile).finally(() => {
      this.#writing = undefined;
    });
  }

  async #writeLoop(file: string): Promise<void> {
    // One writer; changes made while a write is under way are written next.
    while (this.#dirty) {
      this.#dirty = false;
      try {
        await writeJsonAtomic(file, `${JSON.stringify(this.#snapshot(), null, 2)}\n`);
      } catch (error) {
        this.#logger.error('could not write the orchestrator state file', {
          path: file,
          error: message(error),
        });
      }
    }
  }

  #snapshot(): JsonObject {
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      units: this.#ordered().map((unit) => {
        const { output, output_persisted, ...rest } = unit;
        return {
          ...rest,
          ...(output_persisted === true && unit.state === 'succeeded'
            ? { output: output as JsonValue }
            : {}),
        } as JsonObject;
      }),
    };
  }

  async #load(file: string): Promise<void> {
    const data = await readJsonFile(file);
    if (data === undefined) return;
    if (
      !isObject(data) ||
      data.format !== STATE_FORMAT ||
      data.version !== STATE_VERSION ||
      !Array.isArray(data.units)
    ) {
      throw new PluginRegistryError('the state file is not an orchestrator state file', {
        plugin: LOCAL_EXECUTOR_NAME,
        kind: KIND,
        path: file,
        hint: `point state_file at a file of format "${STATE_FORMAT}" version ${STATE_VERSION}, or at a new path`,
      });
    }
    let resumed = 0;
    for (const raw of data.units) {
      if (!isObject(raw) || typeof raw.unit_id !== 'string' || this.#units.has(raw.unit_id))
        continue;
      const unit = raw as unknown as UnitRecord;
      if (unit.state === 'running') {
        // The process stopped while it ran: run it again, from its checkpoint.
        unit.state = 'queued';
        delete unit.started_at;
        resumed += 1;
      }
      if (unit.output !== undefined) unit.output_persisted = true;
      this.#add(unit);
    }
    this.#logger.info('orchestrator state loaded', {
      path: file,
      units: this.#units.size,
      interrupted: resumed,
    });
  }
}

function pluginKey(unit: UnitRecord): string {
  return `${unit.plugin_kind}/${unit.plugin_name}`;
}

function keyOf(plugin: string, key: string): string {
  return `${plugin}\u0000${key}`;
}

function partitionFromArgs(args: JsonObject, field: string): string | undefined {
  const value = args[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
