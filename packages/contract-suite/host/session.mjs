// One plugin instance driven through setup -> hook calls -> teardown with
// deterministic test resources. The same code runs in the test process, in a
// worker thread and in a forked child, so the three hosts of the
// orchestration-neutrality check differ only in where they run.

import { pathToFileURL } from 'node:url';
import { NOOP_LOGGER, NOOP_TENANT } from '@dagstack/plugin-api';
import {
  createResourceContainer,
  createStandardResources,
  createTestResources,
  isUndeclaredResource,
} from '@dagstack/plugin-resources';
import { safeStringify } from './json.mjs';

/** Default seed of the `SeededRng` every session gets. */
export const DEFAULT_SEED = 'dagstack-contract-suite';
/** Default time of the `FrozenClock` (2026-01-01T00:00:00Z). */
export const DEFAULT_NOW = Date.UTC(2026, 0, 1);

const LIFECYCLE = new Set(['constructor', 'setup', 'teardown', 'health']);

let loads = 0;

/** Import a plugin module under a fresh URL, so each load gets its own module state. */
export async function importEntry(file, tag = 'load') {
  loads += 1;
  return import(
    `${pathToFileURL(file).href}?dagstack-contract=${encodeURIComponent(tag)}-${process.pid}-${loads}`
  );
}

const isClass = (value) =>
  typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));

/**
 * Turn a module's export into a plugin object the way the in-process runtime
 * does: a class is instantiated, a function is called as a factory, an object
 * is used as is. Returns `{ instance, style }`.
 */
export async function instantiate(namespace, exportName) {
  const name = exportName ?? 'default';
  const value = namespace[name];
  if (value === undefined) {
    throw new Error(
      `the module has no export "${name}" (it exports: ${Object.keys(namespace).join(', ') || 'nothing'})`,
    );
  }
  if (isClass(value)) return { instance: new value(), style: 'class' };
  if (typeof value === 'function') {
    const made = await value();
    if (typeof made !== 'object' || made === null) {
      throw new TypeError(`the factory "${name}" returned ${made === null ? 'null' : typeof made}`);
    }
    return { instance: made, style: 'factory' };
  }
  if (typeof value === 'object' && value !== null) return { instance: value, style: 'object' };
  throw new TypeError(`export "${name}" is ${typeof value}, not a class, factory or object`);
}

const snakeCase = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * Hook name -> method name, with the in-process runtime's rules: every
 * callable member (prototype chain included, lifecycle and `_private` ones
 * excluded), and a camelCase method also answers to its snake_case name.
 */
export function hookMethods(instance) {
  const names = [];
  for (
    let proto = instance;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (LIFECYCLE.has(key) || key.startsWith('_')) continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (d !== undefined && typeof d.value === 'function' && !names.includes(key)) names.push(key);
    }
  }
  const map = new Map(names.map((n) => [n, n]));
  for (const n of names) if (!map.has(snakeCase(n))) map.set(snakeCase(n), n);
  return map;
}

/** A plain `{ name, message, code, stack }` view of a thrown value. */
export function describeError(error) {
  if (error instanceof Error || (typeof error === 'object' && error !== null)) {
    return {
      name: String(error.name ?? 'Error'),
      message: String(error.message ?? error),
      ...(typeof error.code === 'string' ? { code: error.code } : {}),
      ...(typeof error.stack === 'string' ? { stack: error.stack } : {}),
    };
  }
  return { name: typeof error, message: String(error) };
}

/**
 * What a hook call gave, in a form that compares across hosts: the JSON text of
 * the value (or `undefined` when it has none), or the error's name and message.
 */
export function outcomeOf(settled) {
  if (settled.ok) {
    const json = settled.value === undefined ? undefined : safeStringify(settled.value);
    return { ok: true, json, unserializable: settled.value !== undefined && json === undefined };
  }
  const { name, message, code } = describeError(settled.error);
  return { ok: false, error: { name, message, ...(code === undefined ? {} : { code }) } };
}

const EMPTY_REGISTRY = Object.freeze({
  list: () => [],
  get: () => undefined,
  call: (kind, hook) =>
    Promise.reject(
      new Error(`the contract suite runs plugins alone: no "${kind}" plugin for "${hook}"`),
    ),
});

