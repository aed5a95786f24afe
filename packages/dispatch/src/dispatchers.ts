import type { DispatchClass, ErrorPolicy, KindSpec } from '@dagstack/plugin-api';
import { DispatchMismatch, KindUnknown, PluginRegistryError } from '@dagstack/plugin-api';
import { callAsClass, DispatchEngine } from './engine.js';
import { DispatchRouteConflict } from './errors.js';
import { type DispatchRoute, isCopyOfLinked, routeOf } from './route.js';
import type {
  BestEffortResult,
  CapabilityInput,
  CollectEntry,
  DispatchCandidate,
  DispatchEngineOptions,
  DispatchOptions,
  Middleware,
} from './types.js';

/**
 * Options of the spec-named dispatcher classes: the engine options, plus an
 * optional hookspec and middleware.
 *
 * Only `spec` and `logger` apply to plugins that come from a registry
 * (`registry.getLoadedPlugins()`): those are called through the registry,
 * with the registry's settings. A dispatcher built with any of the others
 * (`middleware`, `governanceFilter`, `routingPolicy`, `selectCapability`,
 * `validate: true`, `checkJsonBoundaries: true`, `defaultTimeoutMs`, `env`,
 * `onPluginFailure`) refuses registry plugins with
 * {@link DispatchRouteConflict} (`own_policies`) instead of dropping them.
 * @since 0.1.0
 */
export interface DispatcherOptions extends DispatchEngineOptions {
  /**
   * The kind's hookspec. When given, a hook it does not declare is
   * `KindUnknown`, a hook of another class is `DispatchMismatch`, and its
   * schemas are used when `validate` is on. Without it any hook name is
   * dispatched with the dispatcher's class.
   */
  readonly spec?: KindSpec;
  /** Middleware wrapped around every dispatch of hand-built candidates (ADR-0005 §2). */
  readonly middleware?: readonly Middleware[];
}

