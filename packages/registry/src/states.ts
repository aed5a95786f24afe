/**
 * The plugin state machine's transitions and their events: `setState` and
 * the `on('state')` listeners.
 *
 * Owns: the state listeners; a record's `state` and `error` fields on a
 * transition. May not touch: dispatch, the function router or any registry
 * field; what a transition triggers there (forgetting a function list,
 * refreshing dispatch) goes through the host's callbacks, unchanged.
 */

import type { Logger, PluginRegistryError, PluginState } from '@dagstack/plugin-api';
import type { PluginRecord } from './record.js';

/** A state change, as `registry.on('state', ...)` reports it. @since 0.1.0 */
export interface StateChange {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** The state before the change. */
  readonly from: PluginState;
  /** The state after the change. */
  readonly to: PluginState;
  /** The error that caused the change, when there is one. */
  readonly error?: PluginRegistryError;
}

/** The part of a record a transition reads or updates. */
export type StateSubject = Pick<PluginRecord, 'manifest' | 'state' | 'error'>;

/** What the state machine needs from its owner. */
export interface StateHost<R extends StateSubject> {
  readonly logger: Logger;
  /** Called before a record becomes `ready` from another state. */
  becomingReady(record: R): void;
  /** Whether dispatch refreshes are batched (setupAll/teardownAll do them per group). */
  batching(): boolean;
  /** Re-publish the callable plugins to dispatch. */
  refreshDispatch(): void;
}

/** State transitions and the `state` event listeners. */
export class StateMachine<R extends StateSubject> {
  readonly #host: StateHost<R>;
  readonly #listeners = new Set<(change: StateChange) => void>();

  constructor(host: StateHost<R>) {
    this.#host = host;
  }

  /** Subscribe to state changes; returns an unsubscribe function. */
  subscribe(listener: (change: StateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Move a record to `to`, report the change and refresh dispatch when callability changed. */
  set(record: R, to: PluginState, error?: PluginRegistryError): void {
    const from = record.state;
    // Back to ready after a restart or a failure: its function list may have changed.
    if (to === 'ready' && from !== 'ready') this.#host.becomingReady(record);
    record.state = to;
    if (error !== undefined) record.error = error;
    else if (to === 'ready' || to === 'registered') record.error = undefined;
    if (from === to && error === undefined) return;
    const change: StateChange = {
      name: record.manifest.name,
      kind: record.manifest.kind,
      from,
      to,
      ...(error === undefined ? {} : { error }),
    };
    this.#host.logger.debug('plugin state', { plugin: change.name, kind: change.kind, from, to });
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (listenerError) {
        this.#host.logger.error('state listener failed', {
          error: listenerError instanceof Error ? listenerError.message : String(listenerError),
        });
      }
    }
    const callable = (state: PluginState): boolean => state === 'ready' || state === 'degraded';
    if (!this.#host.batching() && callable(from) !== callable(to)) this.#host.refreshDispatch();
  }
}
