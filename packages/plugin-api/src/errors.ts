/**
 * The error hierarchy of the plugin system, rooted at {@link PluginRegistryError}.
 *
 * Every class has a stable string `code`, structured fields, a native `cause`
 * and an `is<Name>()` guard. Guards and `instanceof` work across duplicated
 * copies of this package: each instance carries the codes of its class chain
 * under a `Symbol.for` key, and `Symbol.hasInstance` reads them.
 */

const CODES: unique symbol = Symbol.for('dagstack.plugin-system.error-codes');

/** A JSON-compatible snapshot of an error, for logs, `--json` output and the wire. */
export interface SerializedPluginError {
  /** Class name of the error (`ManifestInvalid`, ...). */
  readonly name: string;
  /** Stable code of the error's class (`MANIFEST_INVALID`, ...). */
  readonly code: string;
  /** The full message, including the location prefix and the hint. */
  readonly message: string;
  /** The plugin the error is about, when known. */
  readonly plugin?: string;
  /** The plugin kind the error is about, when known. */
  readonly kind?: string;
  /** The file the error is about, when known. */
  readonly path?: string;
  /** What to do about it, when known. */
  readonly hint?: string;
  /** Class-specific structured fields (`problems`, `hook`, ...), when the class has any. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The underlying error: a full snapshot for errors of this hierarchy, else name and message. */
  readonly cause?:
    | SerializedPluginError
    | {
        /** Class name of the cause (for a cause that is not an `Error`, its `typeof`). */
        readonly name: string;
        /** Message of the cause (for a cause that is not an `Error`, the value as a string). */
        readonly message: string;
      };
}

/** Context every error of the hierarchy may carry. @since 0.1.0 */
export interface PluginErrorOptions {
  /** The plugin the error is about (its manifest `name`). */
  plugin?: string;
  /** The plugin kind. */
  kind?: string;
  /** The file the error is about: a manifest, a module, a config file. */
  path?: string;
  /** One sentence telling the reader what to do about it. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
}

function codesOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const codes = (value as { [CODES]?: unknown })[CODES];
  return Array.isArray(codes) ? (codes as string[]) : undefined;
}

/**
 * Whether `value` is an error of this hierarchy (from any copy of this
 * package), optionally of the class whose code is `code` or a subclass of it.
 * @since 0.1.0
 */
export function isPluginError(value: unknown, code?: string): value is PluginRegistryError {
  const codes = codesOf(value);
  if (codes === undefined) return false;
  return code === undefined || codes.includes(code);
}

function describeCause(cause: unknown): SerializedPluginError['cause'] {
  if (cause === undefined) return undefined;
  if (isPluginError(cause)) return cause.toJSON();
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return { name: typeof cause, message: String(cause) };
}

/**
 * Root of every error the plugin system raises.
 * @since 0.1.0
 */
export class PluginRegistryError extends Error {
  /** Stable code of the class. */
  static readonly code: string = 'PLUGIN_REGISTRY_ERROR';

  /** Stable code of this error's class; never changes between releases. */
  readonly code: string;
  /** The plugin the error is about. */
  readonly plugin: string | undefined;
  /** The plugin kind the error is about. */
  readonly kind: string | undefined;
  /** The file the error is about. */
  readonly path: string | undefined;
  /** What to do about it. */
  readonly hint: string | undefined;

