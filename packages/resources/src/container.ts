/**
 * The per-plugin resource container (`ctx.resources`), the check the
 * registry runs before start-up, and the release of what a container made
 * for its plugin (its `tmpdir` sub-folder) at teardown.
 */

import type { ResourceContainer, StandardResources, TempDir } from '@dagstack/plugin-api';
import { ResourceError, UndeclaredResource } from './errors.js';
import type { Tmpdir } from './tmpdir.js';

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
  /**
   * Who the container is for (the registry passes the plugin's `kind/name`).
   * When given, a `tmpdir` resource that hands out per-plugin folders (a
   * {@link Tmpdir} of `createTmpdir`) reaches the plugin as its own
   * sub-folder, made on first `get('tmpdir')`; {@link releasePluginResources}
   * removes it. A `tmpdir` of another shape is passed as it is.
   * @since 0.2.1
   */
  owner?: string;
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

/** Whether a `tmpdir` value hands out per-plugin folders. */
function isPluginTmpdirs(value: unknown): value is Pick<Tmpdir, 'forPlugin' | 'release'> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Tmpdir).forPlugin === 'function' &&
    typeof (value as Tmpdir).release === 'function'
  );
}

/** Whether `resources` is read as a container (an object that is not plain, with `names`/`get`/`has`). */
function readsAsContainer(
  resources: ResourceRecord | ResourceContainer,
): resources is ResourceContainer {
  const proto: unknown = Object.getPrototypeOf(resources);
  return proto !== Object.prototype && proto !== null && isContainer(resources);
}

/** The resources of a record or a container as name -> value. */
function entriesOf(resources: ResourceRecord | ResourceContainer): [string, unknown][] {
  if (readsAsContainer(resources)) {
    return resources.names().map((name) => [name, resources.get(name)]);
  }
  return Object.entries(resources);
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
  readonly #owner: string | undefined;

  constructor(
    values: ReadonlyMap<string, unknown>,
    declared: DeclaredResources | undefined,
    options: ResourceContainerOptions,
  ) {
    this.#values = values;
    this.#plugin = options.plugin;
    this.#owner = options.owner;
    this.#declaredList =
      declared === undefined ? [] : [...new Set([...declared.required, ...declared.optional])];
    this.#declared = declared === undefined ? undefined : new Set(this.#declaredList);
  }

  get<TName extends keyof StandardResources>(name: TName): StandardResources[TName] | undefined;
  get<T = unknown>(name: string): T;
  get(name: string): unknown {
    if (this.#declared !== undefined && !this.#declared.has(name)) {
      throw new UndeclaredResource(
        this.#plugin === undefined
          ? { name, declared: this.#declaredList }
          : { name, declared: this.#declaredList, plugin: this.#plugin },
      );
    }
    const value = this.#values.get(name);
    if (name === 'tmpdir' && this.#owner !== undefined && isPluginTmpdirs(value)) {
      return value.forPlugin(this.#owner) satisfies TempDir;
    }
    return value;
  }

  has(name: string): boolean {
    return (this.#declared === undefined || this.#declared.has(name)) && this.#values.has(name);
  }

  names(): readonly string[] {
    return Object.freeze([...this.#values.keys()].filter((n) => this.has(n)).sort());
  }
}

/**
 * A `ResourceContainer` over `resources`: a record (own enumerable
 * properties) or a container such as a `ResourceRegistry` (its `names()`
 * and `get()`). An `undefined` value counts as not provided.
 *
 * With `options.declared`, the container is scoped to the plugin: `has` and
 * `names` show only declared names that are provided, and `get` of a name
 * the manifest does not declare throws {@link UndeclaredResource} naming the
 * plugin and telling the author to add it to `[plugin.resources]`. `get` of
 * a declared but unprovided name returns `undefined` (optional resources;
 * missing required ones are caught earlier with {@link missingRequired}).
 * `get<T>(name)` types the value as `T`; it returns the same thing (spec
 * decision RS5). The set of resources is fixed when the container is made.
 * With `options.owner`, the `tmpdir` is the owner's own sub-folder (see
 * {@link ResourceContainerOptions.owner}).
 * @since 0.1.0
 */
export function createResourceContainer(
  resources: ResourceRecord | ResourceContainer,
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
  for (const [name, value] of entriesOf(resources)) {
    if (value !== undefined) values.set(name, value);
  }
  return Object.freeze(new ScopedResourceContainer(values, declared, options));
}

/**
 * Release what containers made with `{ owner }` created for `owner` from
 * `resources`: today the owner's `tmpdir` sub-folder, removed with
 * everything in it (see {@link Tmpdir.release}). The registry calls it when
 * the plugin is torn down. Nothing happens for a `tmpdir` of another shape.
 * @since 0.2.1
 */
export async function releasePluginResources(
  resources: ResourceRecord | ResourceContainer,
  owner: string,
): Promise<void> {
  const tmpdir: unknown = readsAsContainer(resources)
    ? resources.has('tmpdir')
      ? resources.get('tmpdir')
      : undefined
    : Object.hasOwn(resources, 'tmpdir')
      ? (resources as ResourceRecord).tmpdir
      : undefined;
  if (isPluginTmpdirs(tmpdir)) await tmpdir.release(owner);
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
