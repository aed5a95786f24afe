/**
 * The public types of the in-tree orchestrator: what it needs of the host's
 * registry (`UnitRegistry`), its options, what a unit-of-work call carries
 * in its metadata (`UnitOfWorkCall`, `unitOfWorkOf`) and what the host API
 * reports of a unit (`UnitSnapshot`). Re-exported by local-executor.ts.
 *
 * Owns: these shapes and the metadata key. A leaf module: it imports only
 * from packages and the generated kind, never another file of this folder,
 * and holds no state.
 */

import type {
  CallMetadata,
  HookCall,
  JsonObject,
  PluginManifest,
  ProgressSink,
} from '@dagstack/plugin-api';
import type { UnitState } from '../generated/kinds/orchestrator/v1.js';

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
  /** Where units' progress updates and events are forwarded too (after the orchestrator records them). */
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
   * deletes it when the unit succeeds. Save with the `expectedVersion` you
   * loaded (or `null` when there was none) and then with each version `save`
   * returns, so a stale attempt cannot overwrite a newer one's checkpoint.
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
  /** Aggregate of the unit's progress updates and events and the orchestrator's own notes. */
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
