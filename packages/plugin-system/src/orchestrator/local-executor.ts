/**
 * `LocalExecutorOrchestrator`: the mandatory in-tree plugin of kind
 * `orchestrator` (ADR-0003 §Default in-tree implementation). Runs
 * unit-of-work plugins in this process through the registry, with a
 * concurrency limit, idempotent enqueue, status, backfill, checkpoint resume
 * and an optional JSON state file that a restart resumes from.
 *
 * This file is the thin class that composes the modules of this folder and
 * answers the kind's hooks and the host API. Owns: the plugin's lifecycle
 * (the settings, logger and checkpoint store in effect, the subscription to
 * plugin state changes) and the building of a new unit's record at
 * `enqueue`. May not touch: the private state of the modules it composes;
 * unit table (unit-store.ts), idempotency indexes (idempotency.ts), running
 * units (runner.ts), progress (progress.ts) and the state file
 * (persistence.ts) are reached through their methods only.
 */

import { randomUUID } from 'node:crypto';
import {
  type CheckpointStore,
  type HealthStatus,
  type HookCall,
  type JsonObject,
  type Logger,
  NOOP_LOGGER,
  type PluginContext,
  PluginRegistryError,
  type ProgressSink,
} from '@dagstack/plugin-api';
import { assertJsonValue } from '@dagstack/plugin-resources';
import type {
  BackfillInput,
  BackfillOutput,
  EnqueueInput,
  EnqueueOutput,
  OrchestratorPlugin,
  StatusInput,
  StatusOutput,
} from '../generated/kinds/orchestrator/v1.js';
import { unitInputHash } from './hash.js';
import { IdempotencyIndex } from './idempotency.js';
import { checkEnqueueInput, checkStatusInput, parseBackfillInput } from './inputs.js';
import { LOCAL_EXECUTOR_NAME, localExecutorManifest } from './manifest.js';
import { StatePersistence } from './persistence.js';
import { UnitProgress } from './progress.js';
import { byEnqueueTime, requeueMatching, snapshotOf, statusOf } from './queries.js';
import { findUnitPlugin } from './registry-view.js';
import { UnitRunner } from './runner.js';
import { type ExecutorSettings, resolveSettings } from './settings.js';
import type { LocalExecutorOptions, UnitRegistry, UnitSnapshot } from './types.js';
import { END_STATES, KIND, type UnitRecord } from './unit-record.js';
import { UnitStore } from './unit-store.js';

export type {
  LocalExecutorOptions,
  UnitOfWorkCall,
  UnitRegistry,
  UnitSnapshot,
} from './types.js';
export { UNIT_METADATA_KEY, unitOfWorkOf } from './types.js';

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
 * attributed to the unit that made them. A plugin that passes each save the
 * version it loaded or last saved (`expectedVersion`) cannot have its
 * checkpoint overwritten by an earlier attempt that is still running (an
 * expired one, say): that attempt's next save is a `CheckpointConflict`.
 * A unit's `progress` notes `resumed_from_version` when an attempt found a
 * checkpoint.
 *
 * Methods beyond the kind's hooks (`unit`, `wait`, `idle`, `cancel`, `flush`)
 * are for the host, in-process.
 * @since 0.1.0
 */
export class LocalExecutorOrchestrator implements OrchestratorPlugin {
  /** The manifest `registry.register(instance)` reads. */
  static readonly manifest: JsonObject = localExecutorManifest;

  /**
   * A progress sink to give the registry as the `progress` resource: an
   * update or event made while a unit runs is recorded on that unit
   * (`percent`, `message`, `payload`, `last_event`; see `status`) and then
   * forwarded to `options.progress`.
   */
  readonly progress: ProgressSink;

