/**
 * The orchestrator's only retry: while `setupAll` starts a group, a plugin is
 * `ready` a moment before the dispatch engine can call it. A unit that meets
 * that gap goes back to `queued` without counting an attempt, and the queue
 * is pumped again after {@link CATCH_UP_MS}, up to {@link CATCH_UP_LIMIT}
 * times per unit; other failures are not retried.
 *
 * Owns: the per-unit catch-up counts and the one pump timer. May not touch
 * units or the running table: the runner changes the unit's state and the
 * timer calls back the `pump` it was given.
 */

import { isPluginError, KindUnknown, PluginUnavailable } from '@dagstack/plugin-api';

/** Milliseconds between catch-up pumps. */
export const CATCH_UP_MS = 25;
/** Catch-up retries a unit gets before its failure counts. */
export const CATCH_UP_LIMIT = 2400;

/** Catch-up counts per unit and the timer that pumps the queue again. */
export class CatchUp {
  readonly #pump: () => void;
  readonly #tries = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `pump` is called when the timer fires. */
  constructor(pump: () => void) {
    this.#pump = pump;
  }

  /** Whether the timer is set (a catch-up pump is still to come). */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Whether a failed call of a unit met the gap between `ready` and callable
   * (its plugin is `ready` or `degraded`, the call failed with
   * `PluginUnavailable` or `KindUnknown`) and the unit has tries left; counts
   * the try when it did.
   */
  retries(unitId: string, error: unknown, pluginState: string | undefined): boolean {
    if (pluginState !== 'ready' && pluginState !== 'degraded') return false;
    if (!isPluginError(error, PluginUnavailable.code) && !isPluginError(error, KindUnknown.code))
      return false;
    const tries = (this.#tries.get(unitId) ?? 0) + 1;
    if (tries > CATCH_UP_LIMIT) {
      this.#tries.delete(unitId);
      return false;
    }
    this.#tries.set(unitId, tries);
    return true;
  }

  /** Pump the queue after {@link CATCH_UP_MS}, unless a pump is due already. */
  schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, CATCH_UP_MS);
    this.#timer.unref?.();
  }

  /** Forget a unit's count (it succeeded). */
  forget(unitId: string): void {
    this.#tries.delete(unitId);
  }

  /** Clear the timer (the orchestrator is stopping). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
