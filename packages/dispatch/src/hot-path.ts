/**
 * The hot path: callers specialised per `(kind, hook)` when the plan is
 * built, for calls without per-call options on an engine where nothing
 * (validation, routing policy, governance filter, default timeout, JSON
 * boundary checks) can change what happens; middleware is run around them
 * (singleton: when the plan fixes the plugin). They keep the
 * contract of the general path — every plugin gets its own `HookCall`,
 * errors are wrapped with the plugin's name, `null`/`undefined` is "no
 * result" for singleton, `STOP_CHAIN` stops a chain, collect results come in
 * dispatch order with plugin names, a fail-fast failure aborts the others'
 * signal — but skip what cannot matter here: the per-call state, the timeout
 * and cancellation machinery, async frames and per-stage closures.
 *
 * What makes them cheap (each measured, see docs/performance.md):
 * - a `then` with callbacks made once per plan (singleton) or once per
 *   dispatch (chain) instead of an `async` function: resuming an `await`
 *   costs more than running a `then` callback;
 * - one object per dispatch holding the loop state (chain, collect): no
 *   closure per chain stage; for collect the two reaction closures of each
 *   plugin are made in a helper method, so they capture only the run and the
 *   index;
 * - synchronous plugin results are taken at once, without a promise tick;
 * - no `AbortController` unless a plugin reads `call.signal`.
 *
 * Plain closures and classes, no generated code: compiling the runners per
 * plan with `new Function` (as tapable does) was measured and did not pay.
 */
import type { CallAbortListener, CallMetadata, Logger } from '@dagstack/plugin-api';
import { type CallAbortListeners, isStopChain, STOP_CHAIN } from '@dagstack/plugin-api';
import type { SharedCallState } from './call-state.js';
import { PluginCall, watchState } from './call-state.js';
import type { CallOwner, OutcomeChecks } from './in-flight.js';
import { TrackedCall } from './in-flight.js';
import { invokeCandidate } from './invoke.js';
import { EMPTY_METADATA } from './json.js';
import type { HookPlan, HotCall } from './plan.js';
import { isEmpty, noResult, runAfter, runBefore, wrapError } from './plan.js';
import { isThenable } from './thenable.js';
import type { CollectEntry, DispatchCandidate } from './types.js';

/** Reports a failed `broadcast_collect` plugin (the engine's `onPluginFailure`, guarded). */
export type FailureReport = (candidate: DispatchCandidate, error: unknown, hook: string) => void;

type Settle = (value: unknown) => void;

