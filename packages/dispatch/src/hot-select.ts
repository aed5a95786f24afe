/**
 * Which hot caller (see `hot-path.ts`), if any, a plan gets: decided once
 * when the plan is built, and per `singleton` target on the first call
 * naming it. Everything the engine's settings or the hook need that the hot
 * callers cannot do sends the plan to the general path.
 *
 * Owns: the plan's `targets` map (filled here). May not touch: the plan
 * cache, the runners of the general path, or call state; it builds callers
 * and never calls a plugin.
 */
import {
  chainCaller,
  collectCaller,
  firstResultCaller,
  singletonCaller,
  wrappedCaller,
  wrappedSingletonCaller,
} from './hot-path.js';
import type { HookPlan, HotCall } from './plan.js';
import type { EngineSettings } from './settings.js';
import { reportFailure, reportSkipped } from './settings.js';
import type { DispatchCandidate } from './types.js';

/**
 * The specialised caller of a plan (see `hot-path.ts`), or `undefined` when
 * something configured on the engine or the hook needs the general path:
 * middleware, schema validation, a routing policy or governance filter
 * (the host's, or a middleware's `filter`: per-call decisions), a default
 * timeout, JSON boundary checks (chain), `best_effort` (collect), or no
 * candidate (the general path reports it).
 * `broadcast_notify` and `capability` always take the general path.
 */
export function hotCaller(settings: EngineSettings, plan: HookPlan): HotCall | undefined {
  if (generalOnly(settings, plan)) return undefined;
  if (plan.middleware.length === 0) return bareCaller(settings, plan);
  if (plan.dispatch === 'singleton') {
    // Middleware around a singleton: when the plan fixes its plugin.
    const count = plan.candidates.length;
    const fixed = plan.envChoice ?? (count === 1 ? plan.candidates[0] : undefined);
    return fixed === undefined ? undefined : wrappedSingletonCaller(plan, fixed);
  }
  const inner = bareCaller(settings, plan);
  return inner === undefined ? undefined : wrappedCaller(plan, inner);
}

/**
 * The hot caller of a `singleton` call naming `target` (and nothing else):
 * that plugin only, as the general path calls an explicit choice, with the
 * plan's middleware around it. `null` (remembered) when the general path
 * must run: an engine setting needs it, or `target` does not implement the
 * hook (the general path reports that).
 */
export function targetCaller(
  settings: EngineSettings,
  plan: HookPlan,
  target: string,
): HotCall | null {
  const candidate = plan.candidates.find((c) => c.name === target);
  const caller =
    candidate === undefined || generalOnly(settings, plan)
      ? null
      : plan.middleware.length === 0
        ? singletonCaller(plan, candidate)
        : wrappedSingletonCaller(plan, candidate);
  plan.targets ??= new Map();
  plan.targets.set(target, caller);
  return caller;
}

/** Whether something configured on the engine or the hook needs the general path for every call. */
function generalOnly(settings: EngineSettings, plan: HookPlan): boolean {
  return (
    plan.validateInput !== undefined ||
    plan.validateOutput !== undefined ||
    settings.routingPolicy !== undefined ||
    settings.governanceFilter !== undefined ||
    settings.defaultTimeoutMs !== undefined ||
    plan.middleware.some((m) => m.filter !== undefined)
  );
}

/** The hot caller of a plan without middleware (see {@link hotCaller}). */
function bareCaller(settings: EngineSettings, plan: HookPlan): HotCall | undefined {
  const count = plan.candidates.length;
  switch (plan.dispatch) {
    case 'singleton': {
      if (plan.envChoice !== undefined) return singletonCaller(plan, plan.envChoice);
      if (count === 1) return singletonCaller(plan, plan.candidates[0] as DispatchCandidate);
      return count === 0
        ? undefined
        : firstResultCaller(plan, (c, error, hook) => reportSkipped(settings, c, error, hook));
    }
    case 'chain':
      return count === 0 || settings.checkJson ? undefined : chainCaller(plan, settings.logger);
    case 'broadcast_collect': {
      if (plan.errorPolicy !== 'fail_fast') return undefined;
      if (count === 0) return () => Promise.resolve([]);
      return collectCaller(plan, (c, error, hook) => reportFailure(settings, c, error, hook));
    }
    default:
      return undefined;
  }
}
