/**
 * The unit table: every unit the orchestrator knows, by id, and the sequence
 * number that orders them for running (enqueue order; a backfill moves a unit
 * to the end).
 *
 * Owns: the id -> record map and the highest `seq` given out. May not touch:
 * the fields of a record (it stores and finds them; callers update them) or
 * the idempotency indexes (idempotency.ts). Units are never removed.
 */

import { UnitNotFound } from './errors.js';
import { LOCAL_EXECUTOR_NAME } from './manifest.js';
import { KIND, type UnitRecord } from './unit-record.js';

/** Every known unit, by id, with the running order. */
export class UnitStore {
  readonly #units = new Map<string, UnitRecord>();
  #seq = 0;

  /** How many units are known. */
  get size(): number {
    return this.#units.size;
  }

  /** The unit with this id. Throws {@link UnitNotFound} for an unknown id. */
  get(unitId: string): UnitRecord {
    const unit = this.#units.get(unitId);
    if (unit === undefined)
      throw new UnitNotFound({ unitId, plugin: LOCAL_EXECUTOR_NAME, kind: KIND });
    return unit;
  }

  /** The unit with this id, or `undefined`. */
  find(unitId: string): UnitRecord | undefined {
    return this.#units.get(unitId);
  }

  /** Whether a unit with this id is known. */
  has(unitId: string): boolean {
    return this.#units.has(unitId);
  }

  /** Keep a unit (a new one, or one read from the state file) under its id. */
  add(unit: UnitRecord): void {
    this.#units.set(unit.unit_id, unit);
    if (unit.seq > this.#seq) this.#seq = unit.seq;
  }

  /** The next sequence number: a unit given it runs after every unit known. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** Every unit, in insertion order. */
  values(): IterableIterator<UnitRecord> {
    return this.#units.values();
  }

  /** Every unit, in running order (`seq`). */
  ordered(): UnitRecord[] {
    return [...this.#units.values()].sort((a, b) => a.seq - b.seq);
  }
}
