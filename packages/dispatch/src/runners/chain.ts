/**
 * The `chain` class on the general path: each stage gets the previous
 * stage's output (`undefined` keeps the value), `STOP_CHAIN` or
 * `stopChain(value)` ends it; with `checkJsonBoundaries` every stage's
 * output must survive a JSON round trip. Middleware wraps the whole chain
 * once (`call.name` `"*"`).
 *
 * Owns nothing: a stateless function over the plan, the call's state and the
 * engine's settings. May not touch: the plan cache, the hot path
 * (`hot-path.ts` has its own chain runner) or the timeout guard (the engine
 * races this runner's promise).
 */
import { isStopChain, SerializationError, STOP_CHAIN } from '@dagstack/plugin-api';
import type { CallState } from '../call-state.js';
import { invokeCandidate } from '../invoke.js';
import { findJsonProblem } from '../json.js';
import type { HookPlan } from '../plan.js';
import { wrapError } from '../plan.js';
import type { EngineSettings } from '../settings.js';
import type { DispatchCandidate, DispatchOptions } from '../types.js';
import { after, before, check, narrow, noCandidates } from './shared.js';

/** One `chain` call on the general path; resolves to the final value. */
export async function runChain(
  settings: EngineSettings,
  plan: HookPlan,
  input: unknown,
  options: DispatchOptions,
  state: CallState,
): Promise<unknown> {
  const list = narrow(settings, plan, options, state);
  if (list.length === 0) throw noCandidates(plan, plan.candidates.length > 0);
  let value = input;
  if (plan.hasBefore) {
    value = before(plan, state, '*', value);
    if (value instanceof Promise) value = await value;
  }
  if (plan.validateInput !== undefined) check(plan, 'input', value, undefined);
  let last: DispatchCandidate | undefined;
  for (let i = 0; i < list.length; i++) {
    const c = list[i] as DispatchCandidate;
    state.current = c.name;
    last = c;
    let out: unknown;
    try {
      out = await invokeCandidate(c, state, plan.kind, plan.hook, value);
    } catch (error) {
      throw wrapError(error, c, plan);
    }
    if (out === undefined) continue;
    if (out === STOP_CHAIN) {
      // The chain's result is the input the stopping plugin received.
      settings.logger.debug(`chain stopped by ${c.name}`, {
        kind: plan.kind,
        hook: plan.hook,
        plugin: c.name,
      });
      break;
    }
    if (isStopChain(out)) {
      value = (out as { [STOP_CHAIN]: unknown })[STOP_CHAIN];
      if (settings.checkJson) jsonBoundary(plan, c, value);
      settings.logger.debug(`chain stopped by ${c.name}`, {
        kind: plan.kind,
        hook: plan.hook,
        plugin: c.name,
      });
      break;
    }
    if (settings.checkJson) jsonBoundary(plan, c, out);
    value = out;
  }
  state.current = undefined;
  if (plan.validateOutput !== undefined) check(plan, 'output', value, last?.name);
  if (plan.hasAfter) {
    value = after(plan, state, '*', value);
    if (value instanceof Promise) value = await value;
  }
  return value;
}

/** A stage's output that is not plain JSON: `SerializationError` naming the stage's plugin. */
function jsonBoundary(plan: HookPlan, candidate: DispatchCandidate, value: unknown): void {
  const problem = findJsonProblem(value);
  if (problem !== undefined) {
    throw new SerializationError(`chain stage output: ${problem.message}`, {
      pointer: problem.pointer,
      hook: plan.hook,
      kind: plan.kind,
      plugin: candidate.name,
    });
  }
}
