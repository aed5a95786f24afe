/**
 * Persistence of the units to the orchestrator's JSON state file: the
 * document format, one writer at a time (changes made while a write is under
 * way are written next), `flush`, and the load at `setup` that queues again
 * the units the process was running when it stopped.
 *
 * Owns: the loaded/dirty flags and the write in progress; on load, the
 * `state`, `started_at` and `output_persisted` fields of the records read.
 * May not touch: the unit table or the indexes (units go in through the
 * host's `add`), or any unit already known. File I/O is state-file.ts's.
 */

import {
  type JsonObject,
  type JsonValue,
  type Logger,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import { LOCAL_EXECUTOR_NAME } from './manifest.js';
import { readJsonFile, writeJsonAtomic } from './state-file.js';
import { isObject, KIND, message, type UnitRecord } from './unit-record.js';

const STATE_FORMAT = 'dagstack.local_executor.state';
const STATE_VERSION = 1;

/** What persistence needs from its owner. */
export interface PersistenceHost {
  /** The state file in effect (absolute path), if any. */
  readonly file: string | undefined;
  /** The logger in effect. */
  readonly logger: Logger;
  /** How many units are known. */
  readonly count: number;
  /** Every unit, in running order (`seq`). */
  ordered(): UnitRecord[];
  /** Whether a unit with this id is known. */
  has(unitId: string): boolean;
  /** Take in a unit read from the file (the unit table and the indexes). */
  add(unit: UnitRecord): void;
}

/** The state file's reader and its single writer. */
export class StatePersistence {
  readonly #host: PersistenceHost;
  #loaded = false;
  #dirty = false;
  #writing: Promise<void> | undefined;

  constructor(host: PersistenceHost) {
    this.#host = host;
  }

  /**
   * Load the state file when there is one and it was not loaded yet (the
   * promise rejects when it is not an orchestrator state file); `undefined`
   * when there is nothing to load. Changes are written only after
   * {@link StatePersistence.loaded}.
   */
  load(): Promise<void> | undefined {
    const file = this.#host.file;
    return file !== undefined && !this.#loaded ? this.#load(file) : undefined;
  }

  /** The state file is loaded (or there is none): from now on, changes are written. */
  loaded(): void {
    this.#loaded = true;
  }

  /** Record a change: the state file is rewritten (not before it was loaded). */
  persist(): void {
    const file = this.#host.file;
    // Before setup has read the state file, writing would overwrite it.
    if (file === undefined || !this.#loaded) return;
    this.#dirty = true;
    this.#writing ??= this.#writeLoop(file).finally(() => {
      this.#writing = undefined;
    });
  }

  /** Resolves once the state file holds every change made so far. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #writeLoop(file: string): Promise<void> {
    // One writer; changes made while a write is under way are written next.
    while (this.#dirty) {
      this.#dirty = false;
      try {
        await writeJsonAtomic(file, `${JSON.stringify(this.#snapshot(), null, 2)}\n`);
      } catch (error) {
        this.#host.logger.error('could not write the orchestrator state file', {
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
      units: this.#host.ordered().map((unit) => {
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
      if (!isObject(raw) || typeof raw.unit_id !== 'string' || this.#host.has(raw.unit_id))
        continue;
      const unit = raw as unknown as UnitRecord;
      if (unit.state === 'running') {
        // The process stopped while it ran: run it again, from its checkpoint.
        unit.state = 'queued';
        delete unit.started_at;
        resumed += 1;
      }
      if (unit.output !== undefined) unit.output_persisted = true;
      this.#host.add(unit);
    }
    this.#host.logger.info('orchestrator state loaded', {
      path: file,
      units: this.#host.count,
      interrupted: resumed,
    });
  }
}
