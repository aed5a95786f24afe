/**
 * Violations the contract suite reports (ADR-0001 §Leak detection, ADR-0003):
 * leaked resources ({@link LeakDetected}), use of ambient state
 * ({@link AmbientStateViolation}), values that do not survive a JSON round
 * trip ({@link SerializationError}) and non-deterministic outputs
 * ({@link DeterminismError}). Imports only the base module.
 */

import { type PluginErrorOptions, PluginRegistryError } from './base.js';

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