/** A plugin's synchronous (non-promise) result, passed through the same callbacks as an async one. */
function settleSync(
  out: unknown,
  onResult: (value: unknown) => unknown,
  onError: (error: unknown) => never,
): Promise<unknown> {
  if (isThenable(out)) return Promise.resolve(out).then(onResult, onError);
  try {
    return Promise.resolve(onResult(out));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Call candidate `c` (untracked, or tracked without checks) and pass its
 * outcome through `onResult` / `onError` in one reaction; a synchronous
 * throw rejects, wrapped with the plugin's name.
 */
function callThen(
  plan: HookPlan,
  c: DispatchCandidate,
  input: unknown,
  onResult: (value: unknown) => unknown,
  onError: (error: unknown) => never,
): Promise<unknown> {
  let out: unknown;
  try {
    out = invokeCandidate(c, undefined, plan.kind, plan.hook, input);
  } catch (error) {
    return Promise.reject(wrapError(error, c, plan));
  }
  if (out instanceof Promise) return out.then(onResult, onError);
  return settleSync(out, onResult, onError);
}

// ---------------------------------------------------------------------------
// singleton
// ---------------------------------------------------------------------------

/**
 * A singleton call whose plugin is fixed by the plan: the only candidate, or
 * the one `DAGSTACK_ACTIVE_<KIND>` names. One `invoke` and one `then` with
 * callbacks made once per plan; an empty result is `KindUnknown`.
 */
export function singletonCaller(plan: HookPlan, chosen: DispatchCandidate): HotCall {
  const { kind, hook } = plan;
  const { name, handle } = chosen;
  const tried = [chosen];
  const onResult = (result: unknown): unknown => {
    if (isEmpty(result)) throw noResult(plan, tried);
    return result;
  };
  const onError = (error: unknown): never => {
    throw wrapError(error, chosen, plan);
  };
  const list = chosen.inFlight;
  if (list !== undefined) {
    // Tracked (the registry's candidates): the tracked call checks the
    // result in its own reaction, so tracking adds no promise hop.
    const checks: OutcomeChecks = { onResult, onError };
    return (input) => new TrackedCall(undefined, kind, name, hook, list, checks).run(handle, input);
  }
  return (input) => callThen(plan, chosen, input, onResult, onError);
}

/** `run`, after the plan's `before` middleware (synchronous until one returns a promise; a throw rejects as it is). */
function afterBefore(plan: HookPlan, name: string, run: HotCall): HotCall {
  if (!plan.hasBefore) return run;
  const { kind, hook, middleware } = plan;
  return (input) => {
    let args: unknown;
    try {
      args = runBefore(middleware, new PluginCall(undefined, kind, name, hook), input, 0);
    } catch (error) {
      return Promise.reject(error);
    }
    return args instanceof Promise ? args.then(run) : run(args);
  };
}

/** The plan's `after` middleware in reverse order, or `undefined` when none has one. */
function afterOf(plan: HookPlan, name: string): ((result: unknown) => unknown) | undefined {
  if (!plan.hasAfter) return undefined;
  const { kind, hook, middleware } = plan;
  const last = middleware.length - 1;
  return (result) =>
    runAfter(middleware, new PluginCall(undefined, kind, name, hook), result, last);
}

/**
 * A singleton call with middleware around it (ADR-0005 §2), its plugin fixed
 * by the plan: `before` in priority order, the plugin, the empty-result
 * check and `after` in reverse order in the plugin's own reaction. As on the
 * general path, `before` and `after` each get a call of their own naming the
 * plugin, plugin errors are wrapped with its name and what a middleware
 * throws reaches the caller as it is.
 */
export function wrappedSingletonCaller(plan: HookPlan, chosen: DispatchCandidate): HotCall {
  const tried = [chosen];
  const after = afterOf(plan, chosen.name);
  const onResult = (result: unknown): unknown => {
    if (isEmpty(result)) throw noResult(plan, tried);
    return after === undefined ? result : after(result);
  };
  const onError = (error: unknown): never => {
    throw wrapError(error, chosen, plan);
  };
  return afterBefore(plan, chosen.name, (args) => callThen(plan, chosen, args, onResult, onError));
}

/**
 * A chain or `broadcast_collect` hot call with middleware around the whole
 * dispatch (ADR-0005 §2: once per dispatch, the call named `"*"`), as the
 * general path does it.
 */
export function wrappedCaller(plan: HookPlan, inner: HotCall): HotCall {
  const after = afterOf(plan, '*');
  return afterBefore(plan, '*', after === undefined ? inner : (args) => inner(args).then(after));
}

/**
 * Told about a plugin whose error a `singleton` call skipped (firstresult:
 * an error counts as no result and the next plugin is tried).
 */
export type SkipReport = (candidate: DispatchCandidate, error: unknown, hook: string) => void;

/**
 * firstresult over several candidates (ADR-0002 §1): the first is called
 * like {@link singletonCaller}; an empty result or an error goes on, in a
 * loop, to the next ones (each skipped error is reported). When none gives
 * a result, the first error is thrown, or `KindUnknown` when all were empty.
 */
export function firstResultCaller(plan: HookPlan, skipped: SkipReport): HotCall {
  const first = plan.candidates[0] as DispatchCandidate;
  return (input) => {
    const onResult = (result: unknown): unknown =>
      isEmpty(result) ? firstResultFrom(plan, input, 1, undefined, skipped) : result;
    const onError = (error: unknown): Promise<unknown> => {
      const wrapped = wrapError(error, first, plan);
      skipped(first, wrapped, plan.hook);
      return firstResultFrom(plan, input, 1, wrapped, skipped);
    };
    let out: unknown;
    try {
      out = invokeCandidate(first, undefined, plan.kind, plan.hook, input);
    } catch (error) {
      return onError(error);
    }
    if (isThenable(out)) return Promise.resolve(out).then(onResult, onError);
    return Promise.resolve(onResult(out));
  };
}

/**
 * firstresult from position `start` of the plan's candidates, after an
 * empty result or an error (`failure`: the first error so far).
 */
async function firstResultFrom(
  plan: HookPlan,
  input: unknown,
  start: number,
  failure: unknown,
  skipped: SkipReport,
): Promise<unknown> {
  const list = plan.candidates;
  let firstError = failure;
  for (let i = start; i < list.length; i++) {
    const c = list[i] as DispatchCandidate;
    let result: unknown;
    try {
      result = await invokeCandidate(c, undefined, plan.kind, plan.hook, input);
    } catch (error) {
      const wrapped = wrapError(error, c, plan);
      skipped(c, wrapped, plan.hook);
      firstError ??= wrapped;
      continue;
    }
    if (!isEmpty(result)) return result;
  }
  throw firstError ?? noResult(plan, list);
}

// ---------------------------------------------------------------------------
// chain
// ---------------------------------------------------------------------------

/**
 * One chain dispatch: a loop over the stages that parks on a pending stage
 * (one `then` with the two callbacks made when the dispatch starts) and
 * continues when it settles. Synchronous stage results are taken in the loop.
 */
class ChainRun implements CallOwner {
  readonly #plan: HookPlan;
  readonly #logger: Logger;
  readonly #resolve: Settle;
  readonly #reject: Settle;
  #value: unknown;
  #index = 0;
  /** The pending stage's tracked call (tracked candidates only). */
  #current: TrackedCall | undefined = undefined;
  readonly #onValue = (out: unknown): void => {
    const tracked = this.#current;
    if (tracked !== undefined) {
      this.#current = undefined;
      if (!tracked.finish()) return; // cancelled: already settled
    }
    try {
      if (this.#take(out)) this.run();
    } catch (error) {
      // Only the logger can throw here; the call must still settle.
      this.#reject(error);
    }
  };
  readonly #onError = (error: unknown): void => {
    const tracked = this.#current;
    if (tracked !== undefined) {
      this.#current = undefined;
      if (!tracked.finish()) return;
    }
    this.#reject(
      wrapError(error, this.#plan.candidates[this.#index] as DispatchCandidate, this.#plan),
    );
  };

  constructor(plan: HookPlan, logger: Logger, value: unknown, resolve: Settle, reject: Settle) {
    this.#plan = plan;
    this.#logger = logger;
    this.#value = value;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Run stages from the current one until one is pending or the chain ends. */
  run(): void {
    const plan = this.#plan;
    const { kind, hook, candidates } = plan;
    while (this.#index < candidates.length) {
      const c = candidates[this.#index] as DispatchCandidate;
      const list = c.inFlight;
      let tracked: TrackedCall | undefined;
      let out: unknown;
      try {
        if (list === undefined) {
          out = c.handle.invoke(hook, this.#value, new PluginCall(undefined, kind, c.name, hook));
        } else {
          tracked = new TrackedCall(undefined, kind, c.name, hook, list, undefined);
          out = tracked.start(c.handle, this.#value, this);
        }
      } catch (error) {
        tracked?.finish();
        this.#reject(wrapError(error, c, plan));
        return;
      }
      if (out instanceof Promise) {
        this.#current = tracked;
        out.then(this.#onValue, this.#onError);
        return;
      }
      if (isThenable(out)) {
        this.#current = tracked;
        Promise.resolve(out).then(this.#onValue, this.#onError);
        return;
      }
      tracked?.finish();
      if (!this.#take(out)) return;
    }
    this.#resolve(this.#value);
  }

  /** The registry cancelled the pending stage: the chain rejects with the reason. */
  callCancelled(call: TrackedCall, reason: unknown): void {
    if (call !== this.#current) return;
    this.#reject(
      wrapError(reason, this.#plan.candidates[this.#index] as DispatchCandidate, this.#plan),
    );
  }

  /** Take the current stage's output; `false` when it stopped the chain (already resolved). */
  #take(out: unknown): boolean {
    if (out !== undefined) {
      if (out === STOP_CHAIN) {
        // The chain's result is the input the stopping plugin received.
        this.#stopped();
        this.#resolve(this.#value);
        return false;
      }
      if (isStopChain(out)) {
        this.#stopped();
        this.#resolve((out as { [STOP_CHAIN]: unknown })[STOP_CHAIN]);
        return false;
      }
      this.#value = out;
    }
    this.#index++;
    return true;
  }

  #stopped(): void {
    const plan = this.#plan;
    const name = (plan.candidates[this.#index] as DispatchCandidate).name;
    this.#logger.debug(`chain stopped by ${name}`, {
      kind: plan.kind,
      hook: plan.hook,
      plugin: name,
    });
  }
}

/** A chain over the plan's candidates (at least one). */
export function chainCaller(plan: HookPlan, logger: Logger): HotCall {
  return (input) =>
    new Promise<unknown>((resolve, reject) => {
      new ChainRun(plan, logger, input, resolve, reject).run();
    });
}

// ---------------------------------------------------------------------------
// broadcast_collect (fail_fast)
// ---------------------------------------------------------------------------

/**
 * One fail-fast `broadcast_collect` dispatch, and the call state its plugins
 * share (the first failure aborts everyone's `call.signal`). Entries are
 * written into a preallocated array by index, so the result is in dispatch
 * order whatever order the plugins finish in.
 */
class CollectRun implements SharedCallState, CallOwner {
  readonly metadata: CallMetadata = EMPTY_METADATA;
  readonly #plan: HookPlan;
  readonly #report: FailureReport;
  readonly #resolve: Settle;
  readonly #reject: Settle;
  readonly #entries: CollectEntry[];
  #pending: number;
  #failed = false;
  #reason: unknown = undefined;
  #controller: AbortController | undefined = undefined;
  #listeners: CallAbortListeners | undefined = undefined;
  /** Each plugin's tracked call, by index (made when a candidate is tracked). */
  #calls: (TrackedCall | undefined)[] | undefined = undefined;

  constructor(plan: HookPlan, report: FailureReport, resolve: Settle, reject: Settle) {
    const count = plan.candidates.length;
    this.#plan = plan;
    this.#report = report;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#entries = new Array<CollectEntry>(count);
    this.#pending = count;
  }

  /** The signal every plugin of this dispatch sees; aborted by the first failure. */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = new AbortController();
      // A plugin reading the signal after the failure gets it already aborted.
      if (this.#failed) controller.abort(this.#reason);
      this.#controller = controller;
    }
    return controller.signal;
  }

  start(input: unknown): void {
    const { kind, hook, candidates } = this.#plan;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i] as DispatchCandidate;
      const list = c.inFlight;
      let out: unknown;
      try {
        if (list === undefined) {
          out = c.handle.invoke(hook, input, new PluginCall(this, kind, c.name, hook));
        } else {
          const tracked = new TrackedCall(this, kind, c.name, hook, list, undefined);
          if (this.#calls === undefined) this.#calls = new Array(candidates.length);
          this.#calls[i] = tracked;
          out = tracked.start(c.handle, input, this);
        }
      } catch (error) {
        // Reported on a later tick, like an async failure: the others are still started.
        this.#watch(Promise.reject(error), i);
        continue;
      }
      if (out instanceof Promise) this.#watch(out, i);
      else if (isThenable(out)) this.#watch(Promise.resolve(out), i);
      else this.#fulfil(i, out);
    }
  }

  /** The two reaction closures, made here so the loop above allocates no per-iteration context. */
  #watch(work: Promise<unknown>, index: number): void {
    work.then(
      (value) => this.#fulfil(index, value),
      (error: unknown) => this.#fail(index, error),
    );
  }

  /** Unlist plugin `index`'s tracked call; `false` when it was cancelled (its outcome is dropped). */
  #finish(index: number): boolean {
    const tracked = this.#calls?.[index];
    return tracked === undefined || tracked.finish();
  }

  #fulfil(index: number, value: unknown): void {
    if (!this.#finish(index) || this.#failed) return;
    this.#entries[index] = {
      plugin: (this.#plan.candidates[index] as DispatchCandidate).name,
      value,
    };
    if (--this.#pending === 0) this.#resolve(this.#entries);
  }

  #fail(index: number, error: unknown): void {
    if (!this.#finish(index)) return;
    this.#failWith(index, error);
  }

  #failWith(index: number, error: unknown): void {
    if (this.#failed) return;
    // Only the first failure is the plugin's fault; later ones may come from the abort.
    this.#failed = true;
    const plan = this.#plan;
    const c = plan.candidates[index] as DispatchCandidate;
    const wrapped = wrapError(error, c, plan);
    this.#reason = wrapped;
    this.#report(c, wrapped, plan.hook);
    this.#controller?.abort(wrapped);
    this.#listeners?.fire(wrapped);
    this.#reject(wrapped);
  }

  /** The registry cancelled one plugin's call: the dispatch fails with the reason, as if it had thrown it. */
  callCancelled(call: TrackedCall, reason: unknown): void {
    const index = this.#calls?.indexOf(call) ?? -1;
    if (index >= 0) this.#failWith(index, reason);
  }

  /** Tell `listener` about the first failure, without creating the signal. */
  watchAbort(listener: CallAbortListener, on: boolean): void {
    this.#listeners = watchState(this.#listeners, this.#failed, this.#reason, listener, on);
  }
}

/** A fail-fast `broadcast_collect` over the plan's candidates (at least one). */
export function collectCaller(plan: HookPlan, report: FailureReport): HotCall {
  return (input) =>
    new Promise<unknown>((resolve, reject) => {
      new CollectRun(plan, report, resolve, reject).start(input);
    });
}