  constructor(message: string, options: PluginErrorOptions = {}) {
    const where: string[] = [];
    if (options.path !== undefined) where.push(options.path);
    if (options.plugin !== undefined) {
      where.push(
        options.kind === undefined
          ? `plugin "${options.plugin}"`
          : `plugin "${options.plugin}" (kind "${options.kind}")`,
      );
    } else if (options.kind !== undefined) {
      where.push(`kind "${options.kind}"`);
    }
    const prefix = where.length > 0 ? `${where.join(': ')}: ` : '';
    const suffix = options.hint === undefined ? '' : ` Hint: ${options.hint}`;
    super(
      `${prefix}${message}${suffix}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    const codes: string[] = [];
    // Walk the class chain: a user subclass without its own code still
    // carries the codes of the classes it extends.
    for (let ctor: unknown = new.target; typeof ctor === 'function'; ) {
      if (Object.hasOwn(ctor, 'code')) codes.push((ctor as unknown as { code: string }).code);
      ctor = Object.getPrototypeOf(ctor);
    }
    this.code = codes[0] ?? PluginRegistryError.code;
    Object.defineProperty(this, CODES, { value: Object.freeze(codes), enumerable: false });
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      enumerable: false,
      configurable: true,
      writable: true,
    });
    this.plugin = options.plugin;
    this.kind = options.kind;
    this.path = options.path;
    this.hint = options.hint;
  }

  /**
   * Makes `instanceof` match by error code, so it also recognises errors of this class
   * (or a subclass) created by another copy of this package.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `instanceof` was asked about.
    return isPluginError(value, this.code);
  }

  /** Class-specific structured fields, for {@link toJSON}. */
  protected details(): Record<string, unknown> | undefined {
    return undefined;
  }

  /** A JSON-compatible snapshot (no stack). */
  toJSON(): SerializedPluginError {
    const out: Record<string, unknown> = {
      name: this.name,
      code: this.code,
      message: this.message,
    };
    if (this.plugin !== undefined) out.plugin = this.plugin;
    if (this.kind !== undefined) out.kind = this.kind;
    if (this.path !== undefined) out.path = this.path;
    if (this.hint !== undefined) out.hint = this.hint;
    const details = this.details();
    if (details !== undefined) out.details = details;
    const cause = describeCause(this.cause);
    if (cause !== undefined) out.cause = cause;
    return out as unknown as SerializedPluginError;
  }
}

// ---------------------------------------------------------------------------
// Manifest and registration
// ---------------------------------------------------------------------------

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

/** @since 0.1.0 */
export interface RuntimeNotSupportedOptions extends PluginErrorOptions {
  /** The runtimes the plugin declares. */
  requested: readonly string[];
  /** The runtimes this host has adapters for. */
  available: readonly string[];
}

/**
 * None of the runtimes a plugin declares has an adapter in this host.
 * @since 0.1.0
 */
export class RuntimeNotSupported extends PluginRegistryError {
  static override readonly code: string = 'RUNTIME_NOT_SUPPORTED';
  /** The runtimes the plugin declares. */
  readonly requested: readonly string[];
  /** The runtimes this host has adapters for (may be empty). */
  readonly available: readonly string[];

  constructor(options: RuntimeNotSupportedOptions) {
    const available = options.available.length === 0 ? 'none' : options.available.join(', ');
    super(
      `no adapter for runtime ${options.requested.join(' or ')} (this host has: ${available})`,
      {
        hint: 'pass the runtime adapter to the registry, or declare a runtime the host supports',
        ...options,
      },
    );
    this.requested = Object.freeze([...options.requested]);
    this.available = Object.freeze([...options.available]);
  }

  protected override details(): Record<string, unknown> {
    return { requested: this.requested, available: this.available };
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
 * Importing or instantiating a plugin's entry point failed.
 * @since 0.1.0
 */
export class PluginLoadError extends PluginRegistryError {
  static override readonly code: string = 'PLUGIN_LOAD_ERROR';
  /** The entry point that failed to load, when known. */
  readonly entryPoint: string | undefined;

  constructor(message: string, options: PluginErrorOptions & { entryPoint?: string }) {
    super(message, options);
    this.entryPoint = options.entryPoint;
  }

  protected override details(): Record<string, unknown> | undefined {
    return this.entryPoint === undefined ? undefined : { entryPoint: this.entryPoint };
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

/**
 * Why a path could not be searched for plugins.
 * @since 0.1.0
 */
export type DiscoveryFailureReason =
  | 'root_missing'
  | 'not_a_directory'
  | 'unreadable'
  | 'symlink_loop'
  | 'symlink_outside_root'
  | 'symlink_refused'
  | 'too_deep'
  | 'not_remote';

/**
 * A path could not be searched for plugins: a missing root, an unreadable
 * folder, a symlink loop or a link out of the root.
 * @since 0.1.0
 */
export class DiscoveryError extends PluginRegistryError {
  static override readonly code: string = 'DISCOVERY_ERROR';
  /** Why the path could not be searched. */
  readonly reason: DiscoveryFailureReason;

  constructor(message: string, options: PluginErrorOptions & { reason: DiscoveryFailureReason }) {
    super(message, options);
    this.reason = options.reason;
  }

  protected override details(): Record<string, unknown> {
    return { reason: this.reason };
  }
}

// ---------------------------------------------------------------------------
// Lifecycle and invocation
// ---------------------------------------------------------------------------

/**
 * One plugin's failure inside an aggregate ({@link BroadcastErrors},
 * {@link TeardownErrors}).
 * @since 0.1.0
 */
export interface PluginFailure {
  /** Name of the plugin that failed. */
  readonly plugin: string;
  /** What it failed with (usually an `Error`). */
  readonly error: unknown;
}

function listFailures(failures: readonly PluginFailure[]): string {
  return failures
    .map((f) => `${f.plugin}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
    .join('; ');
}

function serializeFailures(failures: readonly PluginFailure[]): unknown[] {
  return failures.map((f) => ({ plugin: f.plugin, error: describeCause(f.error) }));
}

/**
 * One or more `teardown()` calls failed or timed out during `teardownAll()`;
 * the rest were still torn down.
 * @since 0.1.0
 */
export class TeardownErrors extends PluginRegistryError {
  static override readonly code: string = 'TEARDOWN_ERRORS';
  /** One entry per plugin whose teardown failed or timed out. */
  readonly errors: readonly PluginFailure[];

  constructor(options: PluginErrorOptions & { errors: readonly PluginFailure[] }) {
    super(`${options.errors.length} teardown(s) failed: ${listFailures(options.errors)}`, options);
    this.errors = Object.freeze([...options.errors]);
  }

  protected override details(): Record<string, unknown> {
    return { errors: serializeFailures(this.errors) };
  }
}

/**
 * Some plugins of a `broadcast_collect` call failed. Returned (not thrown) by
 * `best_effort` hooks; a caller may throw it when a partial result will not do.
 * @since 0.1.0
 */
export class BroadcastErrors extends PluginRegistryError {
  static override readonly code: string = 'BROADCAST_ERRORS';
  /** One entry per plugin that failed. */
  readonly errors: readonly PluginFailure[];
  /** The broadcast hook, when known. */
  readonly hook: string | undefined;

  constructor(options: PluginErrorOptions & { errors: readonly PluginFailure[]; hook?: string }) {
    super(
      `${options.errors.length} plugin(s) failed in broadcast${options.hook === undefined ? '' : ` of "${options.hook}"`}: ${listFailures(options.errors)}`,
      options,
    );
    this.errors = Object.freeze([...options.errors]);
    this.hook = options.hook;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook, errors: serializeFailures(this.errors) };
  }
}

/**
 * A hook was dispatched with a class other than the one its hookspec declares.
 * @since 0.1.0
 */
export class DispatchMismatch extends PluginRegistryError {
  static override readonly code: string = 'DISPATCH_MISMATCH';
  /** The hook that was called. */
  readonly hook: string;
  /** The dispatch class its hookspec declares. */
  readonly expected: string;
  /** The dispatch class it was called with. */
  readonly actual: string;

