import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type HealthStatus,
  type HookCall,
  type PluginContext,
  type PluginHandle,
  PluginLoadError,
  type PluginManifest,
  RUNTIME_IN_PROCESS,
  type RuntimeAdapter,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import { resolveEntryPoint } from './entry-point.js';
import { withExitGuard } from './exit-guard.js';

/** Method names that are lifecycle, not hooks. */
const LIFECYCLE = new Set(['constructor', 'setup', 'teardown', 'health']);

type AnyFunction = (...args: unknown[]) => unknown;

/** `listTools` -> `list_tools`: hook names are snake_case, JavaScript methods often camelCase. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Hook name -> method name for the callable members of an object (prototype
 * chain included). A camelCase method also answers to its snake_case hook
 * name, so `listTools()` implements the hook `list_tools`; an exact match wins.
 */
function hookMethods(instance: object): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of methodNames(instance)) map.set(name, name);
  for (const name of methodNames(instance)) {
    const alias = snakeCase(name);
    if (!map.has(alias)) map.set(alias, name);
  }
  return map;
}

/** Names of the callable members of an object, its prototype chain included. */
function methodNames(instance: object): Set<string> {
  const names = new Set<string>();
  for (
    let proto: object | null = instance;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (LIFECYCLE.has(key) || key.startsWith('_') || key.startsWith('#')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor !== undefined && typeof descriptor.value === 'function') names.add(key);
    }
  }
  return names;
}

type Invoke = PluginHandle['invoke'];

/**
 * The `invoke` of one plugin object: finds the hook's method (read at each
 * call, so a method replaced later, a test spy for one, is the one called)
 * and calls it as `method(input, call)`, a synchronous throw becoming a
 * rejection. `missing` answers a hook the object has no method for.
 *
 * Compiled per plugin with `new Function`, one `case` per hook naming its
 * method as a constant: the property read and the call then sit in code of
 * this plugin's own, so V8 sees one shape and one target there. A single
 * closure shared by every plugin (`target[name](…)`) makes those sites
 * megamorphic once a process holds a few plugins, which cost a chain of
 * five 15–25% against tapable (whose taps are per-hook code too;
 * docs/performance.md). Only `JSON.stringify`-quoted hook and method names
 * go into the source. Where code generation is disallowed
 * (`--disallow-code-generation-from-strings`) the shared closure is used.
 */
