/**
 * The dispatch engine: the public `DispatchEngine`, a thin composition of
 * the kind table (`kinds.ts`), the hot callers (`hot-path.ts`, chosen in
 * `hot-select.ts`) and the general-path runners of each dispatch class
 * (`runners/`). Here: the call entry points with the one-entry plan cache in
 * front of the kind table, per-call options (metadata, timeout, the caller's
 * signal) and the timeout guard, and the switch to the class's runner.
 *
 * Owns: the engine's settings object, the one-entry plan cache, the kind
 * table and the notification runner (both made here). May not touch: the
 * kind table's or any runner's private state (it calls their methods), nor
 * plugins directly: every plugin call goes through a hot caller or a runner.
 */
import type {
  CallMetadata,
  DispatchClass,
  ErrorPolicy,
  KindSpec,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import { DispatchMismatch, HookCancelled } from '@dagstack/plugin-api';
import { CallState, Guard } from './call-state.js';
import { targetCaller } from './hot-select.js';
import { EMPTY_METADATA, freezeMetadata } from './json.js';
import { KindTable } from './kinds.js';
import type { HookPlan } from './plan.js';
import { runCollect } from './runners/broadcast-collect.js';
import { NotifyRunner } from './runners/broadcast-notify.js';
import { runCapability } from './runners/capability.js';
import { runChain } from './runners/chain.js';
import { runSingleton } from './runners/singleton.js';
import type { EngineSettings } from './settings.js';
import { checkTimeout, engineSettings } from './settings.js';
import type {
  BestEffortResult,
  DispatchCandidate,
  DispatchEngineOptions,
  DispatchOptions,
  DispatchResult,
  Middleware,
} from './types.js';

const EMPTY_OPTIONS: DispatchOptions = Object.freeze({});

type CheckedCall = (
  engine: DispatchEngine,
  expected: DispatchClass,
  kind: string,
  hook: string,
  input: unknown,
  options: DispatchOptions,
  policy: ErrorPolicy | undefined,
) => Promise<unknown>;

let classCall: CheckedCall;

/**
 * Internal entry for the dispatcher classes (their own engine and a host's
 * dispatch route): a call that names the hook's class and may override the
 * error policy. When the engine has a hookspec declaring the hook, its class
 * must be `expected` (`DispatchMismatch` otherwise); a kind without a
 * hookspec, or a hook it does not declare, is called as
 * `expected` under an implied one-hook spec (no schemas, the default error
 * policy unless `policy`) instead of rejecting with `KindUnknown`. The call
 * still runs through the engine: middleware, routing policy, governance
 * filter, in-flight tracking, timeouts and failure reports apply. Nothing is
 * registered: `call()` of that kind is still `KindUnknown`, and a later
 * `registerKind` decides from then on. Not part of the public API.
 */
export function callAsClass(
  engine: DispatchEngine,
  expected: DispatchClass,
  kind: string,
  hook: string,
  input: unknown,
  options: DispatchOptions,
  policy: ErrorPolicy | undefined,
): Promise<unknown> {
  return classCall(engine, expected, kind, hook, input, options, policy);
}

/** Whether a call's options ask for nothing per call (the hot path may serve it). */
function noCallOptions(options: DispatchOptions): boolean {
  return (
    options.metadata === undefined &&
    options.timeoutMs === undefined &&
    options.signal === undefined &&
    options.target === undefined &&
    options.selector === undefined
  );
}

/** Whether a call's only per-call option is its target. */
function onlyTarget(options: DispatchOptions): boolean {
  return (
    options.metadata === undefined &&
    options.timeoutMs === undefined &&
    options.signal === undefined &&
    options.selector === undefined
  );
}

/**
 * The dispatch engine: the five classes of ADR-0002 over candidate lists the
 * host (the registry) keeps up to date, with ADR-0005 middleware, capability
 * index, governance filter, per-call metadata, timeouts, cancellation and
 * schema validation. Pure logic: no registry, no I/O.
 *
 * Per `(kind, hook)` the sorted candidates, the middleware stack, the
 * capability index and the compiled validators are computed once and reused;
 * `registerKind`, `setCandidates` and `setMiddleware` invalidate them.
 *
 * What {@link DispatchEngine.call} resolves to, by the hook's class:
 * - `singleton`, `capability`: the selected plugin's result;
 * - `chain`: the final value;
 * - `broadcast_notify`: `undefined`, as soon as the handlers are started
 *   (use {@link DispatchEngine.settled} to wait for them);
 * - `broadcast_collect` with `fail_fast` (default): `CollectEntry[]`
 *   (`{ plugin, value }`) in dispatch order;
 * - `broadcast_collect` with `best_effort`: a {@link BestEffortResult}.
 * @since 0.1.0
 */
export class DispatchEngine {
  readonly #settings: EngineSettings;
  readonly #kinds: KindTable;
  readonly #notify: NotifyRunner;
  /**
   * The plan of the last `(kind, hook)` called: a one-entry cache in front of
   * the kind table. Dropped on every change of the table.
   */
  #last: HookPlan | undefined = undefined;

  constructor(options: DispatchEngineOptions = {}) {
    const settings = engineSettings(options);
    this.#settings = settings;
    this.#kinds = new KindTable(settings);
    this.#notify = new NotifyRunner(settings);
  }

  // -------------------------------------------------------------------------
  // Configuration
  // -------------------------------------------------------------------------

  /**
   * Register (or replace) a kind's hookspec: the dispatch class and error
   * policy of each hook and, with `validate`, its schemas (compiled now).
   * Throws `PluginRegistryError` for an unknown dispatch class, a duplicate
   * hook name or a schema that does not compile.
   */
  registerKind(spec: KindSpec): void {
    this.#kinds.register(spec);
    this.#last = undefined;
  }

  /**
   * Replace the candidates of a kind (the registry calls this whenever a
   * plugin becomes callable or stops being so). Candidates of another kind
   * and middleware candidates (`chain_wrap`) are ignored. Drops the kind's
   * cached plans.
   */
  setCandidates(kind: string, candidates: readonly DispatchCandidate[]): void {
    this.#kinds.setCandidates(kind, candidates);
    this.#last = undefined;
  }

  /**
   * Replace the middleware (ADR-0005 §2). Each must have priority >= 1000.
   * Drops every cached plan.
   */
  setMiddleware(middleware: readonly Middleware[]): void {
    this.#kinds.setMiddleware(middleware);
    this.#last = undefined;
  }

  /**
   * Start-time checks (ADR-0002 §Conflict resolution), for every registered
   * kind or just `kind`:
   * - a kind with a `singleton` hook whose two first candidates share band
   *   and priority, with no routing policy and no `DAGSTACK_ACTIVE_<KIND>`
   *   naming one of them → `AmbiguousPlugin` (`equal_priority`); singleton
   *   hooks addressed per function (`{function}` in the tool-name template)
   *   do not count;
   * - a kind with a `capability` hook and more than one `fallback = true`
   *   candidate → `AmbiguousPlugin` (`multiple_fallbacks`).
   * Returns the problems; throws nothing.
   */
  verify(kind?: string): PluginRegistryError[] {
    return this.#kinds.verify(kind);
  }

  // -------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------

  /**
   * Call `hook` of `kind` through the dispatch class its hookspec declares.
   * See the class documentation for what each class resolves to. `TResult`
   * only types the result; nothing is checked at run time (use `validate`).
   *
   * Rejects with `KindUnknown` (no hookspec, unknown hook, no candidate, or
   * no result from a singleton), `NoCapabilityMatch`, `PluginUnavailable`
   * (`target` or routing policy naming a plugin that cannot be called),
   * `PluginInvocationError` (a plugin threw; registry errors pass as they
   * are), `HookTimeout`, `HookCancelled`, `HookValidationError`,
   * `SerializationError`, or what a middleware threw.
   */
  call<TResult = unknown>(
    kind: string,
    hook: string,
    input: unknown,
    options: DispatchOptions = EMPTY_OPTIONS,
  ): Promise<TResult> {
    let plan = this.#last;
    if (plan === undefined || plan.hook !== hook || plan.kind !== kind) {
      try {
        plan = this.#plan(kind, hook);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const hot = plan.hot;
    if (hot !== undefined && (options === EMPTY_OPTIONS || noCallOptions(options))) {
      return hot(input) as Promise<TResult>;
    }
    const target = options.target;
    if (target !== undefined && plan.dispatch === 'singleton' && onlyTarget(options)) {
      const caller = plan.targets?.get(target) ?? targetCaller(this.#settings, plan, target);
      if (caller !== null) return caller(input) as Promise<TResult>;
    }
    return this.#run(plan, input, options, undefined) as Promise<TResult>;
  }

  /**
   * Like {@link DispatchEngine.call}, but first checks that the hook's class
   * is `expected` (`DispatchMismatch` otherwise) and types the result by
   * class (see {@link DispatchResult}).
   */
  callAs<C extends DispatchClass, TValue = unknown>(
    expected: C,
    kind: string,
    hook: string,
    input: unknown,
    options: DispatchOptions = EMPTY_OPTIONS,
  ): Promise<DispatchResult<C, TValue>> {
    return this.#checked(expected, kind, hook, input, options, undefined, false) as Promise<
      DispatchResult<C, TValue>
    >;
  }

  static {
    classCall = (engine, expected, kind, hook, input, options, policy) =>
      engine.#checked(expected, kind, hook, input, options, policy, true);
  }

  /**
   * A call that names the hook's class. `implied`: a hook without a hookspec
   * gets a plan from an implied spec of class `expected` (`KindTable.planAs`;
   * such plans never become the one-entry cache, which `call()` trusts).
   */
  #checked(
    expected: DispatchClass,
    kind: string,
    hook: string,
    input: unknown,
    options: DispatchOptions,
    policy: ErrorPolicy | undefined,
    implied: boolean,
  ): Promise<unknown> {
    let plan: HookPlan;
    try {
      plan = implied ? this.#kinds.planAs(kind, hook, expected) : this.#plan(kind, hook);
      if (plan.dispatch !== expected) {
        throw new DispatchMismatch({ kind, hook, expected: plan.dispatch, actual: expected });
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const hot = plan.hot;
    if (
      hot !== undefined &&
      (policy === undefined || policy === plan.errorPolicy) &&
      noCallOptions(options)
    ) {
      return hot(input);
    }
    return this.#run(plan, input, options, policy);
  }

  /** Resolves once every in-flight `broadcast_notify` handler (and its `after` middleware) has finished. */
  settled(): Promise<void> {
    return this.#notify.settled();
  }

  /** How many `broadcast_notify` handlers are still running. */
  inFlightNotifications(): number {
    return this.#notify.inFlight;
  }

  // -------------------------------------------------------------------------
  // The dispatch
  // -------------------------------------------------------------------------

  /** The plan of `(kind, hook)` from the kind table; remembered as the last one used. */
  #plan(kind: string, hook: string): HookPlan {
    const plan = this.#kinds.plan(kind, hook);
    this.#last = plan;
    return plan;
  }

  #run(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    policy: ErrorPolicy | undefined,
  ): Promise<unknown> {
    let metadata: CallMetadata;
    let timeoutMs: number | undefined;
    const signal = options.signal;
    try {
      metadata =
        options.metadata === undefined
          ? EMPTY_METADATA
          : freezeMetadata(options.metadata, plan.kind, plan.hook);
      timeoutMs =
        options.timeoutMs === undefined
          ? this.#settings.defaultTimeoutMs
          : checkTimeout(options.timeoutMs, 'timeoutMs');
      if (signal?.aborted) {
        throw new HookCancelled({ kind: plan.kind, hook: plan.hook, cause: signal.reason });
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const state = new CallState(metadata);
    if (plan.dispatch === 'broadcast_notify') {
      return this.#notify.run(plan, input, options, state, timeoutMs, signal);
    }
    if (timeoutMs === undefined && signal === undefined) {
      return this.#dispatch(plan, input, options, state, policy);
    }
    return this.#guarded(plan, input, options, state, policy, timeoutMs, signal);
  }

  async #guarded(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
    policy: ErrorPolicy | undefined,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const guard = new Guard(state, plan.kind, plan.hook, timeoutMs, signal);
    try {
      return await guard.race(this.#dispatch(plan, input, options, state, policy));
    } finally {
      guard.dispose();
    }
  }

  /**
   * The call of `plan` by its class's runner (`broadcast_notify` excepted:
   * `#run` starts it); `#guarded` races it against the deadline.
   */
  #dispatch(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
    policy: ErrorPolicy | undefined,
  ): Promise<unknown> {
    switch (plan.dispatch) {
      case 'singleton':
        return runSingleton(this.#settings, plan, input, options, state);
      case 'capability':
        return runCapability(this.#settings, plan, input, options, state);
      case 'chain':
        return runChain(this.#settings, plan, input, options, state);
      default:
        return runCollect(this.#settings, plan, input, options, state, policy ?? plan.errorPolicy);
    }
  }
}