  constructor(options: PluginErrorOptions & { hook: string; expected: string; actual: string }) {
    super(
      `hook "${options.hook}" is ${options.expected}, but was dispatched as ${options.actual}`,
      {
        hint: `call it through the ${options.expected} dispatcher or fix the hookspec`,
        ...options,
      },
    );
    this.hook = options.hook;
    this.expected = options.expected;
    this.actual = options.actual;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook, expected: this.expected, actual: this.actual };
  }
}

/**
 * Capability dispatch found no plugin for the request and the kind has no
 * fallback.
 * @since 0.1.0
 */
export class NoCapabilityMatch extends PluginRegistryError {
  static override readonly code: string = 'NO_CAPABILITY_MATCH';
  /** The hook that was called, when known. */
  readonly hook: string | undefined;
  /** The routing selector of the request that no plugin matched. */
  readonly selector: Readonly<Record<string, unknown>>;

  constructor(
    options: PluginErrorOptions & {
      kind: string;
      hook?: string;
      selector: Readonly<Record<string, unknown>>;
    },
  ) {
    super(`no plugin supports ${JSON.stringify(options.selector)} and the kind has no fallback`, {
      hint: 'add a plugin whose supports_* covers the request, or mark one plugin fallback = true',
      ...options,
    });
    this.hook = options.hook;
    this.selector = options.selector;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook, selector: this.selector };
  }
}

