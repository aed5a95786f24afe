import type {
  CallMetadata,
  DispatchClass,
  ErrorPolicy,
  HookSpec,
  KindSpec,
  Logger,
  PluginFailure,
} from '@dagstack/plugin-api';
import {
  AmbiguousPlugin,
  BroadcastErrors,
  DISPATCH_CLASSES,
  DispatchMismatch,
  envKindSuffix,
  HookCancelled,
  isStopChain,
  KindUnknown,
  MIDDLEWARE_PRIORITY_FLOOR,
  NOOP_LOGGER,
  NoCapabilityMatch,
  PluginInvocationError,
  PluginRegistryError,
  PluginUnavailable,
  SerializationError,
  STOP_CHAIN,
} from '@dagstack/plugin-api';
import { CallState, Guard, PluginCall } from './call-state.js';
import {
  CapabilityIndex,
  describeSelector,
  normalizeSelector,
  selectorFromInput,
} from './capability-index.js';
import { HookValidationError } from './errors.js';
import {
  chainCaller,
  collectCaller,
  firstResultCaller,
  singletonCaller,
  wrappedCaller,
  wrappedSingletonCaller,
} from './hot-path.js';
import { invokeCandidate } from './invoke.js';
import { EMPTY_METADATA, findJsonProblem, freezeMetadata } from './json.js';
import {
  bandOf,
  compareMiddleware,
  isMiddlewareCandidate,
  middlewareMatches,
  sortCandidates,
} from './order.js';
import type { HookPlan, HotCall } from './plan.js';
import { isEmpty, names, noResult, runAfter, runBefore, wrapError } from './plan.js';
import type {
  BestEffortResult,
  CollectEntry,
  DispatchCandidate,
  DispatchEngineOptions,
  DispatchOptions,
  DispatchResult,
  Middleware,
  PolicyCall,
} from './types.js';
import { compileSchema, type Validator } from './validation.js';

const EMPTY_OPTIONS: DispatchOptions = Object.freeze({});
const KNOWN_CLASSES: ReadonlySet<string> = new Set(Object.values(DISPATCH_CLASSES));

/** Compiled schema checks of one hook. */
interface HookValidators {
  readonly input: Validator | undefined;
  readonly output: Validator | undefined;
}

/** Everything the engine knows about one kind. */
interface KindState {
  spec: KindSpec | undefined;
  hookSpecs: Map<string, HookSpec>;
  validators: Map<string, HookValidators>;
  /** Business candidates of the kind, sorted. */
  candidates: readonly DispatchCandidate[];
  /** Hook plans, built on first call and dropped on any change of the kind. */
  plans: Map<string, HookPlan>;
}

type CheckedCall = (
  engine: DispatchEngine,
  expected: DispatchClass,
  kind: string,
  hook: string,
  input: unknown,
  options: DispatchOptions,
  policy: ErrorPolicy | undefined,
) => Promise<unknown>;

let checkedCall: CheckedCall;

/**
 * Internal entry for the spec-named dispatcher classes: a call that checks
 * the hook's class and may override the hookspec's error policy. Not part of
 * the public API (not exported from the package index).
 */
export function callWithPolicy(
  engine: DispatchEngine,
  expected: DispatchClass,
  kind: string,
  hook: string,
  input: unknown,
  options: DispatchOptions,
  policy: ErrorPolicy | undefined,
): Promise<unknown> {
  return checkedCall(engine, expected, kind, hook, input, options, policy);
}

