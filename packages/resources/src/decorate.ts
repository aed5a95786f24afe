/**
 * Resource decoration (ADR-0005 §3): wrap a resource in a proxy that has the
 * same interface and runs cross-cutting logic (metering, quota, audit,
 * denial) around every method call.
 */

import { ResourceError } from './errors.js';

/**
 * Calls the original method with `args` (default: the arguments the caller
 * passed) and the original object as `this`.
 * @since 0.1.0
 */
export type NextCall = (args?: readonly unknown[]) => unknown;

/**
 * Runs instead of every method call on a decorated resource. It gets the
 * method name, the call's arguments and `next`; it may call `next` (with the
 * same or changed arguments), change the result, or throw to deny the call.
 *
 * Keep the method's shape: for a method that returns a promise, deny with a
 * rejected promise (an `async` wrapper does that), and for a synchronous
 * method (`clock.now()`) return synchronously.
 * @since 0.1.0
 */
export type ResourceWrapper = (method: string | symbol, args: unknown[], next: NextCall) => unknown;

type AnyMethod = (...args: unknown[]) => unknown;

/**
 * A proxy of `resource` with the same interface: each method call goes
 * through `wrapper`; other properties (fields, getters) read and write the
 * original. Methods run with the original object as `this`, so classes with
 * private fields (`#x`) work. A decorated method read twice is the same
 * function; `instanceof` sees the original class. Decorators compose:
 * `decorate(decorate(r, audit), quota)` runs `quota` first. Frozen
 * resources (the per-plugin `tmpdir` of `createTmpdir`) are decorated too:
 * the proxy stands over an empty object whose prototype is the resource, so
 * the proxy invariants of a frozen target never apply; its own-property
 * traps report the resource's properties as configurable.
 * @since 0.1.0
 */
export function decorate<T extends object>(resource: T, wrapper: ResourceWrapper): T {
  if (resource === null || (typeof resource !== 'object' && typeof resource !== 'function')) {
    throw new ResourceError('decorate(resource, wrapper): the resource must be an object', {
      hint: 'pass the resource instance to wrap, e.g. decorate(clock, wrapper)',
    });
  }
  if (typeof wrapper !== 'function') {
    throw new ResourceError('decorate(resource, wrapper): the wrapper must be a function', {
      hint: 'pass (method, args, next) => next(args)',
    });
  }
  const cache = new Map<string | symbol, { original: AnyMethod; wrapped: AnyMethod }>();
  // An empty stand-in as the proxy's target: a frozen resource as the target
  // would force `get` to return its own methods unwrapped (proxy invariant).
  const shadow = Object.create(resource) as T;
  return new Proxy(shadow, {
    get(_shadow, property) {
      const value: unknown = Reflect.get(resource, property, resource);
      if (typeof value !== 'function' || property === 'constructor') return value;
      const cached = cache.get(property);
      if (cached !== undefined && cached.original === value) return cached.wrapped;
      const original = value as AnyMethod;
      const wrapped = (...args: unknown[]): unknown => {
        const next: NextCall = (nextArgs) =>
          Reflect.apply(original, resource, nextArgs === undefined ? args : [...nextArgs]);
        return wrapper(property, args, next);
      };
      Object.defineProperty(wrapped, 'name', { value: original.name });
      cache.set(property, { original, wrapped });
      return wrapped;
    },
    set(_shadow, property, value) {
      return Reflect.set(resource, property, value, resource);
    },
    has(_shadow, property) {
      return Reflect.has(resource, property);
    },
    deleteProperty(_shadow, property) {
      return Reflect.deleteProperty(resource, property);
    },
    defineProperty(_shadow, property, descriptor) {
      return Reflect.defineProperty(resource, property, descriptor);
    },
    ownKeys() {
      return Reflect.ownKeys(resource);
    },
    getOwnPropertyDescriptor(_shadow, property) {
      const descriptor = Reflect.getOwnPropertyDescriptor(resource, property);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    getPrototypeOf() {
      return Reflect.getPrototypeOf(resource);
    },
  });
}
