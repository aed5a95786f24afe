import type { DispatchClass, ErrorPolicy, HookSpec, KindSpec } from '@dagstack/plugin-api';
import { DispatchMismatch, KindUnknown, PluginRegistryError } from '@dagstack/plugin-api';
import { callWithPolicy, DispatchEngine } from './engine.js';
import type {
  BestEffortResult,
  CollectEntry,
  DispatchCandidate,
  DispatchEngineOptions,
  DispatchOptions,
  Middleware,
} from './types.js';

/**
 * Options of the spec-named dispatcher classes: the engine options, plus an
 * optional hookspec and middleware.
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
  /** Middleware wrapped around every dispatch (ADR-0005 §2). */
  readonly middleware?: readonly Middleware[];
}

function sameList(a: readonly DispatchCandidate[], b: readonly DispatchCandidate[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Common part of the five spec-named dispatchers: each owns a
 * {@link DispatchEngine} for its kind and feeds it the plugins it is given,
 * so the semantics are exactly those of `DispatchEngine.call`. The sorted
 * candidates and capability index are reused while the list of plugins of
 * the kind stays the same (compared element by element).
 * @since 0.1.0
 */
export abstract class Dispatcher {
  /** The kind this dispatcher serves; plugins of other kinds are ignored. */
  readonly kind: string;
  /** The dispatch class this dispatcher applies. */
  readonly dispatchClass: DispatchClass;
  /** The engine doing the work (for `settled()` and inspection). */
  protected readonly engine: DispatchEngine;
  readonly #spec: KindSpec | undefined;
  readonly #hooks = new Map<string, HookSpec>();
  #candidates: readonly DispatchCandidate[] = [];

  protected constructor(
    kind: string,
    dispatchClass: DispatchClass,
    options: DispatcherOptions = {},
  ) {
    this.kind = kind;
    this.dispatchClass = dispatchClass;
    this.engine = new DispatchEngine(options);
    this.#spec = options.spec;
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

  /** Check the hook, sync the candidates, and call through the engine. */
  protected run(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: unknown,
    options: DispatchOptions | undefined,
    policy: ErrorPolicy | undefined,
  ): Promise<unknown> {
    try {
      this.#prepare(plugins, hook);
    } catch (error) {
      return Promise.reject(error);
    }
    return callWithPolicy(
      this.engine,
      this.dispatchClass,
      this.kind,
      hook,
      input,
      options ?? {},
      policy,
    );
  }

  #prepare(plugins: readonly DispatchCandidate[], hook: string): void {
    if (this.#spec !== undefined) {
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
    } else if (!this.#hooks.has(hook)) {
      this.#hooks.set(hook, { name: hook, dispatch: this.dispatchClass, mcp_exposed: true });
      this.engine.registerKind({
        kind: this.kind,
        kind_api_version: '1',
        hooks: [...this.#hooks.values()],
      });
    }
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

  /** Resolves once the handlers started by this dispatcher have finished. */
  settled(): Promise<void> {
    return this.engine.settled();
  }

  /** How many handlers are still running. */
  inFlightNotifications(): number {
    return this.engine.inFlightNotifications();
  }
}

/**
 * `chain` under its spec name: plugins in dispatch order, each getting the
 * previous one's output. A plugin returning `STOP_CHAIN` ends the chain with
 * the input it received; `stopChain(value)` ends it with `value`; `undefined`
 * passes its input on unchanged; a throw aborts the chain.
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
 * @since 0.1.0
 */
export class CapabilityDispatcher<TInput = unknown, TOutput = unknown> extends Dispatcher {
  constructor(kind: string, options?: DispatcherOptions) {
    super(kind, 'capability', options);
  }

  /** Route `input` to the matching plugin among `plugins` and call `hook` on it. */
  dispatch(
    plugins: readonly DispatchCandidate[],
    hook: string,
    input: TInput,
    options?: DispatchOptions,
  ): Promise<TOutput> {
    return this.run(plugins, hook, input, options, undefined) as Promise<TOutput>;
  }
}
