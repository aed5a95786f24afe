/**
 * Dispatch routes: the link from a candidate to the call path of the host
 * (the registry) that published it. A registry links every candidate it
 * hands out (`registry.getLoadedPlugins()`); a spec-named dispatcher class
 * handed those candidates calls through the registry's path instead of
 * calling the plugins itself, so middleware, routing policy, governance
 * filter, validation and degraded marking apply to it as to `registry.call`.
 * A kind (or hook) the host has no hookspec for is run there too, as the
 * dispatcher's class under an implied one-hook spec (`callAsClass`).
 *
 * Owns: the link (a non-enumerable, non-writable `Symbol.for` property on
 * the candidate, read the same by every copy of this package) and the set of
 * handles whose candidates are linked (to recognise a hand-made copy of a
 * linked candidate). Never called on the engine's call path: linking happens
 * once per candidate, reading only in the dispatcher classes.
 */
import { type DispatchClass, type ErrorPolicy, PluginRegistryError } from '@dagstack/plugin-api';
import { callAsClass, type DispatchEngine } from './engine.js';
import type { DispatchCandidate, DispatchOptions } from './types.js';

const ROUTE: unique symbol = Symbol.for('dagstack.plugin-system.dispatch-route');

/** Handles of linked candidates (this copy of the package only). */
const linkedHandles = new WeakSet<object>();

/**
 * One call a dispatcher class makes through a {@link DispatchRoute}.
 * @since 0.2.0
 */
export interface RouteCall {
  /** The dispatcher's class; a hook of another class is `DispatchMismatch`. */
  readonly dispatchClass: DispatchClass;
  /** The kind the dispatcher serves. */
  readonly kind: string;
  /** The hook to call. */
  readonly hook: string;
  /** The hook's input, as the dispatcher was given it. */
  readonly input: unknown;
  /** The per-call options (metadata, timeout, signal, target, selector). */
  readonly options: DispatchOptions;
  /** For `broadcast_collect`: the error policy instead of the hookspec's. */
  readonly policy: ErrorPolicy | undefined;
}

/**
 * The call path of a host, as the candidates it publishes carry it. Build
 * one with {@link createDispatchRoute}; attach it with {@link linkCandidate}.
 * @since 0.2.0
 */
export interface DispatchRoute {
  /** Who owns the path, for messages (`PluginRegistry`). */
  readonly owner: string;
  /**
   * Call the hook as the host's own call entry does. Rejects with
   * `DispatchMismatch` when the host's hookspec declares the hook with a
   * class other than `call.dispatchClass`. A kind the host has no hookspec
   * for, or a hook its hookspec does not declare, is called as
   * `call.dispatchClass` under an implied one-hook spec (no schemas; the
   * default error policy unless `call.policy`), still through the host's
   * engine: middleware, routing policy, governance filter, in-flight
   * tracking, timeouts and failure reports apply. Nothing is registered: a
   * later hookspec of the kind decides from then on.
   */
  call(call: RouteCall): Promise<unknown>;
  /** Names of the plugins of `kind` the host can call now (middleware excluded). */
  callable(kind: string): readonly string[];
  /** Resolves once the host's in-flight `broadcast_notify` handlers have finished. */
  settled(): Promise<void>;
  /** How many of the host's `broadcast_notify` handlers are running. */
  inFlightNotifications(): number;
}

/**
 * Options of {@link createDispatchRoute}.
 * @since 0.2.0
 */
export interface DispatchRouteOptions {
  /** Who owns the path, for messages. @default "the host" */
  readonly owner?: string;
  /** Names of the plugins of `kind` the host can call now (middleware excluded). */
  readonly callable: (kind: string) => readonly string[];
  /**
   * The host's own call of a `singleton` hook it routes before the engine
   * (the registry's function-routed hooks, such as the `tool` kind's
   * `execute`), or `undefined` to call the engine.
   */
  readonly divert?: (
    kind: string,
    hook: string,
  ) => ((input: unknown, options: DispatchOptions) => Promise<unknown>) | undefined;
}

/**
 * A {@link DispatchRoute} over `engine`: calls check the hook's class and
 * honour a dispatcher's error policy, exactly as the engine's own entries
 * (middleware, routing policy, governance filter, validation, timeouts and
 * `onPluginFailure` all apply). A hook `engine` has no hookspec for runs as
 * the dispatcher's class under an implied one-hook spec (see
 * {@link DispatchRoute.call}). Built once by the host, never per call.
 * @since 0.2.0
 */
export function createDispatchRoute(
  engine: DispatchEngine,
  options: DispatchRouteOptions,
): DispatchRoute {
  const divert = options.divert;
  return Object.freeze({
    owner: options.owner ?? 'the host',
    call(call: RouteCall): Promise<unknown> {
      if (divert !== undefined && call.dispatchClass === 'singleton') {
        const diverted = divert(call.kind, call.hook);
        if (diverted !== undefined) return diverted(call.input, call.options);
      }
      return callAsClass(
        engine,
        call.dispatchClass,
        call.kind,
        call.hook,
        call.input,
        call.options,
        call.policy,
      );
    },
    callable: options.callable,
    settled: () => engine.settled(),
    inFlightNotifications: () => engine.inFlightNotifications(),
  });
}

/**
 * Link `candidate` to its host's call path (non-enumerable and
 * non-writable: a spread copy does not carry it, and nothing can replace
 * it). A dispatcher class handed the candidate then calls through `route`.
 * A candidate is linked once: linking it to another route, or linking a
 * frozen candidate, throws `PluginRegistryError`. Returns `candidate`.
 * @since 0.2.0
 */
export function linkCandidate<T extends DispatchCandidate>(candidate: T, route: DispatchRoute): T {
  const current = routeOf(candidate);
  if (current === route) return candidate;
  if (current !== undefined || !Object.isExtensible(candidate)) {
    throw new PluginRegistryError(
      current === undefined
        ? 'cannot link a frozen or sealed dispatch candidate to a route'
        : `the dispatch candidate is already linked to the call path of ${current.owner}`,
      {
        plugin: candidate.name,
        kind: candidate.kind,
        hint:
          current === undefined
            ? 'link the candidate before freezing it'
            : 'a candidate belongs to one host: build a new candidate for the other one',
      },
    );
  }
  Object.defineProperty(candidate, ROUTE, {
    value: route,
    enumerable: false,
    writable: false,
    configurable: false,
  });
  linkedHandles.add(candidate.handle);
  return candidate;
}

/** The route `candidate` is linked to, if any (internal). */
export function routeOf(candidate: DispatchCandidate): DispatchRoute | undefined {
  return (candidate as { [ROUTE]?: DispatchRoute })[ROUTE];
}

/**
 * Whether `candidate`, not linked itself, carries the handle of a linked
 * candidate: a hand-made copy of a registry's candidate (internal).
 */
export function isCopyOfLinked(candidate: DispatchCandidate): boolean {
  return routeOf(candidate) === undefined && linkedHandles.has(candidate.handle);
}
