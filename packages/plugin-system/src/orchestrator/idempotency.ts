/**
 * Idempotent enqueue: the per-plugin `idempotency_key` index and the input
 * hash index of `input_hash` plugins (ADR-0003 §7), with the rule that the
 * hash belongs to the live unit (queued, running or succeeded) over an ended
 * one.
 *
 * Owns: both indexes. May not touch: the unit table (it looks units up
 * through the function it is given) or any record field; it reads `state`,
 * `seq`, `idempotency_key` and `input_hash` only.
 */

import { RERUNNABLE, type UnitRecord } from './unit-record.js';

function keyOf(plugin: string, key: string): string {
  return `${plugin}\u0000${key}`;
}

/** Which unit answers for an idempotency key or an input hash. */
export class IdempotencyIndex {
  readonly #find: (unitId: string) => UnitRecord | undefined;
  readonly #byKey = new Map<string, string>();
  readonly #byHash = new Map<string, string>();

  /** `find` looks a unit up by id (the unit table's). */
  constructor(find: (unitId: string) => UnitRecord | undefined) {
    this.#find = find;
  }

  /** Index a unit just added to the table (enqueued, or read from the state file). */
  add(unit: UnitRecord): void {
    if (unit.idempotency_key !== undefined)
      this.#byKey.set(keyOf(unit.plugin_name, unit.idempotency_key), unit.unit_id);
    if (unit.input_hash !== undefined) {
      const holder = this.#holder(unit.input_hash);
      // The index points at the unit that answers for the hash: a live one over an ended one.
      if (holder === undefined || RERUNNABLE.has(holder.state) || holder.seq < unit.seq)
        this.#byHash.set(unit.input_hash, unit.unit_id);
    }
  }

  /** Id of the unit enqueued for `plugin` with `key`, if any. */
  byKey(plugin: string, key: string): string | undefined {
    return this.#byKey.get(keyOf(plugin, key));
  }

  /** Make `key` of `plugin` answer with `unitId` (an enqueue deduplicated by input hash). */
  bindKey(plugin: string, key: string, unitId: string): void {
    this.#byKey.set(keyOf(plugin, key), unitId);
  }

  /** The unit holding `hash` while it is queued, running or succeeded; else `undefined`. */
  liveHolder(hash: string): UnitRecord | undefined {
    const previous = this.#byHash.get(hash);
    const prior = previous === undefined ? undefined : this.#find(previous);
    if (
      prior !== undefined &&
      prior.state !== 'failed' &&
      prior.state !== 'expired' &&
      prior.state !== 'cancelled'
    )
      return prior;
    return undefined;
  }

  /**
   * Let an ended unit that a backfill queues again hold its input hash.
   * False when another live unit holds it: the unit must not run again.
   * True (and the hash is the unit's) otherwise, or when it has no hash.
   */
  claim(unit: UnitRecord): boolean {
    if (unit.input_hash === undefined) return true;
    const holder = this.#holder(unit.input_hash);
    if (holder !== undefined && holder !== unit && !RERUNNABLE.has(holder.state)) return false;
    this.#byHash.set(unit.input_hash, unit.unit_id);
    return true;
  }

  #holder(hash: string): UnitRecord | undefined {
    return this.#find(this.#byHash.get(hash) ?? '');
  }
}
