/**
 * The `singleton` class on the general path (per-call options, or engine
 * settings the hot path cannot honour): an explicit choice (`target`, the
 * routing policy, `DAGSTACK_ACTIVE_<KIND>`) calls that plugin only, else
 * firstresult in dispatch order; middleware named after the selected
 * plugin and the schema checks around it.
 *
 * Owns nothing: a stateless function over the plan, the call's state and the
 * engine's settings. May not touch: the plan cache, the hot path
 * (`hot-path.ts` has its own singleton callers) or the timeout guard (the
 * engine races this runner's promise).
 */
import type { CallState } from '../call-state.js';
import { invokeCandidate } from '../invoke.js';
import type { HookPlan } from '../plan.js';
import { isEmpty, names, noResult, wrapError } from '../plan.js';
import { type EngineSettings, reportSkipped } from '../settings.js';
import type { DispatchCandidate, DispatchOptions } from '../types.js';
import {
  after,
  before,
  check,
  invokeWrapped,
  narrow,
  noCandidates,
  policyCall,
  unavailable,
} from './shared.js';

/** One `singleton` call on the general path; resolves to the selected plugin's result. */
export async function runSingleton(
  settings: EngineSettings,
  plan: HookPlan,
  input: unknown,
  options: DispatchOptions,
  state: CallState,
): Promise<unknown> {
  const list = narrow(settings, plan, options, state);
  const first = list[0];
  if (first === undefined) throw noCandidates(plan, plan.candidates.length > 0);
  let chosen: DispatchCandidate | undefined;
  if (options.target !== undefined) {
    chosen = first;
  } else if (settings.routingPolicy !== undefined) {
    const name = settings.routingPolicy(plan.kind, plan.hook, list, policyCall(state));
    if (name !== undefined) {
      chosen = list.find((c) => c.name === name);
      if (chosen === undefined) {
        throw unavailable(
          plan,
          name,
          `the routing policy chose it, but it is not among the allowed candidates (${names(list)})`,
        );
      }
    }
  }
  const env = plan.envChoice;
  if (chosen === undefined && env !== undefined) {
    if (list === plan.candidates || list.includes(env)) chosen = env;
  }
  const selected = chosen ?? first;
  let args = input;
  if (plan.hasBefore) {
    args = before(plan, state, selected.name, args);
    if (args instanceof Promise) args = await args;
  }
  if (plan.validateInput !== undefined) check(plan, 'input', args, undefined);
  let result: unknown;
  let firstError: unknown;
  let producer = selected;
  if (chosen !== undefined) {
    // An explicit choice (target, routing policy, DAGSTACK_ACTIVE_<KIND>) calls that plugin only.
    state.current = chosen.name;
    try {
      result = await invokeCandidate(chosen, state, plan.kind, plan.hook, args);
    } catch (error) {
      throw wrapError(error, chosen, plan);
    }
  } else {
    // firstresult (ADR-0002 §1): the first non-empty result in dispatch order.
    // A plugin that throws counts as no result and the next one is tried
    // (logged); unless the call itself was cancelled or timed out.
    for (const c of list) {
      state.current = c.name;
      try {
        result = await invokeWrapped(plan, c, args, state);
      } catch (error) {
        if (state.aborted) throw error;
        reportSkipped(settings, c, error, plan.hook);
        firstError ??= error;
        result = undefined;
        continue;
      }
      if (!isEmpty(result)) {
        producer = c;
        break;
      }
    }
  }
  state.current = undefined;
  if (isEmpty(result)) {
    if (firstError !== undefined) throw firstError;
    throw noResult(plan, chosen === undefined ? list : [chosen]);
  }
  if (plan.validateOutput !== undefined) check(plan, 'output', result, producer.name);
  if (plan.hasAfter) {
    result = after(plan, state, selected.name, result);
    if (result instanceof Promise) result = await result;
  }
  return result;
}