/**
 * The target plugin is not in a state that accepts calls (`unavailable`,
 * `leaked`, an open circuit, ...).
 * @since 0.1.0
 */
export class PluginUnavailable extends PluginRegistryError {
  static override readonly code: string = 'PLUGIN_UNAVAILABLE';
  /** The plugin's state at the time, when known. */
  readonly state: string | undefined;
  /** Why the plugin is not available, when known. */
  readonly reason: string | undefined;
  /** Exit code of the plugin's process, when it exited (out-of-process runtimes). @since 0.2.0 */
  readonly exitCode: number | undefined;
  /** Signal that ended the plugin's process (`SIGKILL`, ...), when one did. @since 0.2.0 */
  readonly signal: string | undefined;

  constructor(
    options: PluginErrorOptions & {
      plugin: string;
      state?: string;
      reason?: string;
      exitCode?: number;
      signal?: string;
    },
  ) {
    super(
      `is not available${options.state === undefined ? '' : ` (state ${options.state})`}${options.reason === undefined ? '' : `: ${options.reason}`}`,
      options,
    );
    this.state = options.state;
    this.reason = options.reason;
    this.exitCode = options.exitCode;
    this.signal = options.signal;
  }

  protected override details(): Record<string, unknown> {
    const out: Record<string, unknown> = { state: this.state, reason: this.reason };
    if (this.exitCode !== undefined) out.exitCode = this.exitCode;
    if (this.signal !== undefined) out.signal = this.signal;
    return out;
  }
}

/**
 * A hook call, setup or teardown did not finish within its time limit.
 * @since 0.1.0
 */
export class HookTimeout extends PluginRegistryError {
  static override readonly code: string = 'HOOK_TIMEOUT';
  /** The hook, or the lifecycle step (`load`, `setup`, `teardown`, ...), that ran out of time. */
  readonly hook: string;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(options: PluginErrorOptions & { hook: string; timeoutMs: number }) {
    super(`"${options.hook}" did not finish within ${options.timeoutMs} ms`, options);
    this.hook = options.hook;
    this.timeoutMs = options.timeoutMs;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook, timeoutMs: this.timeoutMs };
  }
}

/**
 * The caller cancelled a hook call through its `AbortSignal`.
 * @since 0.1.0
 */
export class HookCancelled extends PluginRegistryError {
  static override readonly code: string = 'HOOK_CANCELLED';
  /** The hook whose call was cancelled. */
  readonly hook: string;

  constructor(options: PluginErrorOptions & { hook: string }) {
    super(`call of "${options.hook}" was cancelled`, options);
    this.hook = options.hook;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook };
  }
}

/**
 * A plugin's hook threw (in-process) or returned a tool error (over MCP).
 * `remoteName` / `remoteCode` carry the error as the plugin named it.
 * @since 0.1.0
 */
export class PluginInvocationError extends PluginRegistryError {
  static override readonly code: string = 'PLUGIN_INVOCATION_ERROR';
  /** The hook that failed. */
  readonly hook: string;
  /** Name of the error as the plugin raised or reported it, when known. */
  readonly remoteName: string | undefined;
  /** Code of the error as the plugin raised or reported it, when it had one. */
  readonly remoteCode: string | undefined;

