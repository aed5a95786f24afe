/**
 * The `broadcast_collect` class on the general path: every plugin in
 * parallel, middleware once around the dispatch (`call.name` `"*"`).
 * `fail_fast` resolves to the entries in dispatch order or rejects with the
 * first failure (reported, and the others' signal aborted); `best_effort`
 * resolves to the successes and a `BroadcastErrors` of the failures (each
 * reported and logged).
 *
 * Owns: the call state's `failed` flag (set by the first fail-fast
 * failure). May not touch: the plan, the plan cache, the hot path
 * (`hot-path.ts` has its own fail-fast runner) or the timeout guard (the
 * engine races this runner's promise).
 */
import type { ErrorPolicy, PluginFailure } from '@dagstack/plugin-api';
import { BroadcastErrors, PluginInvocationError } from '@dagstack/plugin-api';
import type { CallState } from '../call-state.js';
import { invokeCandidate } from '../invoke.js';
import type { HookPlan } from '../plan.js';
import { wrapError } from '../plan.js';
import type { EngineSettings } from '../settings.js';
import { reportFailure } from '../settings.js';
import type {
  BestEffortResult,
  CollectEntry,
  DispatchCandidate,
  DispatchOptions,
} from '../types.js';
import { after, before, check, invokeWrapped, narrow } from './shared.js';

/** One `broadcast_collect` call under `policy`; resolves to the entries or a {@link BestEffortResult}. */
export async function runCollect(
  settings: EngineSettings,
  plan: HookPlan,
  input: unknown,
  options: DispatchOptions,
  state: CallState,
  policy: ErrorPolicy,
): Promise<unknown> {
  const list = narrow(settings, plan, options, state);
  let args = input;
  if (plan.hasBefore) {
    args = before(plan, state, '*', args);
    if (args instanceof Promise) args = await args;
  }
  if (plan.validateInput !== undefined) check(plan, 'input', args, undefined);
  let result: unknown;
  if (policy === 'best_effort') {
    result = await collectBestEffort(settings, plan, list, args, state);
  } else {
    const entries = await collectFailFast(settings, plan, list, args, state);
    if (plan.validateOutput !== undefined) checkEntries(settings, plan, list, entries);
    result = entries;
  }
  if (plan.hasAfter) {
    result = after(plan, state, '*', result);
    if (result instanceof Promise) result = await result;
  }
  return result;
}

/**
 * All plugins in parallel; resolves with the values in dispatch order, or
 * rejects with the first failure (wrapped, reported, and the others' signal
 * aborted). Hand-rolled rather than `Promise.all` over async wrappers: one
 * `then` per plugin and no extra async frames.
 */
function collectFailFast(
  settings: EngineSettings,
  plan: HookPlan,
  list: readonly DispatchCandidate[],
  args: unknown,
  state: CallState,
): Promise<CollectEntry[]> {
  const count = list.length;
  if (count === 0) return Promise.resolve([]);
  return new Promise<CollectEntry[]>((resolve, reject) => {
    const entries = new Array<CollectEntry>(count);
    let pending = count;
    const fail = (candidate: DispatchCandidate, error: unknown): void => {
      if (state.failed) return;
      // Only the first failure is the plugin's fault; later ones may come from the abort.
      state.failed = true;
      const wrapped = wrapError(error, candidate, plan);
      reportFailure(settings, candidate, wrapped, plan.hook);
      state.abort(wrapped);
      reject(wrapped);
    };
    for (let i = 0; i < count; i++) {
      const c = list[i] as DispatchCandidate;
      let work: Promise<unknown>;
      try {
        const out = invokeCandidate(c, state, plan.kind, plan.hook, args);
        work = out instanceof Promise ? out : Promise.resolve(out);
      } catch (error) {
        work = Promise.reject(error);
      }
      work.then(
        (value) => {
          if (state.failed) return;
          entries[i] = { plugin: c.name, value };
          if (--pending === 0) resolve(entries);
        },
        (error: unknown) => fail(c, error),
      );
    }
  });
}

/** The output schema check of each fail-fast entry; the first invalid one is reported and thrown. */
function checkEntries(
  settings: EngineSettings,
  plan: HookPlan,
  list: readonly DispatchCandidate[],
  entries: readonly CollectEntry[],
): void {
  for (let i = 0; i < entries.length; i++) {
    const c = list[i] as DispatchCandidate;
    try {
      check(plan, 'output', (entries[i] as CollectEntry).value, c.name);
    } catch (error) {
      reportFailure(settings, c, error, plan.hook);
      throw error;
    }
  }
}

/** All plugins in parallel, waiting for every one; failures (and invalid outputs) are collected, not thrown. */
async function collectBestEffort(
  settings: EngineSettings,
  plan: HookPlan,
  list: readonly DispatchCandidate[],
  args: unknown,
  state: CallState,
): Promise<BestEffortResult> {
  const pending = new Array<Promise<unknown>>(list.length);
  for (let i = 0; i < list.length; i++) {
    pending[i] = invokeWrapped(plan, list[i] as DispatchCandidate, args, state);
  }
  const settled = await Promise.allSettled(pending);
  const results: CollectEntry[] = [];
  const failures: PluginFailure[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i] as DispatchCandidate;
    const outcome = settled[i] as PromiseSettledResult<unknown>;
    let error: unknown;
    if (outcome.status === 'fulfilled') {
      try {
        if (plan.validateOutput !== undefined) check(plan, 'output', outcome.value, c.name);
        results.push({ plugin: c.name, value: outcome.value });
        continue;
      } catch (invalid) {
        error = invalid;
      }
    } else {
      error = outcome.reason;
    }
    reportFailure(settings, c, error, plan.hook);
    const original =
      error instanceof PluginInvocationError && error.cause !== undefined ? error.cause : error;
    failures.push({ plugin: c.name, error: original });
    settings.logger.warn(`broadcast_collect plugin "${c.name}" failed; skipped (best_effort)`, {
      plugin: c.name,
      kind: plan.kind,
      hook: plan.hook,
      error,
    });
  }
  return {
    results,
    errors:
      failures.length === 0
        ? undefined
        : new BroadcastErrors({ kind: plan.kind, hook: plan.hook, errors: failures }),
  };
}