function compileInvoke(
  instance: object,
  methods: ReadonlyMap<string, string>,
  missing: (hook: string) => Promise<never>,
): Invoke {
  const target = instance as Record<string, unknown>;
  const call = (method: unknown, input: unknown, hookCall: HookCall): Promise<unknown> => {
    try {
      return Promise.resolve((method as AnyFunction).call(instance, input, hookCall));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const shared: Invoke = (hook, input, hookCall) => {
    const method = target[methods.get(hook) ?? hook];
    return typeof method === 'function' ? call(method, input, hookCall) : missing(hook);
  };
  const cases = [...methods]
    .map(([hook, name]) => `case ${JSON.stringify(hook)}: m = t[${JSON.stringify(name)}]; break;`)
    .join('\n');
  try {
    const make = new Function(
      't',
      'i',
      'missing',
      `"use strict";
return function invoke(hook, input, call) {
  let m;
  switch (hook) {
${cases}
    default: m = t[hook];
  }
  if (typeof m !== 'function') return missing(hook);
  let out;
  try {
    out = m.call(i, input, call);
  } catch (error) {
    return Promise.reject(error);
  }
  return out instanceof Promise ? out : Promise.resolve(out);
};`,
    ) as (t: object, i: object, missing: (hook: string) => Promise<never>) => Invoke;
    return make(target, instance, missing);
  } catch {
    return shared;
  }
}

/**
 * Wrap a plugin object in a {@link PluginHandle}: hooks are its methods,
 * called as `method(input, call)`; sync and async methods alike.
 * @since 0.1.0
 */
export function createInProcessHandle(manifest: PluginManifest, instance: object): PluginHandle {
  const target = instance as Record<string, unknown>;
  const methods = hookMethods(instance);
  const hooks = new Set(methods.keys());
  const missing = (hook: string): Promise<never> =>
    Promise.reject(
      new PluginLoadError(`has no hook "${hook}"`, {
        plugin: manifest.name,
        kind: manifest.kind,
        hint: `implement ${hook}(input, call) on the plugin object`,
      }),
    );
  return {
    manifest,
    runtime: RUNTIME_IN_PROCESS,
    hooks,
    instance,
    async setup(ctx: PluginContext): Promise<void> {
      if (typeof target.setup === 'function')
        await withExitGuard(manifest, 'setup', () =>
          (target.setup as AnyFunction).call(instance, ctx),
        );
    },
    async teardown(): Promise<boolean> {
      if (typeof target.teardown !== 'function') return true;
      const result = await withExitGuard(manifest, 'teardown', () =>
        (target.teardown as AnyFunction).call(instance),
      );
      return result !== false;
    },
    async health(): Promise<HealthStatus> {
      if (typeof target.health !== 'function') return { status: 'ok' };
      return (await (target.health as AnyFunction).call(instance)) as HealthStatus;
    },
    invoke: compileInvoke(instance, methods, missing),
  };
}

let loadCounter = 0;

function isClass(value: unknown): value is new () => object {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

/**
 * Import a plugin module under a fresh URL (so `reload` gets new code and two
 * plugins' `plugin.js` never share a module instance), pick the export, and
 * turn it into an object: a class is instantiated, a function is called as a
 * factory (its promise awaited), an object is used as is.
 * @since 0.1.0
 */
export async function instantiateEntryPoint(
  manifest: PluginManifest,
  dir: string,
): Promise<object> {
  const { file, exportName } = await resolveEntryPoint(manifest, dir);
  const context = {
    plugin: manifest.name,
    kind: manifest.kind,
    path: file,
    ...(manifest.entry_point === undefined ? {} : { entryPoint: manifest.entry_point }),
  };
  loadCounter += 1;
  const url = `${pathToFileURL(file).href}?dagstack-plugin=${encodeURIComponent(manifest.name)}&load=${loadCounter}`;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(
      `importing the entry module failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        ...context,
        cause: error,
        hint: 'fix the error in the plugin module (see cause)',
      },
    );
  }
  const name = exportName ?? 'default';
  // A CommonJS module's exports object is the namespace's `default`; Node lifts
  // only the names it can see statically (`exports.X = ...`), not those of
  // `module.exports = make()` or `Object.assign(module.exports, ...)`.
  const cjs = namespace.default;
  if (
    !(name in namespace) &&
    (typeof cjs === 'object' || typeof cjs === 'function') &&
    cjs !== null &&
    name in cjs
  ) {
    namespace = { ...namespace, [name]: (cjs as Record<string, unknown>)[name] };
  }
  if (!(name in namespace)) {
    const available = Object.keys(namespace).filter((k) => k !== '__esModule');
    throw new PluginLoadError(
      `the module has no export "${name}" (it exports: ${available.join(', ') || 'nothing'})`,
      {
        ...context,
        hint: 'fix the export name in entry_point',
      },
    );
  }
  const value = namespace[name];
  try {
    if (isClass(value)) return new value();
    if (typeof value === 'function') {
      const made = await (value as () => unknown)();
      if (typeof made !== 'object' || made === null) {
        throw new TypeError(
          `the factory returned ${made === null ? 'null' : typeof made}, not an object`,
        );
      }
      return made;
    }
    if (typeof value === 'object' && value !== null) return value;
  } catch (error) {
    throw new PluginLoadError(
      `creating the plugin object failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        ...context,
        cause: error,
        hint: 'the constructor or factory must not throw',
      },
    );
  }
  throw new PluginLoadError(`export "${name}" is ${typeof value}, not a class, factory or object`, {
    ...context,
    hint: 'export the plugin class, a factory function, or an object',
  });
}

/**
 * The in-process runtime adapter: loads `entry_point` from the plugin folder.
 * `execution_model = "thread_cpu_bound"` runs the plugin in a worker thread and
 * `"process_cpu_bound"` in a child process (see {@link createIsolatedHandle});
 * `sync` and `async` run in the caller's thread.
 * @since 0.1.0
 */
export function createInProcessRuntime(): RuntimeAdapter {
  /** Isolated plugins whose thread or process has not ended yet. */
  const isolated = new Set<PluginHandle>();
  return {
    runtime: RUNTIME_IN_PROCESS,
    async load(manifest: PluginManifest, options: RuntimeLoadOptions): Promise<PluginHandle> {
      const dir = options.dir ?? dirname(manifest.source);
      if (
        manifest.execution_model === 'thread_cpu_bound' ||
        manifest.execution_model === 'process_cpu_bound'
      ) {
        const { createIsolatedHandle } = await import('./isolated.js');
        let handle: PluginHandle | undefined;
        let ended = false;
        handle = await createIsolatedHandle(manifest, dir, options.logger, {
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          onEnd: () => {
            ended = true;
            if (handle !== undefined) isolated.delete(handle);
          },
        });
        if (!ended) isolated.add(handle);
        return handle;
      }
      return createInProcessHandle(manifest, await instantiateEntryPoint(manifest, dir));
    },
    /** Ends every isolated plugin's thread or process that is still running. */
    async close(): Promise<void> {
      const left = [...isolated];
      isolated.clear();
      await Promise.all(left.map((handle) => handle.terminate?.()));
    },
  };
}
