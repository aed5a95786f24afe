/**
 * The dispatch binding: what the dispatch engine may call. Publishes the
 * callable plugins of each kind as candidates and the `chain_wrap` plugins
 * as middleware, and drops the function router's lists when they change.
 *
 * Every candidate it hands out is linked (`linkCandidate`, a hidden property
 * set once per loaded handle) to the registry's call path: the function
 * router for function-routed hooks, else the engine. A spec-named
 * dispatcher class given `registry.getLoadedPlugins()` therefore calls
 * through the same middleware, routing policy, governance filter,
 * validation and degraded marking as `registry.call`. The link costs nothing
 * on `registry.call` itself.
 *
 * Owns: the candidate objects (one per loaded handle, reused while the
 * handle lives), their route, and the middleware built from plugins. May not
 * touch: record fields (it only reads them), states, or the lifecycle; which
 * records are "set up but not yet announced ready" it asks its host.
 */

import {
  type CandidateFilter,
  type Logger,
  type PluginHandle,
  type PluginManifest,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import {
  createDispatchRoute,
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
  type DispatchRoute,
  linkCandidate,
  type Middleware,
} from '@dagstack/plugin-dispatch';
import { CATALOGUE_HOOK, type FunctionRouter } from './function-router.js';
import { middlewareFilter } from './middleware-filter.js';
import type { PluginRegistryOptions } from './options.js';
import type { PluginRecord } from './record.js';

/** What the binding reads from its owner. */
export interface DispatchHost {
  /** Every record, in registration order. */
  records(): Iterable<PluginRecord>;
  /** Every record, sorted by kind then name. */
  ordered(): PluginRecord[];
  /** Set up during a start group and published before it is announced `ready`. */
  pending(record: PluginRecord): boolean;
}

/** The dispatch engine a registry with `options` calls through. */
export function createEngine(
  options: PluginRegistryOptions,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>>,
  onPluginFailure: NonNullable<DispatchEngineOptions['onPluginFailure']>,
): DispatchEngine {
  return new DispatchEngine({
    logger,
    env,
    ...(options.routingPolicy === undefined ? {} : { routingPolicy: options.routingPolicy }),
    ...(options.governanceFilter === undefined
      ? {}
      : { governanceFilter: options.governanceFilter }),
    ...(options.selectCapability === undefined
      ? {}
      : { selectCapability: options.selectCapability }),
    validate: options.validateCalls ?? false,
    checkJsonBoundaries: options.checkJsonBoundaries ?? false,
    ...(options.defaultCallTimeoutMs === undefined
      ? {}
      : { defaultTimeoutMs: options.defaultCallTimeoutMs }),
    onPluginFailure,
  });
}

/** Stand-in handle for start-time checks before plugins are loaded. */
const PREVIEW_HANDLE: Pick<PluginHandle, 'invoke' | 'hooks'> = {
  hooks: new Set(),
  invoke: () => Promise.reject(new PluginRegistryError('not started')),
};

/** Keeps the dispatch engine's candidates and middleware in step with the records. */
export class DispatchBinding {
  readonly #engine: DispatchEngine;
  readonly #functions: FunctionRouter;
  readonly #host: DispatchHost;
  readonly #candidates = new WeakMap<PluginHandle, DispatchCandidate>();
  /** The registry's call path, carried by every candidate handed out. */
  readonly #route: DispatchRoute;

  constructor(engine: DispatchEngine, functions: FunctionRouter, host: DispatchHost) {
    this.#engine = engine;
    this.#functions = functions;
    this.#host = host;
    // The same choice as PluginRegistry.call: function-routed hooks (not
    // their catalogue hook, which is plain broadcast_collect) go to the router.
    this.#route = createDispatchRoute(engine, {
      owner: 'PluginRegistry',
      callable: (kind) =>
        this.loaded()
          .filter((c) => c.kind === kind && c.manifest.chain_wrap === undefined)
          .map((c) => c.name),
      divert: (kind, hook) =>
        hook !== CATALOGUE_HOOK && functions.active && functions.routes(kind, hook)
          ? (input, options) => functions.call(kind, hook, input, options)
          : undefined,
    });
  }

  /** Ready and degraded plugins as dispatch candidates, sorted by kind then name. */
  loaded(): DispatchCandidate[] {
    return this.#host
      .ordered()
      .filter((r) => (r.state === 'ready' || r.state === 'degraded') && r.handle !== undefined)
      .map((r) => this.#candidate(r));
  }

  /**
   * Push the callable plugins and the middleware to the dispatch engine.
   * `preview` adds records that are about to start, with a stand-in handle,
   * so that the engine can verify the start for ambiguities.
   */
  refresh(preview?: readonly PluginRecord[]): void {
    const byKind = new Map<string, DispatchCandidate[]>();
    const middleware: Middleware[] = [];
    const live = (r: PluginRecord): boolean =>
      (r.state === 'ready' || r.state === 'degraded' || this.#host.pending(r)) &&
      r.handle !== undefined;
    for (const record of this.#host.records()) {
      const include = live(record) || (preview?.includes(record) ?? false);
      if (!byKind.has(record.manifest.kind)) byKind.set(record.manifest.kind, []);
      if (!include) continue;
      if (record.manifest.chain_wrap !== undefined) {
        if (live(record)) middleware.push(middlewareOf(record));
        continue;
      }
      const candidate = live(record)
        ? this.#candidate(record)
        : {
            name: record.manifest.name,
            kind: record.manifest.kind,
            manifest: record.manifest,
            handle: PREVIEW_HANDLE,
          };
      byKind.get(record.manifest.kind)?.push(candidate);
    }
    for (const [kind, list] of byKind) this.#engine.setCandidates(kind, list);
    this.#engine.setMiddleware(middleware);
    this.#functions.invalidate();
  }

  #candidate(record: PluginRecord): DispatchCandidate {
    const handle = record.handle as PluginHandle;
    let candidate = this.#candidates.get(handle);
    if (candidate === undefined) {
      candidate = linkCandidate(
        {
          name: record.manifest.name,
          kind: record.manifest.kind,
          manifest: record.manifest,
          handle,
          inFlight: record.inFlight,
          // The plugin's own object, for in-process plugins only (the docs'
          // `getLoadedPlugins()[i].instance`); remote and isolated ones have none.
          instance:
            handle.runtime === 'in_process' && typeof handle.instance === 'object'
              ? ((handle.instance as object | null) ?? undefined)
              : undefined,
        },
        this.#route,
      );
      this.#candidates.set(handle, candidate);
    }
    return candidate;
  }
}

