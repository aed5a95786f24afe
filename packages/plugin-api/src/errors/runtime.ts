/**
 * Errors about a plugin in its runtime: no adapter for the runtimes it
 * declares ({@link RuntimeNotSupported}), an entry point that failed to load
 * ({@link PluginLoadError}), and a plugin that is not in a state to accept
 * calls, with the exit code or signal of its process when it ended
 * ({@link PluginUnavailable}). Imports only the base module.
 */

import { type PluginErrorOptions, PluginRegistryError } from './base.js';

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