  readonly #registry: UnitRegistry;
  readonly #options: LocalExecutorOptions;
  readonly #units = new UnitStore();
  readonly #index = new IdempotencyIndex((unitId) => this.#units.find(unitId));
  readonly #progress = new UnitProgress();
  readonly #runner: UnitRunner;
  readonly #state: StatePersistence;
  readonly #now: () => number;
  readonly #newId: () => string;
  #settings: ExecutorSettings;
  #logger: Logger = NOOP_LOGGER;
  #checkpoint: CheckpointStore | undefined;
  #unsubscribe: (() => void) | undefined;

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
    this.#settings = resolveSettings(options, {});
    const orchestrator = this;
    this.#runner = new UnitRunner({
      registry: this.#registry,
      units: this.#units,
      progress: this.#progress,
      get logger() {
        return orchestrator.#logger;
      },
      get checkpoint() {
        return orchestrator.#checkpoint;
      },
      get concurrency() {
        return orchestrator.#settings.concurrency;
      },
      get timeoutMs() {
        return orchestrator.#settings.timeoutMs;
      },
      now: () => this.#now(),
      persist: () => this.#state.persist(),
    });
    this.#state = new StatePersistence({
      get file() {
        return orchestrator.#settings.stateFile;
      },
      get logger() {
        return orchestrator.#logger;
      },
      get count() {
        return orchestrator.#units.size;
      },
      ordered: () => this.#units.ordered(),
      has: (unitId) => this.#units.has(unitId),
      add: (unit) => this.#add(unit),
    });
    this.progress = this.#progress.sink(
      (unitId) => this.#units.find(unitId),
      () => this.#state.persist(),
      options.progress,
    );
  }

  // ---------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------

  /** Read the configuration, load the state file (when there is one) and start queued units. */
  async setup(ctx: PluginContext): Promise<void> {
    this.#logger = ctx.logger;
    this.#checkpoint = ctx.checkpoint;
    this.#settings = resolveSettings(this.#options, ctx.config);
    this.#runner.reopen();
    const loading = this.#state.load();
    if (loading !== undefined) await loading;
    this.#state.loaded();
    this.#runner.open();
    this.#unsubscribe = this.#registry.on?.('state', (change) => {
      // A plugin became callable (or stopped): units waiting for it may start.
      if (change.to === 'ready' || change.to === 'degraded')
        setImmediate(() => this.#runner.pump());
    });
    this.#state.persist();
    this.#runner.pump();
  }

  /**
   * Stop: running units are cancelled and go back to `queued` (a restart with
   * the same state file resumes them), and the state file is flushed.
   */
  async teardown(): Promise<boolean> {
    this.#runner.close();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#runner.abortAll();
    await this.flush();
    this.#runner.checkIdle();
    return true;
  }

  /** `ok`, with the queue's counts in `details`. */
  health(): HealthStatus {
    const counts: Record<string, number> = {};
    for (const unit of this.#units.values()) counts[unit.state] = (counts[unit.state] ?? 0) + 1;
    return {
      status: 'ok',
      details: {
        concurrency: this.#settings.concurrency,
        running: this.#runner.runningCount,
        units: counts,
      },
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
    checkEnqueueInput(input);
    const name = input.plugin_name;
    if (input.idempotency_key !== undefined) {
      const existing = this.#index.byKey(name, input.idempotency_key);
      if (existing !== undefined) return { unit_id: existing, deduplicated: true };
    }
    assertJsonValue(input.args, `arguments of unit-of-work plugin "${name}"`);
    const args = structuredClone(input.args) as JsonObject;
    const manifest = findUnitPlugin(this.#registry, name);
    const uow = manifest.unit_of_work;
    let inputHash: string | undefined;
    if (uow.idempotency_mode === 'input_hash') {
      inputHash = unitInputHash(name, args, uow.content_hash);
      const prior = this.#index.liveHolder(inputHash);
      if (prior !== undefined) {
        if (input.idempotency_key !== undefined)
          this.#index.bindKey(name, input.idempotency_key, prior.unit_id);
        this.#state.persist();
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
      seq: this.#units.nextSeq(),
      plugin_name: name,
      plugin_kind: manifest.kind,
      hook: typeof hookOverride === 'string' ? hookOverride : this.#settings.hook,
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
    this.#state.persist();
    this.#runner.pump();
    return { unit_id: unit.unit_id, deduplicated: false };
  }

  /** State, times, progress and error of a unit. Throws {@link UnitNotFound} for an unknown id. */
  status(input: StatusInput): StatusOutput {
    checkStatusInput(input);
    return statusOf(this.#units.get(input.unit_id));
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
    const filter = parseBackfillInput(input);
    const { enqueued, skipped } = requeueMatching(filter, this.#units, this.#index);
    if (enqueued > 0) {
      this.#logger.info('units queued again', { enqueued, skipped });
      this.#state.persist();
      this.#runner.pump();
    }
    return { enqueued_count: enqueued, skipped_count: skipped };
  }

  // ---------------------------------------------------------------------------
  // Host API (in-process)
  // ---------------------------------------------------------------------------

  /** Everything known of a unit, its output included. Throws {@link UnitNotFound}. */
  unit(unitId: string): UnitSnapshot {
    return snapshotOf(this.#units.get(unitId));
  }

  /** Every unit, in enqueue order. */
  units(): UnitSnapshot[] {
    return [...this.#units.values()].sort(byEnqueueTime).map((u) => this.unit(u.unit_id));
  }

  /** Resolves with the unit's status once it is in an end state (at once if it is). */
  wait(unitId: string): Promise<StatusOutput> {
    const unit = this.#units.get(unitId);
    if (END_STATES.has(unit.state)) return Promise.resolve(this.status({ unit_id: unitId }));
    return new Promise((resolveWait) => {
      this.#runner.whenEnded(unitId, () => resolveWait(this.status({ unit_id: unitId })));
    });
  }

  /** Resolves once nothing is running and nothing is queued (and the state file is written). */
  async idle(): Promise<void> {
    if (!this.#runner.isIdle()) await new Promise<void>((r) => this.#runner.whenIdle(r));
    await this.flush();
  }

  /**
   * Cancel a unit: a queued one becomes `cancelled` at once, a running one is
   * aborted (`call.signal`) and becomes `cancelled` when its call returns.
   * Returns false when the unit had ended already.
   */
  cancel(unitId: string): boolean {
    return this.#runner.cancel(this.#units.get(unitId));
  }

  /** Resolves once the state file holds every change made so far. */
  flush(): Promise<void> {
    return this.#state.flush();
  }

  /** Keep a unit: in the unit table, then in the idempotency indexes. */
  #add(unit: UnitRecord): void {
    this.#units.add(unit);
    this.#index.add(unit);
  }
}

function partitionFromArgs(args: JsonObject, field: string): string | undefined {
  const value = args[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