function sameList(a: readonly DispatchCandidate[], b: readonly DispatchCandidate[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The options a registry's path cannot honour, by name (see {@link DispatcherOptions}). */
function ownPolicies(options: DispatcherOptions): string[] {
  const set: string[] = [];
  if (options.middleware !== undefined && options.middleware.length > 0) set.push('middleware');
  if (options.governanceFilter !== undefined) set.push('governanceFilter');
  if (options.routingPolicy !== undefined) set.push('routingPolicy');
  if (options.selectCapability !== undefined) set.push('selectCapability');
  if (options.validate === true) set.push('validate');
  if (options.checkJsonBoundaries === true) set.push('checkJsonBoundaries');
  if (options.defaultTimeoutMs !== undefined) set.push('defaultTimeoutMs');
  if (options.env !== undefined) set.push('env');
  if (options.onPluginFailure !== undefined) set.push('onPluginFailure');
  return set;
}

/**
 * Common part of the five spec-named dispatchers. Where the plugins handed
 * to `dispatch` come from decides the path:
 *
 * - **From a registry** (`registry.getLoadedPlugins()`: each candidate
 *   carries a hidden link to its registry's call path): the call goes
 *   through that registry exactly as `registry.call(kind, hook, ...)` does —
 *   its middleware, routing policy, governance filter, validation, timeouts
 *   and degraded marking apply, and the registry's current plugins of the
 *   kind are the ones called. The dispatcher keeps only its class (a hook
 *   the registry's hookspec gives another class is `DispatchMismatch`) and
 *   its result shape. A kind the registry has no hookspec for (no
 *   `registerKind`), or a hook its hookspec does not declare, is still called
 *   through the registry, as this dispatcher's class under an implied
 *   one-hook spec (no schemas, the default error policy): middleware,
 *   governance filter, in-flight tracking, timeouts and degraded marking
 *   apply; a later `registerKind` of the kind governs the calls after it.
 *   The list must hold every plugin of the kind the registry can call; a
 *   narrowed list, plugins of several registries, registry plugins mixed
 *   with hand-built candidates, copies of registry candidates, or a
 *   dispatcher built with its own policies are refused with
 *   {@link DispatchRouteConflict} before anything is called.
 * - **Hand-built candidates** (no registry): this dispatcher's own
 *   {@link DispatchEngine} calls them directly, with **only** what its
 *   {@link DispatcherOptions} give. No registry middleware, routing policy,
 *   governance filter, validation or degraded marking applies there: that is
 *   for tests and hosts without a registry. The sorted candidates and
 *   capability index are reused while the list of plugins of the kind stays
 *   the same (compared element by element).
 * @since 0.1.0
 */
export abstract class Dispatcher {
  /** The kind this dispatcher serves; plugins of other kinds are ignored. */
  readonly kind: string;
  /** The dispatch class this dispatcher applies. */
  readonly dispatchClass: DispatchClass;
  /** The engine calling hand-built candidates (for `settled()` and inspection). */
  protected readonly engine: DispatchEngine;
  readonly #spec: KindSpec | undefined;
  readonly #ownPolicies: readonly string[];
  #candidates: readonly DispatchCandidate[] = [];
  /** The registry paths this dispatcher has called through (for `settled()`). */
  readonly #routes = new Set<DispatchRoute>();

  protected constructor(
    kind: string,
    dispatchClass: DispatchClass,
    options: DispatcherOptions = {},
  ) {
    this.kind = kind;
    this.dispatchClass = dispatchClass;
    this.engine = new DispatchEngine(options);
    this.#spec = options.spec;
    this.#ownPolicies = Object.freeze(ownPolicies(options));
    if (options.spec !== undefined) {
      if (options.spec.kind !== kind) {
        throw new PluginRegistryError(
          `the hookspec given is for kind "${options.spec.kind}", not "${kind}"`,
          { kind, hint: 'pass the hookspec of the kind this dispatcher serves' },
        );
      }
      this.engine.registerKind(options.spec);
    }
    if (options.middleware !== undefined) this.engine.setMiddleware(options.middleware);
    this.engine.setCandidates(kind, []);
  }

  /** Check the hook and the plugins, then call through the registry's path or the own engine. */
  protected run(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: unknown,
    options: DispatchOptions | undefined,
    policy: ErrorPolicy | undefined,
  ): Promise<unknown> {
    let route: DispatchRoute | undefined;
    try {
      this.#checkHook(hook);
      route = this.#routeFor(plugins, hook);
      if (route === undefined) this.#prepare(plugins);
    } catch (error) {
      return Promise.reject(error);
    }
    if (route !== undefined) {
      this.#routes.add(route);
      return route.call({
        dispatchClass: this.dispatchClass,
        kind: this.kind,
        hook,
        input,
        options: options ?? {},
        policy,
      });
    }
    // Without a hookspec the hook runs as this dispatcher's class (implied spec).
    return callAsClass(
      this.engine,
      this.dispatchClass,
      this.kind,
      hook,
      input,
      options ?? {},
      policy,
    );
  }

  /** Resolves once the `broadcast_notify` handlers of every path this dispatcher used have finished. */
  protected settledAll(): Promise<void> {
    return Promise.all([this.engine.settled(), ...[...this.#routes].map((r) => r.settled())]).then(
      () => undefined,
    );
  }

  /** `broadcast_notify` handlers running on every path this dispatcher used. */
  protected inFlightAll(): number {
    let n = this.engine.inFlightNotifications();
    for (const route of this.#routes) n += route.inFlightNotifications();
    return n;
  }

  /** With a hookspec: the hook must be declared, with this dispatcher's class. */
  #checkHook(hook: string): void {
    if (this.#spec === undefined) return;
    const declared = this.#spec.hooks.find((h) => h.name === hook);
    if (declared === undefined) {
      throw new KindUnknown(`the kind has no hook "${hook}"`, {
        kind: this.kind,
        hook,
        hint: `its hooks are: ${this.#spec.hooks.map((h) => h.name).join(', ') || 'none'}`,
      });
    }
    if (declared.dispatch !== this.dispatchClass) {
      throw new DispatchMismatch({
        kind: this.kind,
        hook,
        expected: declared.dispatch,
        actual: this.dispatchClass,
      });
    }
  }

  /**
   * The registry path the plugins were handed with, or `undefined` for
   * hand-built candidates. Throws {@link DispatchRouteConflict} for a list
   * that cannot be called without skipping a registry's path.
   */
  #routeFor(plugins: readonly DispatchCandidate[], hook: string): DispatchRoute | undefined {
    let route: DispatchRoute | undefined;
    let several: Set<DispatchRoute> | undefined;
    const unlinked: string[] = [];
    const copies: string[] = [];
    for (const plugin of plugins) {
      const linked = routeOf(plugin);
      if (linked === undefined) {
        if (plugin.kind !== this.kind) continue;
        unlinked.push(plugin.name);
        if (isCopyOfLinked(plugin)) copies.push(plugin.name);
      } else if (route === undefined) {
        route = linked;
      } else if (linked !== route) {
        several ??= new Set([route]);
        several.add(linked);
      }
    }
    const conflict = (
      reason: DispatchRouteConflict['reason'],
      names: readonly string[],
    ): DispatchRouteConflict =>
      new DispatchRouteConflict({
        kind: this.kind,
        hook,
        dispatcher: this.constructor.name,
        reason,
        names,
        ...(names.length === 1 && reason !== 'own_policies' && reason !== 'several_hosts'
          ? { plugin: names[0] as string }
          : {}),
      });
    if (copies.length > 0) throw conflict('copied_candidate', copies);
    if (route === undefined) return undefined;
    if (several !== undefined)
      throw conflict(
        'several_hosts',
        [...several].map((r) => r.owner),
      );
    if (unlinked.length > 0) throw conflict('mixed_list', unlinked);
    if (this.#ownPolicies.length > 0) throw conflict('own_policies', this.#ownPolicies);
    const given = new Set<string>();
    for (const plugin of plugins) if (plugin.kind === this.kind) given.add(plugin.name);
    const left = route.callable(this.kind).filter((name) => !given.has(name));
    if (left.length > 0) throw conflict('partial_list', left);
    return route;
  }

  /** Hand-built candidates: sync the own engine's candidates of the kind. */
  #prepare(plugins: readonly DispatchCandidate[]): void {
    const ofKind = plugins.filter((p) => p.kind === this.kind);
    if (!sameList(ofKind, this.#candidates)) {
      this.engine.setCandidates(this.kind, ofKind);
      this.#candidates = ofKind;
    }
  }
}

/**
 * `singleton` under its spec name: one plugin answers (routing policy, else
 * `DAGSTACK_ACTIVE_<KIND>`, else the first non-empty result in dispatch
 * order). Resolves to that plugin's result.
 *
 * **Registry plugins go through the registry.** Handed
 * `registry.getLoadedPlugins()`, the call is the registry's own
 * (`registry.call`): middleware, routing policy, governance filter,
 * validation and degraded marking apply. **Hand-built candidates skip all
 * of that**: this dispatcher calls them directly with only its own
 * {@link DispatcherOptions}. See {@link Dispatcher} for the rules and
 * {@link DispatchRouteConflict} for the lists it refuses.
 *
 * ```ts
 * const payment = new SingletonDispatcher<ChargeInput, ChargeOutput>('payment_provider');
 * const result = await payment.dispatch(registry.getLoadedPlugins(), 'charge', input);
 * ```
 * @since 0.1.0
 */
export class SingletonDispatcher<TInput = unknown, TOutput = unknown> extends Dispatcher {
  constructor(kind: string, options?: DispatcherOptions) {
    super(kind, 'singleton', options);
  }

  /** Call `hook` on the active plugin of the kind among `plugins`. */
  dispatch(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: TInput,
    options?: DispatchOptions,
  ): Promise<TOutput> {
    return this.run(plugins, hook, input, options, undefined) as Promise<TOutput>;
  }
}

/**
 * `broadcast_collect` under its spec name: every plugin of the kind in
 * parallel, results in dispatch order (tryfirst, normal, trylast; priority
 * descending; ties by name).
 *
 * **Registry plugins go through the registry.** Handed
 * `registry.getLoadedPlugins()`, the call is the registry's own
 * (`registry.call`): middleware, routing policy, governance filter,
 * validation and degraded marking apply. **Hand-built candidates skip all
 * of that**: this dispatcher calls them directly with only its own
 * {@link DispatcherOptions}. See {@link Dispatcher} for the rules and
 * {@link DispatchRouteConflict} for the lists it refuses.
 * @since 0.1.0
 */
export class BroadcastCollectDispatcher<TInput = unknown, TOutput = unknown> extends Dispatcher {
  constructor(kind: string, options?: DispatcherOptions) {
    super(kind, 'broadcast_collect', options);
  }

  /**
   * The values, in dispatch order (fail-fast: the first failure rejects with
   * `PluginInvocationError` naming the plugin).
   */
  async dispatch(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: TInput,
    options?: DispatchOptions,
  ): Promise<TOutput[]> {
    const entries = await this.dispatchEntries(plugins, hook, input, options);
    return entries.map((e) => e.value);
  }

  /** Like {@link BroadcastCollectDispatcher.dispatch}, with each value's plugin name. */
  dispatchEntries(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: TInput,
    options?: DispatchOptions,
  ): Promise<CollectEntry<TOutput>[]> {
    return this.run(plugins, hook, input, options, 'fail_fast') as Promise<CollectEntry<TOutput>[]>;
  }

  /**
   * Best effort: never rejects because of a plugin; returns the values of the
   * plugins that succeeded and a `BroadcastErrors` listing the others.
   */
  dispatchSettled(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: TInput,
    options?: DispatchOptions,
  ): Promise<BestEffortResult<TOutput>> {
    return this.run(plugins, hook, input, options, 'best_effort') as Promise<
      BestEffortResult<TOutput>
    >;
  }
}

/**
 * `broadcast_notify` under its spec name: fire-and-forget. `dispatch`
 * resolves as soon as the handlers are started; their failures are logged
 * (with the plugin name) and never reach the caller.
 *
 * **Registry plugins go through the registry.** Handed
 * `registry.getLoadedPlugins()`, the call is the registry's own
 * (`registry.call`): middleware, routing policy, governance filter,
 * validation and degraded marking apply. **Hand-built candidates skip all
 * of that**: this dispatcher calls them directly with only its own
 * {@link DispatcherOptions}. See {@link Dispatcher} for the rules and
 * {@link DispatchRouteConflict} for the lists it refuses.
 * @since 0.1.0
 */
export class BroadcastNotifyDispatcher<TInput = unknown> extends Dispatcher {
  constructor(kind: string, options?: DispatcherOptions) {
    super(kind, 'broadcast_notify', options);
  }

  /** Notify every plugin of the kind among `plugins`. */
  async dispatch(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: TInput,
    options?: DispatchOptions,
  ): Promise<void> {
    await this.run(plugins, hook, input, options, undefined);
  }

  /**
   * Resolves once the handlers started by this dispatcher have finished. For
   * registry plugins it waits for the registry's notifications (all of them,
   * not only those this dispatcher started), like `registry.settled()`.
   */
  settled(): Promise<void> {
    return this.settledAll();
  }

  /**
   * How many handlers are still running: those of hand-built candidates, plus
   * every notification of the registries this dispatcher has called through.
   */
  inFlightNotifications(): number {
    return this.inFlightAll();
  }
}

/**
 * `chain` under its spec name: plugins in dispatch order, each getting the
 * previous one's output. A plugin returning `STOP_CHAIN` ends the chain with
 * the input it received; `stopChain(value)` ends it with `value`; `undefined`
 * passes its input on unchanged; a throw aborts the chain.
 *
 * **Registry plugins go through the registry.** Handed
 * `registry.getLoadedPlugins()`, the call is the registry's own
 * (`registry.call`): middleware, routing policy, governance filter,
 * validation and degraded marking apply. **Hand-built candidates skip all
 * of that**: this dispatcher calls them directly with only its own
 * {@link DispatcherOptions}. See {@link Dispatcher} for the rules and
 * {@link DispatchRouteConflict} for the lists it refuses.
 * @since 0.1.0
 */
export class ChainDispatcher<TValue = unknown> extends Dispatcher {
  constructor(kind: string, options?: DispatcherOptions) {
    super(kind, 'chain', options);
  }

  /** Run `input` through the chain; resolves to the final value. */
  dispatch(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: TValue,
    options?: DispatchOptions,
  ): Promise<TValue> {
    return this.run(plugins, hook, input, options, undefined) as Promise<TValue>;
  }
}

/**
 * `capability` under its spec name: exactly one plugin, chosen by what the
 * request needs (`options.selector`, else the `selectCapability` option, else
 * {@link selectorFromInput}: the input's `extension`, `language`, `mimeType`
 * and `capabilities`). Specific matches first, then plugins declaring no
 * capability ("match anything"), then the fallback; none →
 * `NoCapabilityMatch`. Resolves to the chosen plugin's result.
 *
 * **Registry plugins go through the registry.** Handed
 * `registry.getLoadedPlugins()`, the call is the registry's own
 * (`registry.call`): middleware, routing policy, governance filter,
 * validation and degraded marking apply. **Hand-built candidates skip all
 * of that**: this dispatcher calls them directly with only its own
 * {@link DispatcherOptions}. See {@link Dispatcher} for the rules and
 * {@link DispatchRouteConflict} for the lists it refuses.
 * @since 0.1.0
 */
export class CapabilityDispatcher<TInput = unknown, TOutput = unknown> extends Dispatcher {
  constructor(kind: string, options?: DispatcherOptions) {
    super(kind, 'capability', options);
  }

  /**
   * Route `input` to the matching plugin among `plugins` and call `hook` on
   * it. The input may carry the routing fields of {@link CapabilityRequest}
   * beside `TInput`'s own (`capabilities: { required: [...] }`, ...).
   */
  dispatch(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: CapabilityInput<TInput>,
    options?: DispatchOptions,
  ): Promise<TOutput> {
    return this.run(plugins, hook, input, options, undefined) as Promise<TOutput>;
  }
}