  constructor(
    message: string,
    options: PluginErrorOptions & {
      plugin: string;
      hook: string;
      remoteName?: string;
      remoteCode?: string;
    },
  ) {
    super(`hook "${options.hook}" failed: ${message}`, options);
    this.hook = options.hook;
    this.remoteName = options.remoteName;
    this.remoteCode = options.remoteCode;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook, remoteName: this.remoteName, remoteCode: this.remoteCode };
  }
}

/** @since 0.2.0 */
export interface FunctionNotFoundOptions extends PluginErrorOptions {
  kind: string;
  /** The function-routed hook that was called (the `tool` kind's `execute`). */
  hook: string;
  /** The function the call named. */
  function: string;
  /** Functions that exist: those of the target plugin, or of every ready plugin of the kind. */
  available: readonly string[];
}

/** The closest name in `names` to `wanted`, when one is close enough to be a likely typo. */
function closestName(wanted: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i += 1) {
      let previous = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j += 1) {
        const current = row[j] as number;
        row[j] = Math.min(
          (row[j] as number) + 1,
          (row[j - 1] as number) + 1,
          previous + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        previous = current;
      }
    }
    return row[b.length] as number;
  };
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = wanted.toLowerCase();
  for (const name of names) {
    const d = distance(lower, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(wanted.length / 3))
    ? best
    : undefined;
}

/**
 * A function-routed call (the `tool` kind's `execute`) names a function that
 * no ready plugin of the kind lists in its catalogue (`get_schema`), or that
 * the targeted plugin does not list. The plugin is not called.
 * @since 0.2.0
 */
export class FunctionNotFound extends PluginRegistryError {
  static override readonly code: string = 'FUNCTION_NOT_FOUND';
  /** The hook that was called. */
  readonly hook: string;
  /** The function the call named. */
  readonly function: string;
  /** The functions that exist, sorted. */
  readonly available: readonly string[];
  /** The closest existing name, when the call looks like a typo of it. */
  readonly suggestion: string | undefined;

  constructor(options: FunctionNotFoundOptions) {
    const available = [...new Set(options.available)].sort();
    const suggestion = closestName(options.function, available);
    const where =
      options.plugin === undefined ? `any ready "${options.kind}" plugin` : 'this plugin';
    const shown =
      available.length === 0
        ? 'none are listed'
        : `functions: ${available.slice(0, 30).join(', ')}${available.length > 30 ? `, … (${available.length} in all)` : ''}`;
    super(`no function "${options.function}" in ${where} (${shown})`, {
      hint:
        suggestion === undefined
          ? `call one of the listed functions; get_schema lists each plugin's own`
          : `did you mean "${suggestion}"?`,
      ...options,
    });
    this.hook = options.hook;
    this.function = options.function;
    this.available = Object.freeze(available);
    this.suggestion = suggestion;
  }

  protected override details(): Record<string, unknown> {
    return {
      hook: this.hook,
      function: this.function,
      available: this.available,
      ...(this.suggestion === undefined ? {} : { suggestion: this.suggestion }),
    };
  }
}

/**
 * A function-routed call ran and the plugin reported failure in its result
 * (`is_error: true` in a `tool` kind `execute` output, or `isError` from a
 * plain MCP server). The message is the plugin's `error_message`; `output`
 * is the whole result as the plugin returned it (with, for a plain MCP
 * server, its content blocks), so a gateway can pass it on unchanged.
 * @since 0.2.0
 */
export class ToolCallFailed extends PluginInvocationError {
  static override readonly code: string = 'TOOL_CALL_FAILED';
  /** The function that failed. */
  readonly function: string;
  /** The result as the plugin returned it (`{ result, is_error: true, error_message?, ... }`). */
  readonly output: Readonly<Record<string, unknown>>;