/**
 * A session around one plugin instance: a context with deterministic test
 * resources (`FrozenClock` at `now`, `SeededRng(seed)`, in-memory stores, an
 * empty tmpdir) or, with `defaults: true`, the standard production ones.
 * Resource lookups of names the manifest does not declare are recorded in
 * `undeclared` (with the caller's stack) before the error reaches the plugin.
 */
export function createSession(options) {
  const {
    manifest,
    instance,
    seed = DEFAULT_SEED,
    now = DEFAULT_NOW,
    config = {},
    logger = NOOP_LOGGER,
    extraResources = {},
    defaults = false,
  } = options;
  const set = defaults
    ? createStandardResources({ logger, tmpdirPrefix: 'dagstack-contract-' })
    : createTestResources({ seed, now, logger, tmpdirPrefix: 'dagstack-contract-' });
  const record = { ...set.resources, ...extraResources };
  const container = createResourceContainer(record, {
    declared: manifest.resources,
    plugin: manifest.name,
  });
  const undeclared = [];
  const resources = Object.freeze({
    get(name) {
      try {
        return container.get(name);
      } catch (error) {
        if (isUndeclaredResource(error)) undeclared.push({ name, stack: new Error().stack ?? '' });
        throw error;
      }
    },
    has: (name) => container.has(name),
    names: () => container.names(),
  });
  const ctx = Object.freeze({
    config: Object.freeze({ ...config }),
    logger,
    registry: EMPTY_REGISTRY,
    metadata: Object.freeze({}),
    resources,
    progress: set.resources.progress,
    checkpoint: set.resources.checkpoint,
    eventBus: set.resources.event_bus,
    tenant: NOOP_TENANT,
    metrics: undefined,
    tracer: undefined,
    inFlight: () => [],
    onConfigChange: () => () => {},
  });
  const methods = hookMethods(instance);
  const call = async (name, ...args) => {
    const fn = instance[name];
    if (typeof fn === 'function') return fn.apply(instance, args);
    return undefined;
  };
  return {
    ctx,
    tmpdir: set.resources.tmpdir.path,
    resources: set.resources,
    hooks: [...methods.keys()],
    undeclared,
    /** `{ ok, value }` or `{ ok: false, error }`; never throws. */
    async setup() {
      return settle(() => call('setup', ctx));
    },
    async invoke(hook, input, metadata = {}) {
      const method = methods.get(hook);
      if (method === undefined) {
        return {
          ok: false,
          error: new Error(
            `the plugin has no hook "${hook}" (it has: ${[...methods.keys()].join(', ') || 'none'})`,
          ),
        };
      }
      const controller = new AbortController();
      // Middleware (chain_wrap) is called the way the registry calls it in
      // process: before(call, value) / after(call, value), where `call`
      // describes the wrapped call. Every other hook is hook(input, call).
      const wrap = manifest.chain_wrap;
      const middleware = wrap !== undefined && (hook === 'before' || hook === 'after');
      const pick = (list, fallback) =>
        list?.[0] === undefined || list[0] === '*' ? fallback : list[0];
      const hookCall = Object.freeze({
        kind: middleware ? pick(wrap.kinds, manifest.kind) : manifest.kind,
        name: manifest.name,
        hook: middleware ? pick(wrap.hooks, hook) : hook,
        metadata: Object.freeze({ ...metadata }),
        signal: controller.signal,
      });
      return settle(() =>
        middleware ? call(method, hookCall, input) : call(method, input, hookCall),
      );
    },
    async teardown() {
      return settle(() => call('teardown'));
    },
    /** Remove the tmpdir. */
    close: () => set.close(),
  };
}

async function settle(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Run samples through one fresh instance: setup, each sample in order,
 * teardown. Returns the comparable outcomes; the tmpdir is removed.
 */
export async function runSamples({ namespace, exportName, manifest, samples, sessionOptions }) {
  const { instance } = await instantiate(namespace, exportName);
  const session = createSession({ ...sessionOptions, manifest, instance });
  try {
    const setup = await session.setup();
    if (!setup.ok) return { setup: outcomeOf(setup), outcomes: [] };
    const outcomes = [];
    for (const sample of samples) {
      outcomes.push(outcomeOf(await session.invoke(sample.hook, sample.input, sample.metadata)));
    }
    const teardown = await session.teardown();
    return { setup: outcomeOf(setup), outcomes, teardown: outcomeOf(teardown) };
  } finally {
    await session.close();
  }
}
