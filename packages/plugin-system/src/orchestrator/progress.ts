/**
 * Checkpoint and progress plumbing of running units: which unit a progress
 * update comes from (the unit whose call is on the async stack), the
 * aggregate an update or event leaves in the unit's `progress`, the unit's checkpoint
 * key, the notes an attempt starts with, and the checkpoint's removal once
 * the unit succeeded (ADR-0003 §6).
 *
 * Owns: the async context of running calls; a record's `progress` field.
 * May not touch: any other record field, the unit table (units are looked up
 * through the function given to `sink`) or the running table; it never calls
 * a plugin. The checkpoint store belongs to the host's plugin context: this
 * module only reads and deletes the unit's key in it.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  CheckpointStore,
  JsonValue,
  Logger,
  ProgressSink,
  SavedCheckpoint,
} from '@dagstack/plugin-api';
import { createProgressSink } from '@dagstack/plugin-resources';
import { message, type UnitRecord } from './unit-record.js';

/** Which unit a progress report belongs to, and what it adds to the unit's `progress`. */
export class UnitProgress {
  readonly #current = new AsyncLocalStorage<string>();

  /** Run `fn` (a unit's call) so that reports made inside it are the unit's. */
  run<T>(unitId: string, fn: () => T): T {
    return this.#current.run(unitId, fn);
  }

  /**
   * A progress sink (the checks and call forms of `createProgressSink`): an
   * update made while a unit runs sets the unit's `progress.percent` (a
   * fraction in [0, 1]) and, when given, `message` and `payload`; an event
   * sets `progress.last_event` (`{ type, payload }`); then `changed` is
   * called. Every update and event is then forwarded to `forward`. `find`
   * looks a unit up by id.
   */
  sink(
    find: (unitId: string) => UnitRecord | undefined,
    changed: () => void,
    forward: ProgressSink | undefined,
  ): ProgressSink {
    const note = (fields: Record<string, JsonValue>): void => {
      const id = this.#current.getStore();
      const unit = id === undefined ? undefined : find(id);
      if (unit === undefined || unit.state !== 'running') return;
      unit.progress = { ...(unit.progress ?? {}), ...fields };
      changed();
    };
    return createProgressSink({
      update: (update) => {
        note({
          percent: update.percent,
          ...(update.message === undefined ? {} : { message: update.message }),
          ...(update.payload === undefined ? {} : { payload: update.payload }),
        });
        forward?.update(update);
      },
      event: (event) => {
        note({ last_event: { type: event.type, payload: event.payload } });
        forward?.event(event.type, event.payload);
      },
    });
  }
}

/** Key of a unit's checkpoint: the same on every attempt, so a later attempt resumes. */
export function checkpointKeyOf(unitId: string): string {
  return `units/${unitId}`;
}

/**
 * The checkpoint saved under `key` (state and version), or `undefined` when
 * there is none or it cannot be read.
 */
export function savedCheckpoint(
  store: CheckpointStore,
  key: string,
): Promise<SavedCheckpoint | undefined> {
  return store.load(key).catch(() => undefined);
}

/**
 * Note in a unit's `progress`, as an attempt starts, its checkpoint key,
 * whether the attempt resumes from a saved checkpoint and, when it does, that
 * checkpoint's version (`resumed_from_version`). `saved`: the checkpoint
 * found (`null`: none; `undefined`: there is no checkpoint store, and no
 * note). An earlier attempt's version note does not outlive it.
 */
export function noteAttempt(
  unit: UnitRecord,
  key: string,
  saved: SavedCheckpoint | null | undefined,
): void {
  const progress = { ...(unit.progress ?? {}) };
  delete progress.resumed_from_version;
  unit.progress = {
    ...progress,
    checkpoint_key: key,
    ...(saved === undefined ? {} : { resumed_from_checkpoint: saved !== null }),
    ...(saved === undefined || saved === null ? {} : { resumed_from_version: saved.version }),
  };
}

/**
 * Delete the checkpoint of a unit that succeeded; a failure is logged (to
 * the logger in effect then) and not thrown. `undefined` without a store.
 */
export function discardCheckpoint(
  store: CheckpointStore | undefined,
  unit: UnitRecord,
  key: string,
  logger: () => Logger,
): Promise<void> | undefined {
  return store?.delete(key).catch((error: unknown) => {
    logger().warn('could not delete the checkpoint of a finished unit', {
      unit_id: unit.unit_id,
      error: message(error),
    });
  });
}
