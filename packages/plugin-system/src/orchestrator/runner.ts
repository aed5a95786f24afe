/**
 * Running units: the pump that starts queued units (at most `concurrency` at
 * once, units of one partition one after another, none while its plugin is
 * not callable), one attempt of a unit through the registry, how an attempt
 * ends (succeeded, failed, expired, cancelled, or interrupted and queued
 * again), cancellation, and the waiters for a unit's end and for idle.
 *
 * Owns: the running table (a controller per attempt), the end and idle
 * waiters, the started/closing flags and the catch-up retry (catch-up.ts); a
 * record's `state`, `attempts`, `started_at`, `finished_at`, `error`,
 * `output`, `output_hash` and `output_persisted` fields as it runs and ends.
 * May not touch: the unit table beyond reading it, the idempotency indexes,
 * or the state file (every change is announced through the host's
 * `persist`); progress and checkpoints go through progress.ts.
 */

import { type CheckpointStore, isHookTimeout, type Logger } from '@dagstack/plugin-api';
import { assertJsonValue } from '@dagstack/plugin-resources';
import type { UnitState } from '../generated/kinds/orchestrator/v1.js';
import { CatchUp } from './catch-up.js';
import { jsonHash } from './hash.js';
import {
  checkpointKeyOf,
  discardCheckpoint,
  noteAttempt,
  savedCheckpoint,
  type UnitProgress,
} from './progress.js';
import { isOutputHashPlugin, pluginStateOf, WAIT_STATES, waitingPlugins } from './registry-view.js';
import { UNIT_METADATA_KEY, type UnitOfWorkCall, type UnitRegistry } from './types.js';
import { message, pluginKey, type UnitRecord } from './unit-record.js';
import type { UnitStore } from './unit-store.js';

/** What the runner needs from its owner; read at the moment it is needed. */
export interface RunnerHost {
  /** The registry units are called through. */
  readonly registry: UnitRegistry;
  /** The unit table. */
  readonly units: UnitStore;
  /** The async context progress reports are attributed by. */
  readonly progress: UnitProgress;
  /** The logger in effect. */
  readonly logger: Logger;
  /** The checkpoint store in effect, if any. */
  readonly checkpoint: CheckpointStore | undefined;
  /** Units running at once. */
  readonly concurrency: number;
  /** Time limit of one attempt in milliseconds, if any. */
  readonly timeoutMs: number | undefined;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Record a change (the state file is rewritten). */
  persist(): void;
}

/** One attempt of a unit under way. */
interface Running {
  readonly controller: AbortController;
  done: Promise<void>;
  cancelRequested: boolean;
}

/** Starts, runs and ends units; knows which are running and who waits for what. */
export class UnitRunner {
  readonly #host: RunnerHost;
  readonly #catchUp: CatchUp;
  readonly #running = new Map<string, Running>();
  readonly #waiters = new Map<string, (() => void)[]>();
  readonly #idleWaiters: (() => void)[] = [];
  #started = false;
  #closing = false;

  constructor(host: RunnerHost) {
    this.#host = host;
    this.#catchUp = new CatchUp(() => this.pump());
  }

  /** How many units are running. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** `setup` begins: a run that ends from now on is not an interruption. */
  reopen(): void {
    this.#closing = false;
  }

  /** `setup` is done: queued units may start. */
  open(): void {
    this.#started = true;
  }

  /**
   * `teardown` begins: nothing starts any more, a run that ends from now on
   * was interrupted (it is queued again), and no catch-up pump is due.
   */
  close(): void {
    this.#closing = true;
    this.#started = false;
    this.#catchUp.stop();
  }

