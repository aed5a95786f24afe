/**
 * The per-plugin resource container (`ctx.resources`) and the check the
 * registry runs before start-up.
 */

import type { ResourceContainer, StandardResources } from '@dagstack/plugin-api';
import { ResourceError, UndeclaredResource } from './errors.js';

/**
 * Resources by name, as a host provides them.
 * @since 0.1.0
 */
export type ResourceRecord = Readonly<Record<string, unknown>>;

/**
 * The resources a manifest declares (`[plugin.resources]`); the shape of
 * `PluginManifest['resources']`.
 * @since 0.1.0
 */
export interface DeclaredResources {
  /** Names of the resources the plugin cannot start without. */
  readonly required: readonly string[];
  /** Names of the resources the plugin uses when the host provides them. */
  readonly optional: readonly string[];
}

/** Options of {@link createResourceContainer}. @since 0.1.0 */
export interface ResourceContainerOptions {
  /**
   * What the plugin declares. When given, the container only exposes these
   * names and `get` of any other name throws {@link UndeclaredResource}.
   * When omitted, every provided resource is visible.
   */
  declared?: DeclaredResources;
  /** The plugin's name, for error messages. */
  plugin?: string;
}

/** What the host provides: a record of resources, a container, or a list of names. @since 0.1.0 */
export type AvailableResources = ResourceRecord | ResourceContainer | Iterable<string>;

function isContainer(value: unknown): value is ResourceContainer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ResourceContainer).has === 'function' &&
    typeof (value as ResourceContainer).get === 'function' &&
    typeof (value as ResourceContainer).names === 'function'
  );
}

function checkDeclared(declared: unknown): DeclaredResources {
  const d = declared as Partial<DeclaredResources> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    !Array.isArray(d.required) ||
    !Array.isArray(d.optional) ||
    ![...d.required, ...d.optional].every((n) => typeof n === 'string')
  ) {
    throw new ResourceError(
      'declared resources must be { required: string[], optional: string[] }',
      {
        hint: "pass the manifest's resources field (manifest.resources)",
      },
    );
  }
  return d as DeclaredResources;
}

class ScopedResourceContainer implements ResourceContainer {
  readonly #values: ReadonlyMap<string, unknown>;
  readonly #declared: ReadonlySet<string> | undefined;
  readonly #declaredList: readonly string[];
  readonly #plugin: string | undefined;

  constructor(
    values: ReadonlyMap<string, unknown>,
    declared: DeclaredResources | undefined,
    plugin: string | undefined,
  ) {
    this.#values = values;
    this.#plugin = plugin;
    this.#declaredList =
      declared === undefined ? [] : [...new Set([...declared.required, ...declared.optional])];
    this.#declared = declared === undefined ? undefined : new Set(this.#declaredList);
  }

  get<TName extends keyof StandardResources>(name: TName): StandardResources[TName] | undefined;
  get(name: string): unknown;
  get(name: string): unknown {
    if (this.#declared !== undefined && !this.#declared.has(name)) {
      throw new UndeclaredResource(
        this.#plugin === undefined
          ? { name, declared: this.#declaredList }
          : { name, declared: this.#declaredList, plugin: this.#plugin },
      );
    }
    return this.#values.get(name);
  }

  has(name: string): boolean {
    return (this.#declared === undefined || this.#declared.has(name)) && this.#values.has(name);
  }

  names(): readonly string[] {
    return Object.freeze([...this.#values.keys()].filter((n) => this.has(n)).sort());
  }
}

/**
 * A `ResourceContainer` over `resources` (own enumerable properties; an
 * `undefined` value counts as not provided).
 *
 * With `options.declared`, the container is scoped to the plugin: `has` and
 * `names` show only declared names that are provided, and `get` of a name
 * the manifest does not declare throws {@link UndeclaredResource} naming the
 * plugin and telling the author to add it to `[plugin.resources]`. `get` of
 * a declared but unprovided name returns `undefined` (optional resources;
 * missing required ones are caught earlier with {@link missingRequired}).
 * The set of resources is fixed when the container is made.
 * @since 0.1.0
 */
export function createResourceContainer(
  resources: ResourceRecord,
  options: ResourceContainerOptions = {},
): ResourceContainer {
  if (typeof resources !== 'object' || resources === null) {
    throw new ResourceError(
      'createResourceContainer: resources must be an object of name -> resource',
      {
        hint: 'pass e.g. { clock: new SystemClock() }',
      },
    );
  }
  const declared = options.declared === undefined ? undefined : checkDeclared(options.declared);
  const values = new Map<string, unknown>();
  for (const [name, value] of Object.entries(resources)) {
    if (value !== undefined) values.set(name, value);
  }
  return Object.freeze(new ScopedResourceContainer(values, declared, options.plugin));
}

/**
 * The names of `declared.required` that `available` does not provide, in
 * declaration order without repeats. An empty result means the plugin can
 * start; otherwise the registry marks it `unavailable`. `available` may be a
 * record (an `undefined` value counts as missing), a `ResourceContainer`, or
 * a list of names.
 * @since 0.1.0
 */
export function missingRequired(
  declared: Pick<DeclaredResources, 'required'>,
  available: AvailableResources,
): string[] {
  let provides: (name: string) => boolean;
  if (isContainer(available)) {
    provides = (name) => available.has(name);
  } else if (typeof (available as Iterable<string>)[Symbol.iterator] === 'function') {
    const names = new Set(available as Iterable<string>);
    provides = (name) => names.has(name);
  } else {
    const record = available as ResourceRecord;
    provides = (name) => Object.hasOwn(record, name) && record[name] !== undefined;
  }
  return [...new Set(declared.required)].filter((name) => !provides(name));
}
