/**
 * {@link ResourceRegistry}: the host's named resources, registered one by
 * one and handed to the plugin registry as a whole
 * (`new PluginRegistry({ resources })`, `registry.setupAll({ resources })`).
 * It is a `ResourceContainer` (`get`, `has`, `names`), which is the shape
 * the plugin registry and `createResourceContainer` read.
 */

import type { ResourceContainer, StandardResources } from '@dagstack/plugin-api';
import type { ResourceRecord } from './container.js';
import { ResourceAlreadyRegistered, ResourceError } from './errors.js';

/** Options of {@link ResourceRegistry.register}. @since 0.2.1 */
export interface RegisterResourceOptions {
  /** Replace a resource already registered under the name instead of refusing. @default false */
  replace?: boolean;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new ResourceError(
      `register: a resource name is a non-empty string, got ${name === '' ? 'an empty string' : typeof name}`,
      {
        hint: 'use the name plugins list in [plugin.resources], e.g. "http_client" or "postgres"',
      },
    );
  }
  return name;
}

/**
 * The resources a host provides, by name (ADR-0003 §3): the standard ones
 * (`clock`, `rng`, `http_client`, ...) and its own (`postgres`, ...).
 *
 * ```ts
 * const resources = new ResourceRegistry(createStandardResources().resources);
 * resources.register('postgres', pool);
 * const registry = new PluginRegistry({ resources });
 * ```
 *
 * A name is registered once: registering a taken name throws
 * {@link ResourceAlreadyRegistered} unless `{ replace: true }`. Names are
 * non-empty strings (as in a manifest's `[plugin.resources]`); a value may
 * not be `undefined` (that means "not provided"). `names()` is sorted, so
 * it does not depend on registration order. `get` of a name that is not
 * registered returns `undefined`, as a plugin's container does.
 * @since 0.2.1
 */
export class ResourceRegistry implements ResourceContainer {
  readonly #values = new Map<string, unknown>();

  /** A registry holding `resources` (a record by name), when given. */
  constructor(resources?: ResourceRecord) {
    if (resources === undefined) return;
    if (typeof resources !== 'object' || resources === null) {
      throw new ResourceError('new ResourceRegistry(resources): resources must be an object', {
        hint: 'pass a record of name -> resource, e.g. createStandardResources().resources',
      });
    }
    for (const [name, value] of Object.entries(resources)) {
      if (value !== undefined) this.register(name, value);
    }
  }

  /** Register `value` under `name`; returns the registry, so calls chain. */
  register(name: string, value: unknown, options: RegisterResourceOptions = {}): this {
    const key = checkName(name);
    if (value === undefined) {
      throw new ResourceError(`register("${key}"): the value is undefined`, {
        hint: 'pass the resource object; a resource the host does not provide is simply not registered',
      });
    }
    if (this.#values.has(key) && options.replace !== true) {
      throw new ResourceAlreadyRegistered({ name: key });
    }
    this.#values.set(key, value);
    return this;
  }

  /** The standard resource `name`, typed, or `undefined` when it is not registered. */
  get<TName extends keyof StandardResources>(name: TName): StandardResources[TName] | undefined;
  /** The resource `name` as the type the caller names, or `undefined` when it is not registered. */
  get<T = unknown>(name: string): T;
  get(name: string): unknown {
    return this.#values.get(name);
  }

  /** Whether a resource is registered under `name`. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** The registered names, sorted. */
  names(): readonly string[] {
    return Object.freeze([...this.#values.keys()].sort());
  }

  /** The registered resources as a frozen record by name (a snapshot). */
  toRecord(): ResourceRecord {
    return Object.freeze(Object.fromEntries(this.names().map((n) => [n, this.#values.get(n)])));
  }
}
