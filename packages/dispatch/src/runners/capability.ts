/**
 * The `capability` class (always on the general path): `target` calls that
 * plugin; otherwise the selector (the call's, the engine's
 * `selectCapability`, or read from the input) picks a plugin through the
 * plan's capability index, within what the governance filter allows; then
 * middleware named after the chosen plugin and the schema checks around it.
 *
 * Owns: building the plan's capability index on the first call (the plan's
 * `capability` field). May not touch: any other plan field, the plan cache
 * or the timeout guard (the engine races this runner's promise).
 */
import { NoCapabilityMatch } from '@dagstack/plugin-api';
import type { CallState } from '../call-state.js';
import {
  CapabilityIndex,
  describeSelector,
  normalizeSelector,
  selectorFromInput,
} from '../capability-index.js';
import { invokeCandidate } from '../invoke.js';
import type { HookPlan } from '../plan.js';
import { wrapError } from '../plan.js';
import type { EngineSettings } from '../settings.js';
import type { DispatchCandidate, DispatchOptions } from '../types.js';
import { after, before, check, governed, narrow, noCandidates } from './shared.js';

/** One `capability` call; resolves to the chosen plugin's result. */
export async function runCapability(
  settings: EngineSettings,
  plan: HookPlan,
  input: unknown,
  options: DispatchOptions,
  state: CallState,
): Promise<unknown> {
  let chosen: DispatchCandidate | undefined;
  if (options.target !== undefined) {
    chosen = narrow(settings, plan, options, state)[0];
  } else {
    const raw =
      options.selector ??
      (settings.selectCapability === undefined
        ? selectorFromInput(input)
        : settings.selectCapability(plan.kind, plan.hook, input));
    const selector = normalizeSelector(raw);
    plan.capability ??= new CapabilityIndex(plan.candidates);
    const index = plan.capability;
    let allowed: ReadonlySet<DispatchCandidate> | undefined;
    const list = governed(settings, plan, plan.candidates, state);
    if (list !== plan.candidates) allowed = new Set(list);
    chosen = index.select(selector, allowed);
    if (chosen === undefined) {
      const fallback = index.fallback;
      throw new NoCapabilityMatch({
        kind: plan.kind,
        hook: plan.hook,
        selector: describeSelector(selector),
        hint:
          plan.candidates.length === 0
            ? `no callable plugin implements "${plan.hook}"`
            : `declared: ${index.describe()}. ${
                fallback !== undefined
                  ? `The fallback "${fallback.name}" is not allowed by the governance filter for this call.`
                  : 'Add a plugin whose supports_* covers the request, or mark one plugin fallback = true.'
              }`,
      });
    }
  }
  if (chosen === undefined) throw noCandidates(plan, false);
  let args = input;
  if (plan.hasBefore) {
    args = before(plan, state, chosen.name, args);
    if (args instanceof Promise) args = await args;
  }
  if (plan.validateInput !== undefined) check(plan, 'input', args, undefined);
  state.current = chosen.name;
  let result: unknown;
  try {
    result = await invokeCandidate(chosen, state, plan.kind, plan.hook, args);
  } catch (error) {
    throw wrapError(error, chosen, plan);
  }
  state.current = undefined;
  if (plan.validateOutput !== undefined) check(plan, 'output', result, chosen.name);
  if (plan.hasAfter) {
    result = after(plan, state, chosen.name, result);
    if (result instanceof Promise) result = await result;
  }
  return result;
}
