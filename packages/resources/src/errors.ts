/**
 * Errors of the resource implementations. They extend `PluginRegistryError`
 * from `@dagstack/plugin-api`, so `isPluginError(err)` and `instanceof` work
 * across package copies; each class adds its own stable code.
 */

import { isPluginError, type PluginErrorOptions, PluginRegistryError } from '@dagstack/plugin-api';

/** Options of {@link ResourceError}. @since 0.1.0 */
export interface ResourceErrorOptions extends PluginErrorOptions {
  /** The resource the error is about (`checkpoint`, `rng`, `event_bus`, ...). */
  resource?: string;
}

/**
 * A resource was used wrongly: an argument out of range, a bad option. The
 * message names the resource and the argument; the hint says what to pass.
 * @since 0.1.0
 */
export class ResourceError extends PluginRegistryError {
  static override readonly code: string = 'RESOURCE_ERROR';
  /** The resource the error is about. */
  readonly resource: string | undefined;

  constructor(message: string, options: ResourceErrorOptions = {}) {
    super(options.resource === undefined ? message : `${options.resource}: ${message}`, options);
    this.resource = options.resource;
  }

  protected override details(): Record<string, unknown> | undefined {
    return this.resource === undefined ? undefined : { resource: this.resource };
  }
}

/**
 * A key given to a checkpoint or blob store cannot be used: it is not a
 * string, it is empty, or it is not well-formed Unicode (a lone surrogate).
 * Any other string is accepted and encoded safely.
 * @since 0.1.0
 */
export class InvalidResourceKey extends ResourceError {
  static override readonly code: string = 'INVALID_RESOURCE_KEY';
  /** The rejected key, as given. */
  readonly key: unknown;

  constructor(options: ResourceErrorOptions & { key: unknown; reason: string }) {
    super(`invalid key ${describeKey(options.key)}: ${options.reason}`, {
      hint: 'use a non-empty string key of well-formed Unicode',
      ...options,
    });
    this.key = options.key;
  }

  protected override details(): Record<string, unknown> {
    return {
      resource: this.resource,
      key: typeof this.key === 'string' ? this.key : String(this.key),
    };
  }
}

/**
 * A plugin asked its resource container for a resource its manifest does not
 * declare in `[plugin.resources]`.
 * @since 0.1.0
 */
export class UndeclaredResource extends ResourceError {
  static override readonly code: string = 'UNDECLARED_RESOURCE';
  /** The resource name that was asked for. */
  readonly resourceName: string;
  /** The names the manifest declares (required and optional). */
  readonly declared: readonly string[];

  constructor(options: PluginErrorOptions & { name: string; declared: readonly string[] }) {
    const declared =
      options.declared.length === 0 ? 'none' : options.declared.map((n) => `"${n}"`).join(', ');
    super(
      `resource "${options.name}" is not declared in [plugin.resources] (declared: ${declared})`,
      {
        hint: `add "${options.name}" to required or optional of [plugin.resources] in the plugin's manifest`,
        ...options,
      },
    );
    this.resourceName = options.name;
    this.declared = Object.freeze([...options.declared]);
  }

  protected override details(): Record<string, unknown> {
    return { resource: this.resourceName, declared: this.declared };
  }
}

/**
 * `BlobStore.get` of a key under which no blob is stored (spec decision
 * RS3). Probe with `exists(key)` or `head(key)` first when a missing blob is
 * expected.
 * @since 0.2.1
 */
export class BlobNotFound extends ResourceError {
  static override readonly code: string = 'BLOB_NOT_FOUND';
  /** The key that has no blob. */
  readonly key: string;

  constructor(options: PluginErrorOptions & { key: string }) {
    super(`no blob is stored under key ${describeKey(options.key)}`, {
      hint: 'check with exists(key) before get(key), or put the blob first',
      ...options,
      resource: 'blob_store',
    });
    this.key = options.key;
  }

  protected override details(): Record<string, unknown> {
    return { resource: this.resource, key: this.key };
  }
}

/**
 * A name given to `TempDir.createFile` / `createSubdir` (or a suffix) is not
 * one plain path segment: it is empty, contains `/`, `\` or NUL, or is `.`
 * or `..`. Such a name could reach outside the plugin's folder.
 * @since 0.2.1
 */
export class InvalidTempDirName extends ResourceError {
  static override readonly code: string = 'INVALID_TEMPDIR_NAME';
  /** The rejected name (with its suffix, when one was given), as given. */
  readonly tempName: unknown;

  constructor(options: PluginErrorOptions & { name: unknown; reason: string }) {
    super(`invalid name ${describeKey(options.name)}: ${options.reason}`, {
      hint: 'pass one plain file or folder name, e.g. "chunk-1" with suffix ".json"; build deeper paths from the returned path',
      ...options,
      resource: 'tmpdir',
    });
    this.tempName = options.name;
  }

  protected override details(): Record<string, unknown> {
    return {
      resource: this.resource,
      name: typeof this.tempName === 'string' ? this.tempName : String(this.tempName),
    };
  }
}

/**
 * `ResourceRegistry.register` of a name that is already registered, without
 * `{ replace: true }`.
 * @since 0.2.1
 */
export class ResourceAlreadyRegistered extends ResourceError {
  static override readonly code: string = 'RESOURCE_ALREADY_REGISTERED';
  /** The name that is taken. */
  readonly resourceName: string;

  constructor(options: PluginErrorOptions & { name: string }) {
    super(`a resource named "${options.name}" is already registered`, {
      hint: `register it once, or pass { replace: true } to swap the registered "${options.name}"`,
      ...options,
    });
    this.resourceName = options.name;
  }

  protected override details(): Record<string, unknown> {
    return { resource: this.resourceName };
  }
}

function describeKey(key: unknown): string {
  if (typeof key !== 'string') return `of type ${key === null ? 'null' : typeof key}`;
  const shown = key.length > 60 ? `${key.slice(0, 60)}…` : key;
  return JSON.stringify(shown);
}

/**
 * Whether `value` is a {@link ResourceError} (or a subclass), from any copy of this package.
 * @since 0.1.0
 */
export function isResourceError(value: unknown): value is ResourceError {
  return isPluginError(value, ResourceError.code);
}

/**
 * Whether `value` is an {@link InvalidResourceKey}, from any copy of this package.
 * @since 0.1.0
 */
export function isInvalidResourceKey(value: unknown): value is InvalidResourceKey {
  return isPluginError(value, InvalidResourceKey.code);
}

/**
 * Whether `value` is an {@link UndeclaredResource}, from any copy of this package.
 * @since 0.1.0
 */
export function isUndeclaredResource(value: unknown): value is UndeclaredResource {
  return isPluginError(value, UndeclaredResource.code);
}

/**
 * Whether `value` is a {@link BlobNotFound}, from any copy of this package.
 * @since 0.2.1
 */
export function isBlobNotFound(value: unknown): value is BlobNotFound {
  return isPluginError(value, BlobNotFound.code);
}

/**
 * Whether `value` is an {@link InvalidTempDirName}, from any copy of this package.
 * @since 0.2.1
 */
export function isInvalidTempDirName(value: unknown): value is InvalidTempDirName {
  return isPluginError(value, InvalidTempDirName.code);
}

/**
 * Whether `value` is a {@link ResourceAlreadyRegistered}, from any copy of this package.
 * @since 0.2.1
 */
export function isResourceAlreadyRegistered(value: unknown): value is ResourceAlreadyRegistered {
  return isPluginError(value, ResourceAlreadyRegistered.code);
}