/**
 * A `chain_wrap` plugin as middleware: an in-process instance's `before` /
 * `after` methods are called directly; other runtimes through `invoke`. An
 * in-process instance's `filter` method is its governance filter.
 */
function middlewareOf(record: PluginRecord): Middleware {
  const handle = record.handle as PluginHandle;
  const wrap = record.manifest.chain_wrap as NonNullable<PluginManifest['chain_wrap']>;
  const instance = handle.instance as Record<string, unknown> | undefined;
  const direct = handle.runtime === 'in_process' && instance !== undefined;
  const method = (name: 'before' | 'after') => {
    if (direct) {
      const fn = instance[name];
      return typeof fn === 'function'
        ? (call: Parameters<NonNullable<Middleware['before']>>[0], value: unknown) =>
            fn.call(instance, call, value)
        : undefined;
    }
    return handle.hooks.has(name)
      ? (call: Parameters<NonNullable<Middleware['before']>>[0], value: unknown) =>
          handle.invoke(name, { kind: call.kind, name: call.name, hook: call.hook, value }, call)
      : undefined;
  };
  const before = method('before');
  const after = method('after');
  // A governance filter (ADR-0005 §4, spec decision R18): in-process objects only (filters are synchronous).
  const filter =
    direct && typeof instance.filter === 'function'
      ? middlewareFilter(
          record.manifest.name,
          record.manifest.kind,
          instance,
          instance.filter as CandidateFilter,
        )
      : undefined;
  return {
    name: record.manifest.name,
    priority: record.manifest.priority,
    kinds: wrap.kinds,
    hooks: wrap.hooks,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
    ...(filter === undefined ? {} : { filter }),
  };
}
