/**
 * Per-call resource decoration (ADR-0005 §3 and §5; spec decision R18): the
 * host's `resourceDecorators` run around every method call a plugin makes
 * on a resource it reached through its context (`ctx.resources.get(name)`
 * and the context services `ctx.eventBus`, `ctx.tracer`, ...), and see the
 * plugin, the resource, the method, the arguments and the hook call the
 * plugin is serving, with its metadata.
 *
 * How the hook call is known: `AsyncLocalStorage`. With at least one
 * decorator, each in-process plugin's handle runs its hooks inside
 * `storage.run(call, ...)` (installed when the plugin is set up), so a
 * resource call made anywhere under a hook — after `await`s, in timers and
 * callbacks the hook started — reads that call; outside any hook (setup,
 * teardown, health) it reads nothing. Without decorators nothing here runs:
 * no storage is made, handles and resources stay the originals, and calls
 * pay nothing.
 *
 * Reach: plugins running in the host's thread. A plugin isolated in a
 * worker thread or child process, or served over MCP, gets no host
 * resources to decorate. A middleware's `before` / `after` / `filter` run
 * in the scope of whoever made the call (no scope for a host call).
 *
 * Owns: the process's `AsyncLocalStorage` of hook calls (made by the first
 * registry with decorators), the scoped `invoke` of the handles it scoped,
 * and the decorated resources of each plugin context. May not touch:
 * records, states, dispatch.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  HookCall,
  PluginHandle,
  ResourceCall,
  ResourceContainer,
  ResourceDecoration,
  ResourceDecorator,
  StandardResources,
} from '@dagstack/plugin-api';
import { decorate, ResourceError } from '@dagstack/plugin-resources';

/** The hook call each async context serves; made once, by the first registry with decorators. */
let storage: AsyncLocalStorage<HookCall> | undefined;

/** The plugin a decorated resource belongs to. */
export interface DecoratedPlugin {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin's kind. */
  readonly kind: string;
}

/** The host's resource decorators, applied to in-process plugins as they are set up. */
export class ResourceDecorations {
  readonly #entries: readonly ResourceDecoration[];
  readonly #storage: AsyncLocalStorage<HookCall>;
  /** Handles whose `invoke` already runs in the call's scope. */
  readonly #scoped = new WeakSet<PluginHandle>();

  private constructor(entries: readonly ResourceDecoration[]) {
    this.#entries = entries;
    storage ??= new AsyncLocalStorage<HookCall>();
    this.#storage = storage;
  }

  /**
   * The decorations of the option's list, or `undefined` when it holds none
   * (then nothing is decorated or scoped). Throws `ResourceError` for an
   * entry without a resource name or a decorator function.
   */
  static of(list: readonly ResourceDecoration[] | undefined): ResourceDecorations | undefined {
    if (list === undefined || list.length === 0) return undefined;
    for (const [i, entry] of list.entries()) {
      const e = entry as Partial<ResourceDecoration> | null;
      if (
        typeof e !== 'object' ||
        e === null ||
        typeof e.resource !== 'string' ||
        e.resource === '' ||
        typeof e.decorate !== 'function'
      ) {
        throw new ResourceError(
          `resourceDecorators[${i}] must be { resource: string, decorate: function }`,
          {
            hint: "give the resource's name (or '*') and a decorator (call, next) => next()",
          },
        );
      }
    }
    return new ResourceDecorations(Object.freeze([...list]));
  }

  /**
   * Make an in-process handle run each hook inside its call's scope (its
   * `invoke` is replaced once). Handles of other runtimes and of isolated
   * plugins (no object in this thread) are left alone.
   */
  scope(handle: PluginHandle): void {
    if (
      handle.runtime !== 'in_process' ||
      typeof handle.instance !== 'object' ||
      handle.instance === null ||
      this.#scoped.has(handle)
    ) {
      return;
    }
    const store = this.#storage;
    const invoke = handle.invoke.bind(handle);
    handle.invoke = (hook, input, call) => store.run(call, invoke, hook, input, call);
    this.#scoped.add(handle);
  }

  /**
   * What `plugin`'s context hands out, decorated: `wrap(name, value)` for a
   * context service, `container(inner)` for `ctx.resources`. Both share one
   * proxy per resource object, so a resource read twice (or through both)
   * is the same object.
   */
  forPlugin(plugin: DecoratedPlugin): PluginResources {
    // By name, then by object: one object under two names is decorated per name.
    const made = new Map<string, WeakMap<object, unknown>>();
    const wrap = (name: string, value: unknown): unknown => {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
        return value;
      }
      let byObject = made.get(name);
      if (byObject === undefined) {
        byObject = new WeakMap();
        made.set(name, byObject);
      }
      if (!byObject.has(value)) byObject.set(value, this.#decorated(plugin, name, value));
      return byObject.get(value);
    };
    return {
      wrap,
      container(inner: ResourceContainer): ResourceContainer {
        function get<TName extends keyof StandardResources>(
          name: TName,
        ): StandardResources[TName] | undefined;
        function get<T = unknown>(name: string): T;
        function get(name: string): unknown {
          // What `inner` throws (an undeclared name) passes as thrown.
          return wrap(name, inner.get(name));
        }
        return Object.freeze({
          get,
          has: (name: string): boolean => inner.has(name),
          names: (): readonly string[] => inner.names(),
        });
      },
    };
  }

  /** `value` (an object) decorated for `plugin` by the decorators naming `name` or `"*"`. */
  #decorated(plugin: DecoratedPlugin, name: string, value: object): unknown {
    const chain = this.#entries
      .filter((e) => e.resource === '*' || e.resource === name)
      .map((e) => e.decorate);
    if (chain.length === 0) return value;
    const store = this.#storage;
    const only = chain.length === 1 ? chain[0] : undefined;
    return decorate(value, (method, args, next) => {
      const call = store.getStore();
      const resourceCall: ResourceCall = {
        plugin: plugin.name,
        kind: plugin.kind,
        resource: name,
        method,
        args,
        call,
        metadata: call?.metadata,
      };
      return only === undefined ? step(chain, 0, resourceCall, next) : only(resourceCall, next);
    });
  }
}

/** One plugin's decorated resources (see {@link ResourceDecorations.forPlugin}). */
export interface PluginResources {
  /** Resource `name` decorated; `value` itself when no decorator names it or it is not an object. */
  wrap(name: string, value: unknown): unknown;
  /** `inner` with every resource its `get` returns decorated. */
  container(inner: ResourceContainer): ResourceContainer;
}

/**
 * Run decorator `i` of `chain` (then the next ones, then the method) for one
 * resource call; a decorator that passes new arguments to `next` shows them
 * to the ones after it.
 */
function step(
  chain: readonly ResourceDecorator[],
  i: number,
  call: ResourceCall,
  next: (args?: readonly unknown[]) => unknown,
): unknown {
  const decorator = chain[i];
  if (decorator === undefined) return next(call.args);
  return decorator(call, (args) =>
    step(chain, i + 1, args === undefined ? call : { ...call, args }, next),
  );
}