function envNameOf(kind: string): string {
  return `DAGSTACK_ACTIVE_${envKindSuffix(kind)}`;
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

function checkTimeout(value: number | undefined, what: string): number | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new PluginRegistryError(
      `${what} must be a positive number of milliseconds, got ${value}`,
      {
        hint: 'omit it (or pass Infinity) for no limit',
      },
    );
  }
  return value;
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
  readonly #logger: Logger;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #routingPolicy: DispatchEngineOptions['routingPolicy'];
  readonly #governanceFilter: DispatchEngineOptions['governanceFilter'];
  readonly #selectCapability: DispatchEngineOptions['selectCapability'];
  readonly #validate: boolean;
  readonly #checkJson: boolean;
  readonly #onPluginFailure: DispatchEngineOptions['onPluginFailure'];
  readonly #defaultTimeoutMs: number | undefined;
  readonly #kinds = new Map<string, KindState>();
  #middleware: readonly Middleware[] = [];
  /**
   * The plan of the last `(kind, hook)` called: a one-entry cache in front of
   * the two map lookups. Dropped with the plans.
   */
  #last: HookPlan | undefined = undefined;
  #inFlight = 0;
  #waiters: Array<() => void> = [];

  constructor(options: DispatchEngineOptions = {}) {
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#env = options.env ?? process.env;
    this.#routingPolicy = options.routingPolicy;
    this.#governanceFilter = options.governanceFilter;
    this.#selectCapability = options.selectCapability;
    this.#validate = options.validate ?? false;
    this.#checkJson = options.checkJsonBoundaries ?? false;
    this.#onPluginFailure = options.onPluginFailure;
    this.#defaultTimeoutMs = checkTimeout(options.defaultTimeoutMs, 'defaultTimeoutMs');
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
    const hookSpecs = new Map<string, HookSpec>();
    const validators = new Map<string, HookValidators>();
    for (const hook of spec.hooks) {
      if (!KNOWN_CLASSES.has(hook.dispatch)) {
        throw new PluginRegistryError(
          `hook "${hook.name}" has an unknown dispatch class "${String(hook.dispatch)}"`,
          { kind: spec.kind, hint: `use one of ${[...KNOWN_CLASSES].join(', ')}` },
        );
      }
      if (hookSpecs.has(hook.name)) {
        throw new PluginRegistryError(`the hookspec declares hook "${hook.name}" twice`, {
          kind: spec.kind,
          hint: 'give every hook of a kind a unique name',
        });
      }
      hookSpecs.set(hook.name, hook);
      if (this.#validate) {
        const where = `${spec.kind}.${hook.name}`;
        validators.set(hook.name, {
          input:
            hook.input_schema === undefined
              ? undefined
              : compileSchema(hook.input_schema, `input of ${where}`, spec.kind),
          output:
            hook.output_schema === undefined
              ? undefined
              : compileSchema(hook.output_schema, `output of ${where}`, spec.kind),
        });
      }
    }
    const state = this.#kindState(spec.kind);
    state.spec = spec;
    state.hookSpecs = hookSpecs;
    state.validators = validators;
    state.plans.clear();
    this.#last = undefined;
  }

  /**
   * Replace the candidates of a kind (the registry calls this whenever a
   * plugin becomes callable or stops being so). Candidates of another kind
   * and middleware candidates (`chain_wrap`) are ignored. Drops the kind's
   * cached plans.
   */
  setCandidates(kind: string, candidates: readonly DispatchCandidate[]): void {
    const state = this.#kindState(kind);
    state.candidates = sortCandidates(
      candidates.filter((c) => c.kind === kind && !isMiddlewareCandidate(c)),
    );
    state.plans.clear();
    this.#last = undefined;
  }

  /**
   * Replace the middleware (ADR-0005 §2). Each must have priority >= 1000.
   * Drops every cached plan.
   */
  setMiddleware(middleware: readonly Middleware[]): void {
    for (const m of middleware) {
      if (!(m.priority >= MIDDLEWARE_PRIORITY_FLOOR)) {
        throw new PluginRegistryError(
          `middleware "${m.name}" has priority ${m.priority}, below ${MIDDLEWARE_PRIORITY_FLOOR}`,
          { plugin: m.name, hint: 'middleware priorities start at 1000 (ADR-0005 §2)' },
        );
      }
    }
    this.#middleware = [...middleware].sort(compareMiddleware);
    for (const state of this.#kinds.values()) state.plans.clear();
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
    const problems: PluginRegistryError[] = [];
    for (const [name, state] of this.#kinds) {
      if ((kind !== undefined && name !== kind) || state.spec === undefined) continue;
      const classes = new Set(state.spec.hooks.map((h) => h.dispatch));
      const sorted = state.candidates;
      // A singleton hook whose tool-name template holds `{function}` (the
      // `tool` kind's `execute`) has one handler per (kind, plugin, function):
      // callers name the plugin, so plugins of equal priority do not clash
      // (docs/spec-decisions.md R6).
      const perKindSingleton = state.spec.hooks.some(
        (h) =>
          h.dispatch === 'singleton' && !(h.mcp_tool_name_template ?? '').includes('{function}'),
      );
      if (perKindSingleton && this.#routingPolicy === undefined && sorted.length > 1) {
        const active = this.#env[envNameOf(name)];
        const overridden = active !== undefined && sorted.some((c) => c.name === active);
        const [first, second] = sorted as [DispatchCandidate, DispatchCandidate];
        if (
          !overridden &&
          bandOf(first) === bandOf(second) &&
          first.manifest.priority === second.manifest.priority
        ) {
          problems.push(
            new AmbiguousPlugin({
              kind: name,
              reason: 'equal_priority',
              candidates: sorted
                .filter(
                  (c) =>
                    bandOf(c) === bandOf(first) && c.manifest.priority === first.manifest.priority,
                )
                .map((c) => c.name),
            }),
          );
        }
      }
      if (classes.has('capability')) {
        const fallbacks = sorted.filter((c) => c.manifest.fallback);
        if (fallbacks.length > 1) {
          problems.push(
            new AmbiguousPlugin({
              kind: name,
              reason: 'multiple_fallbacks',
              candidates: fallbacks.map((c) => c.name),
            }),
          );
        }
      }
    }
    return problems;
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
      const caller = plan.targets?.get(target) ?? this.#targetCaller(plan, target);
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
    return this.#checked(expected, kind, hook, input, options, undefined) as Promise<
      DispatchResult<C, TValue>
    >;
  }

  static {
    checkedCall = (engine, expected, kind, hook, input, options, policy) =>
      engine.#checked(expected, kind, hook, input, options, policy);
  }

  #checked(
    expected: DispatchClass,
    kind: string,
    hook: string,
    input: unknown,
    options: DispatchOptions,
    policy: ErrorPolicy | undefined,
  ): Promise<unknown> {
    let plan: HookPlan;
    try {
      plan = this.#plan(kind, hook);
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
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  /** How many `broadcast_notify` handlers are still running. */
  inFlightNotifications(): number {
    return this.#inFlight;
  }

  // -------------------------------------------------------------------------
  // Plans
  // -------------------------------------------------------------------------

  #kindState(kind: string): KindState {
    let state = this.#kinds.get(kind);
    if (state === undefined) {
      state = {
        spec: undefined,
        hookSpecs: new Map(),
        validators: new Map(),
        candidates: [],
        plans: new Map(),
      };
      this.#kinds.set(kind, state);
    }
    return state;
  }

  /** The plan of `(kind, hook)`, from the cache when it is there; remembered as the last one used. */
  #plan(kind: string, hook: string): HookPlan {
    const state = this.#kinds.get(kind);
    const cached = state?.plans.get(hook);
    if (cached !== undefined) {
      this.#last = cached;
      return cached;
    }
    if (state?.spec === undefined) {
      throw new KindUnknown('no hookspec is registered for this kind', {
        kind,
        hook,
        hint: "register the kind's hookspec (registerKind) before calling its hooks",
      });
    }
    const spec = state.hookSpecs.get(hook);
    if (spec === undefined) {
      throw new KindUnknown(`the kind has no hook "${hook}"`, {
        kind,
        hook,
        hint: `its hooks are: ${[...state.hookSpecs.keys()].join(', ') || 'none'}`,
      });
    }
    const plan = this.#buildPlan(kind, state, spec);
    state.plans.set(hook, plan);
    this.#last = plan;
    return plan;
  }

  #buildPlan(kind: string, state: KindState, spec: HookSpec): HookPlan {
    const hook = spec.name;
    const candidates = state.candidates.filter((c) => c.handle.hooks.has(hook));
    const byName = new Map(candidates.map((c) => [c.name, c] as const));
    const middleware = this.#middleware.filter((m) => middlewareMatches(m, kind, hook));
    let envChoice: DispatchCandidate | undefined;
    if (spec.dispatch === 'singleton') {
      const variable = envNameOf(kind);
      const active = this.#env[variable];
      if (active !== undefined && active !== '') {
        envChoice = byName.get(active);
        if (envChoice === undefined) {
          this.#logger.warn(
            `${variable}=${active} names no callable plugin of kind "${kind}" implementing "${hook}"; choosing by priority`,
            { kind, hook, variable, candidates: candidates.map((c) => c.name) },
          );
        }
      }
    }
    const validators = state.validators.get(hook);
    const plan: HookPlan = {
      kind,
      hook,
      dispatch: spec.dispatch,
      errorPolicy: spec.error_policy ?? 'fail_fast',
      candidates,
      all: state.candidates,
      byName,
      middleware,
      hasBefore: middleware.some((m) => m.before !== undefined),
      hasAfter: middleware.some((m) => m.after !== undefined),
      envChoice,
      validateInput: validators?.input,
      validateOutput: validators?.output,
      capability: undefined,
      hot: undefined,
      targets: undefined,
    };
    plan.hot = this.#hotCaller(plan);
    return plan;
  }

  // -------------------------------------------------------------------------
  // The dispatch
  // -------------------------------------------------------------------------

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
          ? this.#defaultTimeoutMs
          : checkTimeout(options.timeoutMs, 'timeoutMs');
      if (signal?.aborted) {
        throw new HookCancelled({ kind: plan.kind, hook: plan.hook, cause: signal.reason });
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const state = new CallState(metadata);
    if (plan.dispatch === 'broadcast_notify') {
      return this.#notify(plan, input, options, state, timeoutMs, signal);
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
   * The specialised caller of a plan (see `hot-path.ts`), or `undefined` when
   * something configured on the engine or the hook needs the general path:
   * middleware, schema validation, a routing policy or governance filter
   * (per-call decisions), a default timeout, JSON boundary checks (chain),
   * `best_effort` (collect), or no candidate (the general path reports it).
   * `broadcast_notify` and `capability` always take the general path.
   */
  #hotCaller(plan: HookPlan): HotCall | undefined {
    if (this.#generalOnly(plan)) return undefined;
    if (plan.middleware.length === 0) return this.#bareCaller(plan);
    if (plan.dispatch === 'singleton') {
      // Middleware around a singleton: when the plan fixes its plugin.
      const count = plan.candidates.length;
      const fixed = plan.envChoice ?? (count === 1 ? plan.candidates[0] : undefined);
      return fixed === undefined ? undefined : wrappedSingletonCaller(plan, fixed);
    }
    const inner = this.#bareCaller(plan);
    return inner === undefined ? undefined : wrappedCaller(plan, inner);
  }

  /** Whether something configured on the engine or the hook needs the general path for every call. */
  #generalOnly(plan: HookPlan): boolean {
    return (
      plan.validateInput !== undefined ||
      plan.validateOutput !== undefined ||
      this.#routingPolicy !== undefined ||
      this.#governanceFilter !== undefined ||
      this.#defaultTimeoutMs !== undefined
    );
  }

  /**
   * The hot caller of a `singleton` call naming `target` (and nothing else):
   * that plugin only, as the general path calls an explicit choice, with the
   * plan's middleware around it. `null` (remembered) when the general path
   * must run: an engine setting needs it, or `target` does not implement the
   * hook (the general path reports that).
   */
  #targetCaller(plan: HookPlan, target: string): HotCall | null {
    const candidate = plan.candidates.find((c) => c.name === target);
    const caller =
      candidate === undefined || this.#generalOnly(plan)
        ? null
        : plan.middleware.length === 0
          ? singletonCaller(plan, candidate)
          : wrappedSingletonCaller(plan, candidate);
    plan.targets ??= new Map();
    plan.targets.set(target, caller);
    return caller;
  }

  /** The hot caller of a plan without middleware (see {@link #hotCaller}). */
  #bareCaller(plan: HookPlan): HotCall | undefined {
    const count = plan.candidates.length;
    switch (plan.dispatch) {
      case 'singleton': {
        if (plan.envChoice !== undefined) return singletonCaller(plan, plan.envChoice);
        if (count === 1) return singletonCaller(plan, plan.candidates[0] as DispatchCandidate);
        return count === 0 ? undefined : firstResultCaller(plan);
      }
      case 'chain':
        return count === 0 || this.#checkJson ? undefined : chainCaller(plan, this.#logger);
      case 'broadcast_collect': {
        if (plan.errorPolicy !== 'fail_fast') return undefined;
        if (count === 0) return () => Promise.resolve([]);
        return collectCaller(plan, (c, error, hook) => this.#reportFailure(c, error, hook));
      }
      default:
        return undefined;
    }
  }

  #dispatch(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
    policy: ErrorPolicy | undefined,
  ): Promise<unknown> {
    switch (plan.dispatch) {
      case 'singleton':
        return this.#singleton(plan, input, options, state);
      case 'capability':
        return this.#capability(plan, input, options, state);
      case 'chain':
        return this.#chain(plan, input, options, state);
      default:
        return this.#collect(plan, input, options, state, policy ?? plan.errorPolicy);
    }
  }

  /** The plan's candidates, narrowed to `target` and by the governance filter, in dispatch order. */
  #narrow(
    plan: HookPlan,
    options: DispatchOptions,
    state: CallState,
  ): readonly DispatchCandidate[] {
    let list = plan.candidates;
    const target = options.target;
    if (target !== undefined) {
      const chosen = plan.byName.get(target);
      if (chosen === undefined) throw this.#unavailable(plan, target, undefined);
      list = [chosen];
    }
    const filter = this.#governanceFilter;
    if (filter !== undefined) {
      const allowed = filter(plan.kind, plan.hook, list, this.#policyCall(state));
      if (allowed !== list) {
        const keep = new Set(allowed);
        list = list.filter((c) => keep.has(c));
      }
      if (target !== undefined && list.length === 0) {
        throw this.#unavailable(
          plan,
          target,
          'the governance filter does not allow it for this call',
        );
      }
    }
    return list;
  }

  #policyCall(state: CallState): PolicyCall {
    return { metadata: state.metadata };
  }

  #unavailable(plan: HookPlan, name: string, reason: string | undefined): PluginUnavailable {
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

  #noCandidates(plan: HookPlan, filtered: boolean): KindUnknown {
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

  async #invoke(
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
  #before(plan: HookPlan, state: CallState, name: string, args: unknown): unknown {
    return runBefore(plan.middleware, new PluginCall(state, plan.kind, name, plan.hook), args, 0);
  }

  /** `after` in reverse order; a value, or a promise once one of them is async. */
  #after(plan: HookPlan, state: CallState, name: string, result: unknown): unknown {
    const list = plan.middleware;
    return runAfter(
      list,
      new PluginCall(state, plan.kind, name, plan.hook),
      result,
      list.length - 1,
    );
  }

  #check(
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

  async #singleton(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
  ): Promise<unknown> {
    const list = this.#narrow(plan, options, state);
    const first = list[0];
    if (first === undefined) throw this.#noCandidates(plan, plan.candidates.length > 0);
    let chosen: DispatchCandidate | undefined;
    if (options.target !== undefined) {
      chosen = first;
    } else if (this.#routingPolicy !== undefined) {
      const name = this.#routingPolicy(plan.kind, plan.hook, list, this.#policyCall(state));
      if (name !== undefined) {
        chosen = list.find((c) => c.name === name);
        if (chosen === undefined) {
          throw this.#unavailable(
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
      args = this.#before(plan, state, selected.name, args);
      if (args instanceof Promise) args = await args;
    }
    if (plan.validateInput !== undefined) this.#check(plan, 'input', args, undefined);
    let result: unknown;
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
      // firstresult: the first non-empty result in dispatch order.
      for (const c of list) {
        state.current = c.name;
        result = await this.#invoke(plan, c, args, state);
        if (!isEmpty(result)) {
          producer = c;
          break;
        }
      }
    }
    state.current = undefined;
    if (isEmpty(result)) throw noResult(plan, chosen === undefined ? list : [chosen]);
    if (plan.validateOutput !== undefined) this.#check(plan, 'output', result, producer.name);
    if (plan.hasAfter) {
      result = this.#after(plan, state, selected.name, result);
      if (result instanceof Promise) result = await result;
    }
    return result;
  }

  async #capability(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
  ): Promise<unknown> {
    let chosen: DispatchCandidate | undefined;
    if (options.target !== undefined) {
      chosen = this.#narrow(plan, options, state)[0];
    } else {
      const raw =
        options.selector ??
        (this.#selectCapability === undefined
          ? selectorFromInput(input)
          : this.#selectCapability(plan.kind, plan.hook, input));
      const selector = normalizeSelector(raw);
      plan.capability ??= new CapabilityIndex(plan.candidates);
      const index = plan.capability;
      let allowed: ReadonlySet<DispatchCandidate> | undefined;
      const filter = this.#governanceFilter;
      if (filter !== undefined) {
        const list = filter(plan.kind, plan.hook, plan.candidates, this.#policyCall(state));
        if (list !== plan.candidates) allowed = new Set(list);
      }
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
    if (chosen === undefined) throw this.#noCandidates(plan, false);
    let args = input;
    if (plan.hasBefore) {
      args = this.#before(plan, state, chosen.name, args);
      if (args instanceof Promise) args = await args;
    }
    if (plan.validateInput !== undefined) this.#check(plan, 'input', args, undefined);
    state.current = chosen.name;
    let result: unknown;
    try {
      result = await invokeCandidate(chosen, state, plan.kind, plan.hook, args);
    } catch (error) {
      throw wrapError(error, chosen, plan);
    }
    state.current = undefined;
    if (plan.validateOutput !== undefined) this.#check(plan, 'output', result, chosen.name);
    if (plan.hasAfter) {
      result = this.#after(plan, state, chosen.name, result);
      if (result instanceof Promise) result = await result;
    }
    return result;
  }

  async #chain(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
  ): Promise<unknown> {
    const list = this.#narrow(plan, options, state);
    if (list.length === 0) throw this.#noCandidates(plan, plan.candidates.length > 0);
    let value = input;
    if (plan.hasBefore) {
      value = this.#before(plan, state, '*', value);
      if (value instanceof Promise) value = await value;
    }
    if (plan.validateInput !== undefined) this.#check(plan, 'input', value, undefined);
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
        this.#logger.debug(`chain stopped by ${c.name}`, {
          kind: plan.kind,
          hook: plan.hook,
          plugin: c.name,
        });
        break;
      }
      if (isStopChain(out)) {
        value = (out as { [STOP_CHAIN]: unknown })[STOP_CHAIN];
        if (this.#checkJson) this.#jsonBoundary(plan, c, value);
        this.#logger.debug(`chain stopped by ${c.name}`, {
          kind: plan.kind,
          hook: plan.hook,
          plugin: c.name,
        });
        break;
      }
      if (this.#checkJson) this.#jsonBoundary(plan, c, out);
      value = out;
    }
    state.current = undefined;
    if (plan.validateOutput !== undefined) this.#check(plan, 'output', value, last?.name);
    if (plan.hasAfter) {
      value = this.#after(plan, state, '*', value);
      if (value instanceof Promise) value = await value;
    }
    return value;
  }

  #jsonBoundary(plan: HookPlan, candidate: DispatchCandidate, value: unknown): void {
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

  async #collect(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
    policy: ErrorPolicy,
  ): Promise<unknown> {
    const list = this.#narrow(plan, options, state);
    let args = input;
    if (plan.hasBefore) {
      args = this.#before(plan, state, '*', args);
      if (args instanceof Promise) args = await args;
    }
    if (plan.validateInput !== undefined) this.#check(plan, 'input', args, undefined);
    let result: unknown;
    if (policy === 'best_effort') {
      result = await this.#collectBestEffort(plan, list, args, state);
    } else {
      const entries = await this.#collectFailFast(plan, list, args, state);
      if (plan.validateOutput !== undefined) this.#checkEntries(plan, list, entries);
      result = entries;
    }
    if (plan.hasAfter) {
      result = this.#after(plan, state, '*', result);
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
  #collectFailFast(
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
        this.#reportFailure(candidate, wrapped, plan.hook);
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

  #checkEntries(
    plan: HookPlan,
    list: readonly DispatchCandidate[],
    entries: readonly CollectEntry[],
  ): void {
    for (let i = 0; i < entries.length; i++) {
      const c = list[i] as DispatchCandidate;
      try {
        this.#check(plan, 'output', (entries[i] as CollectEntry).value, c.name);
      } catch (error) {
        this.#reportFailure(c, error, plan.hook);
        throw error;
      }
    }
  }

  async #collectBestEffort(
    plan: HookPlan,
    list: readonly DispatchCandidate[],
    args: unknown,
    state: CallState,
  ): Promise<BestEffortResult> {
    const pending = new Array<Promise<unknown>>(list.length);
    for (let i = 0; i < list.length; i++) {
      pending[i] = this.#invoke(plan, list[i] as DispatchCandidate, args, state);
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
          if (plan.validateOutput !== undefined) this.#check(plan, 'output', outcome.value, c.name);
          results.push({ plugin: c.name, value: outcome.value });
          continue;
        } catch (invalid) {
          error = invalid;
        }
      } else {
        error = outcome.reason;
      }
      this.#reportFailure(c, error, plan.hook);
      const original =
        error instanceof PluginInvocationError && error.cause !== undefined ? error.cause : error;
      failures.push({ plugin: c.name, error: original });
      this.#logger.warn(`broadcast_collect plugin "${c.name}" failed; skipped (best_effort)`, {
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

  #reportFailure(candidate: DispatchCandidate, error: unknown, hook: string): void {
    const report = this.#onPluginFailure;
    if (report === undefined) return;
    try {
      report(candidate, error, hook);
    } catch (callbackError) {
      this.#logger.error('onPluginFailure callback threw', {
        plugin: candidate.name,
        hook,
        error: callbackError,
      });
    }
  }

  async #notify(
    plan: HookPlan,
    input: unknown,
    options: DispatchOptions,
    state: CallState,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<undefined> {
    const list = this.#narrow(plan, options, state);
    let args = input;
    if (plan.hasBefore) {
      args = this.#before(plan, state, '*', args);
      if (args instanceof Promise) args = await args;
    }
    if (plan.validateInput !== undefined) this.#check(plan, 'input', args, undefined);
    if (list.length === 0 && !plan.hasAfter) return undefined;
    const guard =
      timeoutMs === undefined && signal === undefined
        ? undefined
        : new Guard(state, plan.kind, plan.hook, timeoutMs, signal);
    this.#inFlight += list.length;
    const jobs = new Array<Promise<void>>(list.length);
    for (let i = 0; i < list.length; i++) {
      jobs[i] = this.#notifyOne(plan, list[i] as DispatchCandidate, args, state, guard);
    }
    if (guard !== undefined || plan.hasAfter) {
      this.#inFlight++;
      void Promise.all(jobs).then(() => this.#notifyDone(plan, state, guard));
    }
    return undefined;
  }

  async #notifyOne(
    plan: HookPlan,
    candidate: DispatchCandidate,
    args: unknown,
    state: CallState,
    guard: Guard | undefined,
  ): Promise<void> {
    try {
      const work = this.#invoke(plan, candidate, args, state);
      await (guard === undefined ? work : guard.race(work));
    } catch (error) {
      this.#logger.error(
        `broadcast_notify handler "${candidate.name}" of ${plan.kind}.${plan.hook} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { plugin: candidate.name, kind: plan.kind, hook: plan.hook, error },
      );
    } finally {
      this.#release();
    }
  }

  async #notifyDone(plan: HookPlan, state: CallState, guard: Guard | undefined): Promise<void> {
    try {
      guard?.dispose();
      if (plan.hasAfter) await this.#after(plan, state, '*', undefined);
    } catch (error) {
      this.#logger.error(`middleware after() of ${plan.kind}.${plan.hook} failed`, {
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
