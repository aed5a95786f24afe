/**
 * The root of the error hierarchy: {@link PluginRegistryError}, the options
 * every error may carry ({@link PluginErrorOptions}), the JSON snapshot shape
 * ({@link SerializedPluginError}) and {@link isPluginError}. It also owns the
 * `Symbol.for` brand under which each instance carries the codes of its class
 * chain, and the `Symbol.hasInstance` that reads it, so guards and `instanceof`
 * work across duplicated copies of this package. A leaf: it imports nothing.
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

/**
 * The `cause` field of a {@link SerializedPluginError} for `cause`. Shared with
 * the family modules (aggregate errors serialize their failures with it); not
 * re-exported by the barrel, so not public API.
 */
export function describeCause(cause: unknown): SerializedPluginError['cause'] {
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
