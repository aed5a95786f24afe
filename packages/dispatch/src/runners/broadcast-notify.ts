/**
 * The `broadcast_notify` class (always on the general path): the call
 * resolves to `undefined` as soon as the handlers are started; each
 * handler's failure is logged, a timeout or the caller's signal bounds every
 * handler, and `after` middleware runs once all have finished. Counts the
 * handlers (and pending `after` runs) still going, for `settled()`.
 *
 * Owns: the in-flight notification count and the `settled()` waiters. May
 * not touch: the plan, the plan cache or any other runner; the timeout and
 * the caller's signal are checked by the engine before it calls here.
 */
import type { CallState } from '../call-state.js';
import { Guard } from '../call-state.js';
import type { HookPlan } from '../plan.js';
import type { EngineSettings } from '../settings.js';
import type { DispatchCandidate, DispatchOptions } from '../types.js';
import { after, before, check, invokeWrapped, narrow } from './shared.js';

/** Runs the `broadcast_notify` calls of one engine and tracks the handlers still running. */
export class NotifyRunner {
  readonly #settings: EngineSettings;
  #inFlight = 0;
  #waiters: Array<() => void> = [];

  constructor(settings: EngineSettings) {
    this.#settings = settings;
  }

  /** How many handlers (and pending `after` runs) are still going. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once every in-flight handler (and its `after` middleware) has finished. */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  /** One `broadcast_notify` call: resolves to `undefined` once the handlers are started. */
  async run(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<undefined> {
    const list = narrow(this.#settings, plan, options, state);
    let args = input;
    if (plan.hasBefore) {
      args = before(plan, state, '*', args);
      if (args instanceof Promise) args = await args;
    }
    if (plan.validateInput !== undefined) check(plan, 'input', args, undefined);
    if (list.length === 0 && !plan.hasAfter) return undefined;
    const guard =
      timeoutMs === undefined && signal === undefined
        ? undefined
        : new Guard(state, plan.kind, plan.hook, timeoutMs, signal);
    this.#inFlight += list.length;
    const jobs = new Array<Promise<void>>(list.length);
    for (let i = 0; i < list.length; i++) {
      jobs[i] = this.#one(plan, list[i] as DispatchCandidate, args, state, guard);
    }
    if (guard !== undefined || plan.hasAfter) {
      this.#inFlight++;
      void Promise.all(jobs).then(() => this.#done(plan, state, guard));
    }
    return undefined;
  }

  async #one(
    plan: HookPlan,
    candidate: DispatchCandidate,
    args: unknown,
    state: CallState,
    guard: Guard | undefined,
  ): Promise<void> {
    try {
      const work = invokeWrapped(plan, candidate, args, state);
      await (guard === undefined ? work : guard.race(work));
    } catch (error) {
      this.#settings.logger.error(
        `broadcast_notify handler "${candidate.name}" of ${plan.kind}.${plan.hook} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { plugin: candidate.name, kind: plan.kind, hook: plan.hook, error },
      );
    } finally {
      this.#release();
    }
  }

  async #done(plan: HookPlan, state: CallState, guard: Guard | undefined): Promise<void> {
    try {
      guard?.dispose();
      if (plan.hasAfter) await after(plan, state, '*', undefined);
    } catch (error) {
      this.#settings.logger.error(`middleware after() of ${plan.kind}.${plan.hook} failed`, {
        kind: plan.kind,
        hook: plan.hook,
        error,
      });
    } finally {
      this.#release();
    }
  }

  #release(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