  constructor(
    options: PluginErrorOptions & {
      plugin: string;
      kind: string;
      hook: string;
      function: string;
      output: Readonly<Record<string, unknown>>;
    },
  ) {
    const reported = options.output.error_message;
    const text =
      typeof reported === 'string' && reported.trim() !== ''
        ? reported.trim()
        : 'the plugin reported an error without a message';
    super(`function "${options.function}" reported an error: ${text}`, {
      remoteName: 'ToolError',
      hint: 'the plugin ran and reported the failure itself; check the arguments or the plugin log',
      ...options,
    });
    this.function = options.function;
    this.output = options.output;
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), function: this.function, output: this.output };
  }
}

// ---------------------------------------------------------------------------
// Contract-suite violations (ADR-0001 §Leak detection, ADR-0003)
// ---------------------------------------------------------------------------

/**
 * Resources outlived `teardown()`: handles, timers, sockets, child processes,
 * file descriptors, temp files or the plugin instance itself.
 * @since 0.1.0
 */
export class LeakDetected extends PluginRegistryError {
  static override readonly code: string = 'LEAK_DETECTED';
  /** One description per resource left after teardown. */
  readonly leaks: readonly string[];

  constructor(options: PluginErrorOptions & { leaks: readonly string[] }) {
    super(`resources left after teardown: ${options.leaks.join('; ')}`, {
      hint: 'release them in teardown()',
      ...options,
    });
    this.leaks = Object.freeze([...options.leaks]);
  }

  protected override details(): Record<string, unknown> {
    return { leaks: this.leaks };
  }
}

/**
 * The plugin reads or writes ambient state (globals, environment outside
 * `setup`, the working directory) instead of what it was given (ADR-0003).
 * @since 0.1.0
 */
export class AmbientStateViolation extends PluginRegistryError {
  static override readonly code: string = 'AMBIENT_STATE_VIOLATION';
  /** One description per use of ambient state. */
  readonly violations: readonly string[];

  constructor(options: PluginErrorOptions & { violations: readonly string[] }) {
    super(`ambient state used: ${options.violations.join('; ')}`, {
      hint: 'take time, randomness, paths and settings from the PluginContext',
      ...options,
    });
    this.violations = Object.freeze([...options.violations]);
  }

  protected override details(): Record<string, unknown> {
    return { violations: this.violations };
  }
}

/**
 * A value crossing a hook boundary does not survive a JSON round trip
 * (ADR-0003 §2). `pointer` locates the offending value.
 * @since 0.1.0
 */
export class SerializationError extends PluginRegistryError {
  static override readonly code: string = 'SERIALIZATION_ERROR';
  /** JSON pointer to the offending value (`""` for the whole value). */
  readonly pointer: string;
  /** The hook whose boundary the value crossed, when known. */
  readonly hook: string | undefined;

  constructor(message: string, options: PluginErrorOptions & { pointer: string; hook?: string }) {
    super(
      `${options.hook === undefined ? '' : `hook "${options.hook}": `}${options.pointer || '(root)'}: ${message}`,
      {
        hint: 'return plain JSON data (objects, arrays, strings, finite numbers, booleans, null)',
        ...options,
      },
    );
    this.pointer = options.pointer;
    this.hook = options.hook;
  }

  protected override details(): Record<string, unknown> {
    return { pointer: this.pointer, hook: this.hook };
  }
}

/**
 * Two runs with the same frozen clock and seeded RNG gave different outputs.
 * @since 0.1.0
 */
export class DeterminismError extends PluginRegistryError {
  static override readonly code: string = 'DETERMINISM_ERROR';
  /** The hook that gave different outputs. */
  readonly hook: string;
  /** JSON pointer to where the outputs differ (`""` for the whole output). */
  readonly pointer: string;

  constructor(options: PluginErrorOptions & { hook: string; pointer: string }) {
    super(
      `hook "${options.hook}" gave different outputs for the same input at ${options.pointer || '(root)'}`,
      {
        hint: 'take time and randomness from ctx.resources (clock, rng) and avoid unordered iteration',
        ...options,
      },
    );
    this.hook = options.hook;
    this.pointer = options.pointer;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook, pointer: this.pointer };
  }
}

