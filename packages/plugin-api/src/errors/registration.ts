/**
 * Errors found while reading manifests and registering plugins: an invalid
 * manifest ({@link ManifestInvalid}, {@link ManifestProblem}), an ambiguous
 * choice ({@link AmbiguousPlugin}, with {@link envKindSuffix}), a version that
 * does not match ({@link VersionIncompatible}), an unknown kind or hook
 * ({@link KindUnknown}), a broken `depends_on` graph ({@link DependencyCycle},
 * {@link MissingDependency}) and an invalid plugin configuration
 * ({@link ConfigInvalid}). Imports only the base module.
 */

import { type PluginErrorOptions, PluginRegistryError } from './base.js';

/**
 * One problem found in a manifest.
 * @since 0.1.0
 */
export interface ManifestProblem {
  /** JSON pointer into the manifest document (`""` for the whole document). */
  readonly pointer: string;
  /** A sentence a person can act on. */
  readonly message: string;
  /** The file the manifest came from, or `inline`. */
  readonly source: string;
  /** What kind of rule failed (`required`, `type`, `enum`, `cross-field`, `syntax`, ...). */
  readonly rule: string;
}

/** @since 0.1.0 */
export interface ManifestInvalidOptions extends PluginErrorOptions {
  /** Every problem found; the message lists the first ten. */
  problems: readonly ManifestProblem[];
}

/**
 * A manifest cannot be read or does not satisfy the schema and its rules.
 * Carries every problem found, not only the first.
 * @since 0.1.0
 */
export class ManifestInvalid extends PluginRegistryError {
  static override readonly code: string = 'MANIFEST_INVALID';
  /** Every problem found, in document order. */
  readonly problems: readonly ManifestProblem[];

  constructor(options: ManifestInvalidOptions) {
    const { problems } = options;
    const listed = problems
      .slice(0, 10)
      .map((p) => `${p.pointer === '' ? '(document)' : p.pointer}: ${p.message}`)
      .join('; ');
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : '';
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid manifest (${count}): ${listed}${more}`, {
      hint: 'fix the listed fields in the manifest file',
      ...options,
    });
    this.problems = Object.freeze([...problems]);
  }

  protected override details(): Record<string, unknown> {
    return { problems: this.problems };
  }
}

/** @since 0.1.0 */
export interface AmbiguousPluginOptions extends PluginErrorOptions {
  kind: string;
  /** Plugin names (or, for `duplicate_name`, the manifest paths declaring the name). */
  candidates: readonly string[];
  /**
   * Why the choice is ambiguous. `one_per_runtime` (since 0.2.0): the kind's
   * hookspec allows one plugin per runtime (`singleton_per_runtime`).
   * `same_function` (since 0.2.0): more than one plugin lists the function a
   * function-routed call names (the `tool` kind's `execute`), at the same
   * priority, and `DAGSTACK_ACTIVE_<KIND>` names none of them.
   */
  reason:
    | 'duplicate_name'
    | 'equal_priority'
    | 'multiple_fallbacks'
    | 'one_per_runtime'
    | 'same_function';
  /** For `same_function`: the function the plugins share. @since 0.2.0 */
  function?: string;
}

/**
 * More than one plugin claims what only one may have: the same `(kind, name)`,
 * the top priority of a singleton kind, or the fallback of a capability kind.
 * @since 0.1.0
 */
export class AmbiguousPlugin extends PluginRegistryError {
  static override readonly code: string = 'AMBIGUOUS_PLUGIN';
  /**
   * The kind the plugins share (always set: the constructor requires it;
   * for a bare name that several kinds use, those kinds, comma-separated).
   */
  declare readonly kind: string;
  /** Plugin names (or, for `duplicate_name`, the manifest paths declaring the name). */
  readonly candidates: readonly string[];
  /** Why the choice is ambiguous. */
  readonly reason: AmbiguousPluginOptions['reason'];

  constructor(options: AmbiguousPluginOptions) {
    const names = options.candidates.map((c) => `"${c}"`).join(', ');
    const env = `DAGSTACK_ACTIVE_${envKindSuffix(options.kind)}`;
    const text = {
      duplicate_name: [
        `the name "${options.plugin ?? '?'}" is declared by more than one manifest: ${names}`,
        'rename one of the plugins or remove the copy; none of them is loaded until then',
      ],
      equal_priority: [
        `plugins ${names} share the top priority of a singleton kind`,
        `give one a higher priority or set ${env}=<plugin name>`,
      ],
      multiple_fallbacks: [
        `plugins ${names} all declare fallback = true`,
        'keep fallback = true on exactly one plugin of the kind',
      ],
      one_per_runtime: [
        `plugins ${names} are of kind "${options.kind}", whose hookspec allows one plugin per runtime (singleton_per_runtime)`,
        `set ${env}=<plugin name> to start that one only, or remove the others`,
      ],
      same_function: [
        `plugins ${names} all offer the function "${options.function ?? '?'}" at the same priority`,
        `name the plugin (target / --name), call its own tool, set ${env}=<plugin name>, or give one a higher priority`,
      ],
    }[options.reason];
    super(text[0] as string, { hint: text[1], ...options });
    this.candidates = Object.freeze([...options.candidates]);
    this.reason = options.reason;
    this.function = options.function;
  }

  /** For `same_function`: the function the plugins share. @since 0.2.0 */
  readonly function: string | undefined;

  protected override details(): Record<string, unknown> {
    return {
      candidates: this.candidates,
      reason: this.reason,
      ...(this.function === undefined ? {} : { function: this.function }),
    };
  }
}

/**
 * The environment-variable suffix for a kind: upper-cased, every character
 * that is not a letter or digit replaced by `_` (`vector-store` → `VECTOR_STORE`).
 * @since 0.1.0
 */
export function envKindSuffix(kind: string): string {
  return kind.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** @since 0.1.0 */
export interface VersionIncompatibleOptions extends PluginErrorOptions {
  /** Which version axis does not match. */
  axis: 'core' | 'kind_api' | 'schema';
  /** What the plugin asks for (a specifier or a version). */
  required: string;
  /** What this host provides. */
  actual: string;
}

/**
 * The plugin targets a core, kind API or manifest schema version this host
 * does not provide.
 * @since 0.1.0
 */
export class VersionIncompatible extends PluginRegistryError {
  static override readonly code: string = 'VERSION_INCOMPATIBLE';
  /** Which version axis does not match: `core`, `kind_api` or `schema`. */
  readonly axis: VersionIncompatibleOptions['axis'];
  /** What the plugin asks for (a specifier or a version). */
  readonly required: string;
  /** What this host provides. */
  readonly actual: string;

  constructor(options: VersionIncompatibleOptions) {
    const what = {
      core: 'core_version',
      kind_api: 'kind_api_version',
      schema: 'schema_version',
    }[options.axis];
    super(`${what} "${options.required}" does not match this host's ${options.actual}`, {
      hint:
        options.axis === 'core'
          ? 'install a plugin release built for this core, or upgrade the core'
          : `use a plugin release that implements ${what} ${options.actual}`,
      ...options,
    });
    this.axis = options.axis;
    this.required = options.required;
    this.actual = options.actual;
  }

  /** The plugin's declared range when the axis is `core` (docs name). */
  get requiredCoreRange(): string | undefined {
    return this.axis === 'core' ? this.required : undefined;
  }

  /**
   * The version of the core this host runs, when the axis is `core` (the
   * version `requiredCoreRange` was checked against).
   * @since 0.2.0
   */
  get installedCoreVersion(): string | undefined {
    return this.axis === 'core' ? this.actual : undefined;
  }

  /** Alias of {@link PluginRegistryError.plugin} (docs name). */
  get pluginName(): string | undefined {
    return this.plugin;
  }

  protected override details(): Record<string, unknown> {
    return { axis: this.axis, required: this.required, actual: this.actual };
  }
}

