/**
 * Status and backfill over the unit table: the `status` answer and the host's
 * `UnitSnapshot` of a unit, their order, and the selection of the units a
 * `backfill` queues again.
 *
 * Owns: the views (new objects with RFC 3339 times; `args`, `progress` and
 * `output` are the record's own) and, on backfill, a selected record's `state`, `seq`,
 * `started_at`, `finished_at` and `error`. May not touch: the running table,
 * the state file or the pump (the caller persists and pumps), and the input
 * hash index only through `IdempotencyIndex.claim`.
 */

import type { StatusOutput } from '../generated/kinds/orchestrator/v1.js';
import type { IdempotencyIndex } from './idempotency.js';
import type { BackfillFilter } from './inputs.js';
import type { UnitSnapshot } from './types.js';
import { iso, type UnitRecord } from './unit-record.js';
import type { UnitStore } from './unit-store.js';

/** What `status` reports of a unit. */
export function statusOf(unit: UnitRecord): StatusOutput {
  return {
    unit_id: unit.unit_id,
    state: unit.state,
    ...(unit.started_at === undefined ? {} : { started_at: iso(unit.started_at) }),
    ...(unit.finished_at === undefined ? {} : { finished_at: iso(unit.finished_at) }),
    progress: { attempt: unit.attempts, ...(unit.progress ?? {}) },
    ...(unit.error === undefined ? {} : { error: unit.error }),
  };
}

/** Everything known of a unit, its output included, with RFC 3339 times. */
export function snapshotOf(unit: UnitRecord): UnitSnapshot {
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

/** Enqueue order for the host's listing: enqueue time, then unit id. */
export function byEnqueueTime(a: UnitRecord, b: UnitRecord): number {
  return a.enqueued_at - b.enqueued_at || a.unit_id.localeCompare(b.unit_id);
}

/** How a backfill went. */
export interface Requeued {
  /** Units queued again. */
  readonly enqueued: number;
  /** Units that matched but were queued or running, or whose input hash another live unit holds. */
  readonly skipped: number;
}

/**
 * Queue again, in running order, the units that match `filter`: they keep
 * their unit id (so their checkpoint key) and go to the end of the queue.
 */
export function requeueMatching(
  filter: BackfillFilter,
  units: UnitStore,
  index: IdempotencyIndex,
): Requeued {
  const { pluginName, partitionKey, since, until, states } = filter;
  let enqueued = 0;
  let skipped = 0;
  for (const unit of units.ordered()) {
    if (pluginName !== undefined && unit.plugin_name !== pluginName) continue;
    if (partitionKey !== undefined && unit.partition_key !== partitionKey) continue;
    if (since !== undefined && unit.enqueued_at < since) continue;
    if (until !== undefined && unit.enqueued_at >= until) continue;
    if (unit.state === 'queued' || unit.state === 'running') {
      skipped += 1;
      continue;
    }
    if (!states.has(unit.state)) continue;
    if (!index.claim(unit)) {
      skipped += 1;
      continue;
    }
    unit.state = 'queued';
    unit.seq = units.nextSeq();
    delete unit.started_at;
    delete unit.finished_at;
    delete unit.error;
    enqueued += 1;
  }
  return { enqueued, skipped };
}