// ---------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------

/**
 * A type guard for one class of the error hierarchy: true for an instance of
 * it (or of a subclass), also across copies of this package, by `code`.
 * @since 0.2.0
 */
export type ErrorGuard<T> = (value: unknown) => value is T;

function guard<T extends PluginRegistryError>(ctor: { code: string }): ErrorGuard<T> {
  return (value: unknown): value is T => isPluginError(value, ctor.code);
}

/** @since 0.1.0 */
export const isPluginRegistryError: ErrorGuard<PluginRegistryError> = guard(PluginRegistryError);
/** @since 0.1.0 */
export const isManifestInvalid: ErrorGuard<ManifestInvalid> = guard(ManifestInvalid);
/** @since 0.1.0 */
export const isAmbiguousPlugin: ErrorGuard<AmbiguousPlugin> = guard(AmbiguousPlugin);
/** @since 0.1.0 */
export const isVersionIncompatible: ErrorGuard<VersionIncompatible> = guard(VersionIncompatible);
/** @since 0.1.0 */
export const isKindUnknown: ErrorGuard<KindUnknown> = guard(KindUnknown);
/** @since 0.1.0 */
export const isRuntimeNotSupported: ErrorGuard<RuntimeNotSupported> = guard(RuntimeNotSupported);
/** @since 0.1.0 */
export const isDependencyCycle: ErrorGuard<DependencyCycle> = guard(DependencyCycle);
/** @since 0.1.0 */
export const isMissingDependency: ErrorGuard<MissingDependency> = guard(MissingDependency);
/** @since 0.1.0 */
export const isDiscoveryError: ErrorGuard<DiscoveryError> = guard(DiscoveryError);
/** @since 0.1.0 */
export const isPluginLoadError: ErrorGuard<PluginLoadError> = guard(PluginLoadError);
/** @since 0.1.0 */
export const isConfigInvalid: ErrorGuard<ConfigInvalid> = guard(ConfigInvalid);
/** @since 0.1.0 */
export const isTeardownErrors: ErrorGuard<TeardownErrors> = guard(TeardownErrors);
/** @since 0.1.0 */
export const isBroadcastErrors: ErrorGuard<BroadcastErrors> = guard(BroadcastErrors);
/** @since 0.1.0 */
export const isDispatchMismatch: ErrorGuard<DispatchMismatch> = guard(DispatchMismatch);
/** @since 0.1.0 */
export const isNoCapabilityMatch: ErrorGuard<NoCapabilityMatch> = guard(NoCapabilityMatch);
/** @since 0.1.0 */
export const isPluginUnavailable: ErrorGuard<PluginUnavailable> = guard(PluginUnavailable);
/** @since 0.1.0 */
export const isHookTimeout: ErrorGuard<HookTimeout> = guard(HookTimeout);
/** @since 0.1.0 */
export const isHookCancelled: ErrorGuard<HookCancelled> = guard(HookCancelled);
/** @since 0.1.0 */
export const isPluginInvocationError: ErrorGuard<PluginInvocationError> =
  guard(PluginInvocationError);
/** @since 0.2.0 */
export const isFunctionNotFound: ErrorGuard<FunctionNotFound> = guard(FunctionNotFound);
/** @since 0.2.0 */
export const isToolCallFailed: ErrorGuard<ToolCallFailed> = guard(ToolCallFailed);
/** @since 0.1.0 */
export const isLeakDetected: ErrorGuard<LeakDetected> = guard(LeakDetected);
/** @since 0.1.0 */
export const isAmbientStateViolation: ErrorGuard<AmbientStateViolation> =
  guard(AmbientStateViolation);
/** @since 0.1.0 */
export const isSerializationError: ErrorGuard<SerializationError> = guard(SerializationError);
/** @since 0.1.0 */
export const isDeterminismError: ErrorGuard<DeterminismError> = guard(DeterminismError);