/**
 * No plugin (or no hookspec) is registered for the requested kind or hook.
 * @since 0.1.0
 */
export class KindUnknown extends PluginRegistryError {
  static override readonly code: string = 'KIND_UNKNOWN';
  /** The hook that was asked for, when the error is about a hook. */
  readonly hook: string | undefined;

  constructor(message: string, options: PluginErrorOptions & { kind: string; hook?: string }) {
    super(message, options);
    this.hook = options.hook;
  }

  protected override details(): Record<string, unknown> | undefined {
    return this.hook === undefined ? undefined : { hook: this.hook };
  }
}

/**
 * The `depends_on` graph has a cycle; `cycle` lists it closed
 * (`["a", "b", "a"]`).
 * @since 0.1.0
 */
export class DependencyCycle extends PluginRegistryError {
  static override readonly code: string = 'DEPENDENCY_CYCLE';
  /** Plugin names along the cycle, the first repeated at the end. */
  readonly cycle: readonly string[];

  constructor(options: PluginErrorOptions & { cycle: readonly string[] }) {
    super(`dependency cycle: ${options.cycle.join(' -> ')}`, {
      hint: 'remove one depends_on edge of the cycle, or move the shared part into a lower-level plugin',
      ...options,
    });
    this.cycle = Object.freeze([...options.cycle]);
  }

  protected override details(): Record<string, unknown> {
    return { cycle: this.cycle };
  }
}

/**
 * A plugin depends on a plugin that is not registered (or not available).
 * @since 0.1.0
 */
export class MissingDependency extends PluginRegistryError {
  static override readonly code: string = 'MISSING_DEPENDENCY';
  /** Name of the dependency at fault (several names are comma-separated). */
  readonly dependency: string;

  constructor(
    options: PluginErrorOptions & { plugin: string; dependency: string; reason?: string },
  ) {
    super(`depends on "${options.dependency}", which ${options.reason ?? 'is not registered'}`, {
      hint: `install or enable "${options.dependency}", or remove it from depends_on`,
      ...options,
    });
    this.dependency = options.dependency;
  }

  protected override details(): Record<string, unknown> {
    return { dependency: this.dependency };
  }
}

/**
 * A plugin's configuration does not satisfy its `config_schema`.
 * @since 0.1.0
 */
export class ConfigInvalid extends PluginRegistryError {
  static override readonly code: string = 'CONFIG_INVALID';
  /** Every problem found in the configuration. */
  readonly problems: readonly ManifestProblem[];

  constructor(options: PluginErrorOptions & { problems: readonly ManifestProblem[] }) {
    const listed = options.problems.map((p) => `${p.pointer || '(root)'}: ${p.message}`).join('; ');
    super(`invalid configuration: ${listed}`, {
      hint: 'fix the plugin section of the host configuration',
      ...options,
    });
    this.problems = Object.freeze([...options.problems]);
  }

  protected override details(): Record<string, unknown> {
    return { problems: this.problems };
  }
}