  /** Abort every running unit; resolves once each of their attempts ended. */
  abortAll(): Promise<unknown> {
    const running = [...this.#running.values()];
    for (const run of running) run.controller.abort(new Error('the orchestrator is stopping'));
    return Promise.all(running.map((r) => r.done));
  }

  /** Start queued units, as many as the limits allow. */
  pump(): void {
    const host = this.#host;
    if (!this.#started || this.#closing) return;
    if (this.#running.size >= host.concurrency) return;
    const busy = new Set<string>();
    for (const id of this.#running.keys()) {
      const p = host.units.find(id)?.partition_key;
      if (p !== undefined) busy.add(p);
    }
    const waiting = waitingPlugins(host.registry);
    for (const unit of host.units.ordered()) {
      if (this.#running.size >= host.concurrency) break;
      if (unit.state !== 'queued') continue;
      if (waiting.has(pluginKey(unit))) continue;
      if (unit.partition_key !== undefined) {
        // Units of one partition run one after another (ADR-0003 §5).
        if (busy.has(unit.partition_key)) continue;
        busy.add(unit.partition_key);
      }
      this.#start(unit);
    }
    this.checkIdle();
  }

  /**
   * Cancel a unit: a queued one ends `cancelled` at once, a running one is
   * aborted and ends `cancelled` when its call returns. False when it is
   * neither queued nor running.
   */
  cancel(unit: UnitRecord): boolean {
    if (unit.state === 'queued') {
      this.#end(unit, 'cancelled', 'cancelled before it started');
      return true;
    }
    const run = this.#running.get(unit.unit_id);
    if (run === undefined) return false;
    run.cancelRequested = true;
    run.controller.abort(new Error('cancelled'));
    return true;
  }

  /** Call `notify` once the unit reaches an end state (it is not in one now). */
  whenEnded(unitId: string, notify: () => void): void {
    const list = this.#waiters.get(unitId) ?? [];
    list.push(notify);
    this.#waiters.set(unitId, list);
  }

  /** Call `notify` once the runner is idle (it is not now). */
  whenIdle(notify: () => void): void {
    this.#idleWaiters.push(notify);
  }

  /**
   * Whether nothing is running and nothing can start: no unit is queued
   * except for plugins units wait for, and no catch-up pump is due.
   */
  isIdle(): boolean {
    if (this.#running.size > 0) return false;
    if (!this.#started) return true;
    if (this.#catchUp.pending) return false;
    const waiting = waitingPlugins(this.#host.registry);
    for (const unit of this.#host.units.values()) {
      if (unit.state === 'queued' && !waiting.has(pluginKey(unit))) return false;
    }
    return true;
  }

  /** Notify the idle waiters when the runner is idle. */
  checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.isIdle()) return;
    for (const notify of this.#idleWaiters.splice(0)) notify();
  }

  #start(unit: UnitRecord): void {
    unit.state = 'running';
    unit.attempts += 1;
    unit.started_at = this.#host.now();
    delete unit.finished_at;
    delete unit.error;
    const run: Running = {
      controller: new AbortController(),
      cancelRequested: false,
      done: Promise.resolve(),
    };
    run.done = run.done.then(() => this.#execute(unit, run));
    this.#running.set(unit.unit_id, run);
    this.#host.persist();
  }

  async #execute(unit: UnitRecord, run: Running): Promise<void> {
    const host = this.#host;
    const checkpointKey = checkpointKeyOf(unit.unit_id);
    const unitCall: UnitOfWorkCall = {
      unit_id: unit.unit_id,
      attempt: unit.attempts,
      checkpoint_key: checkpointKey,
      ...(unit.partition_key === undefined ? {} : { partition_key: unit.partition_key }),
    };
    try {
      const checkpoint = host.checkpoint;
      const saved =
        checkpoint === undefined
          ? undefined
          : ((await savedCheckpoint(checkpoint, checkpointKey)) ?? null);
      noteAttempt(unit, checkpointKey, saved);
      host.logger.info('unit started', {
        unit_id: unit.unit_id,
        plugin: unit.plugin_name,
        attempt: unit.attempts,
        ...(saved === undefined ? {} : { resumed: saved !== null }),
        ...(saved === undefined || saved === null ? {} : { checkpoint_version: saved.version }),
      });
      const timeoutMs = host.timeoutMs;
      const output = await host.progress.run(unit.unit_id, () =>
        host.registry.call(unit.plugin_kind, unit.hook, unit.args, {
          target: unit.plugin_name,
          metadata: { ...unit.metadata, [UNIT_METADATA_KEY]: { ...unitCall } },
          signal: run.controller.signal,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        }),
      );
      unit.output = output;
      unit.output_persisted = true;
      try {
        assertJsonValue(output);
        if (isOutputHashPlugin(host.registry, unit)) unit.output_hash = jsonHash(output);
      } catch {
        unit.output_persisted = false;
      }
      await discardCheckpoint(host.checkpoint, unit, checkpointKey, () => host.logger);
      this.#catchUp.forget(unit.unit_id);
      this.#end(unit, 'succeeded');
    } catch (error) {
      const pluginState = pluginStateOf(host.registry, unit);
      if (run.cancelRequested) this.#end(unit, 'cancelled', 'cancelled');
      else if (this.#closing || (pluginState !== undefined && WAIT_STATES.has(pluginState))) {
        // Interrupted, not failed: it runs again (from its checkpoint) when
        // the plugin is back, or at the next start with the state file.
        unit.state = 'queued';
        delete unit.started_at;
        host.logger.info('unit interrupted; queued again', { unit_id: unit.unit_id });
      } else if (this.#catchUp.retries(unit.unit_id, error, pluginState)) {
        unit.state = 'queued';
        unit.attempts -= 1;
        delete unit.started_at;
        host.logger.debug('unit waits until its plugin is callable', {
          unit_id: unit.unit_id,
          plugin: unit.plugin_name,
          error: message(error),
        });
        this.#catchUp.schedule();
      } else if (isHookTimeout(error)) this.#end(unit, 'expired', message(error));
      else this.#end(unit, 'failed', message(error));
    } finally {
      this.#running.delete(unit.unit_id);
      host.persist();
      this.pump();
    }
  }

  #end(unit: UnitRecord, state: UnitState, error?: string): void {
    unit.state = state;
    unit.finished_at = this.#host.now();
    if (error !== undefined) unit.error = error;
    if (state !== 'succeeded') {
      this.#host.logger.warn(`unit ${state}`, {
        unit_id: unit.unit_id,
        plugin: unit.plugin_name,
        attempt: unit.attempts,
        ...(error === undefined ? {} : { error }),
      });
    }
    this.#host.persist();
    const waiters = this.#waiters.get(unit.unit_id);
    this.#waiters.delete(unit.unit_id);
    for (const notify of waiters ?? []) notify();
    this.checkIdle();
  }
}
