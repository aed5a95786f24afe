/**
 * What the general-path runners share: narrowing the candidates (target,
 * the host's and the middleware's governance filters), the errors for no candidate and an unavailable plugin,
 * calling one plugin with its error wrapped, middleware `before` / `after`
 * with a call of their own, and the schema checks.
 *
 * Owns nothing: plain functions over the plan, the call's state and the
 * engine's settings. May not touch: the plan cache, the hot path, the
 * timeout guard, or any runner (a leaf among the runners: none of them is
 * imported here).
 */
import { KindUnknown, PluginUnavailable } from '@dagstack/plugin-api';
import type { CallState } from '../call-state.js';
import { PluginCall } from '../call-state.js';
import { HookValidationError } from '../errors.js';
import { invokeCandidate } from '../invoke.js';
import type { HookPlan } from '../plan.js';
import { names, runAfter, runBefore, wrapError } from '../plan.js';
import type { EngineSettings } from '../settings.js';
import type { DispatchCandidate, DispatchOptions, PolicyCall } from '../types.js';

/** The plan's candidates, narrowed to `target` and by the governance filters, in dispatch order. */
export function narrow(
  settings: EngineSettings,
  plan: HookPlan,
  options: DispatchOptions,
  state: CallState,
): readonly DispatchCandidate[] {
  let list = plan.candidates;
  const target = options.target;
  if (target !== undefined) {
    const chosen = plan.byName.get(target);
    if (chosen === undefined) throw unavailable(plan, target, undefined);
    list = [chosen];
  }
  const allowed = governed(settings, plan, list, state);
  if (target !== undefined && allowed.length === 0) {
    throw unavailable(plan, target, 'the governance filter does not allow it for this call');
  }
  return allowed;
}

/**
 * `list` as the governance filters allow it for this call (ADR-0005 §4): the
 * host's `governanceFilter`, then the `filter` of each matching middleware
 * in priority order, each given what the previous ones allowed. In dispatch
 * order; `list` itself when nothing filters.
 */
export function governed(
  settings: EngineSettings,
  plan: HookPlan,
  list: readonly DispatchCandidate[],
  state: CallState,
): readonly DispatchCandidate[] {
  let out = list;
  const filter = settings.governanceFilter;
  if (filter !== undefined) out = kept(out, filter(plan.kind, plan.hook, out, policyCall(state)));
  for (const m of plan.middleware) {
    if (m.filter !== undefined) {
      out = kept(out, m.filter(plan.kind, plan.hook, out, policyCall(state)));
    }
  }
  return out;
}

/** The members of `list` that `allowed` holds, in `list`'s order (`list` when it is `allowed`). */
function kept(
  list: readonly DispatchCandidate[],
  allowed: readonly DispatchCandidate[],
): readonly DispatchCandidate[] {
  if (allowed === list) return list;
  const keep = new Set(allowed);
  return list.filter((c) => keep.has(c));
}

/** What the host's routing policy and governance filter get about the call. */
export function policyCall(state: CallState): PolicyCall {
  return { metadata: state.metadata };
}

/** `name` cannot be called for this hook (`reason`, or why by what the plan knows). */
export function unavailable(
  plan: HookPlan,
  name: string,
  reason: string | undefined,
): PluginUnavailable {
  const known = plan.all.some((c) => c.name === name);
  return new PluginUnavailable({
    plugin: name,
    kind: plan.kind,
    reason:
      reason ??
      (known
        ? `it does not implement hook "${plan.hook}"`
        : 'it is not a ready plugin of this kind'),
    hint: `callable plugins implementing "${plan.hook}": ${names(plan.candidates)}`,
  });
}

/** No candidate to call: none implements the hook, or (`filtered`) the governance filter allowed none. */
export function noCandidates(plan: HookPlan, filtered: boolean): KindUnknown {
  const hint = filtered
    ? `the governance filter allowed none of ${names(plan.candidates)} for this call`
    : plan.all.length === 0
      ? 'register and start a plugin of this kind'
      : `plugins of the kind (${names(plan.all)}) do not implement "${plan.hook}"; check the hook name against the hookspec`;
  return new KindUnknown(`no callable plugin implements ${plan.dispatch} hook "${plan.hook}"`, {
    kind: plan.kind,
    hook: plan.hook,
    hint,
  });
}

/** Call `candidate`; its error (a throw or a rejection) rejects wrapped with its name. */
export async function invokeWrapped(
  plan: HookPlan,
  candidate: DispatchCandidate,
  input: unknown,
  state: CallState,
): Promise<unknown> {
  try {
    return await invokeCandidate(candidate, state, plan.kind, plan.hook, input);
  } catch (error) {
    throw wrapError(error, candidate, plan);
  }
}

/** `before` of the matching middleware; a value, or a promise once one of them is async. */
export function before(plan: HookPlan, state: CallState, name: string, args: unknown): unknown {
  return runBefore(plan.middleware, new PluginCall(state, plan.kind, name, plan.hook), args, 0);
}

/** `after` in reverse order; a value, or a promise once one of them is async. */
export function after(plan: HookPlan, state: CallState, name: string, result: unknown): unknown {
  const list = plan.middleware;
  return runAfter(list, new PluginCall(state, plan.kind, name, plan.hook), result, list.length - 1);
}

/** Check `value` against the hook's input or output schema (`HookValidationError` on a mismatch). */
export function check(
  plan: HookPlan,
  direction: 'input' | 'output',
  value: unknown,
  plugin: string | undefined,
): void {
  const validator = direction === 'input' ? plan.validateInput : plan.validateOutput;
  const problems = validator?.(value);
  if (problems !== undefined) {
    throw new HookValidationError({
      kind: plan.kind,
      hook: plan.hook,
      direction,
      problems,
      ...(plugin === undefined ? {} : { plugin }),
    });
  }
}
