import type { ManifestProblem, PluginErrorOptions } from '@dagstack/plugin-api';
import { isPluginError, PluginRegistryError } from '@dagstack/plugin-api';

/**
 * Options of {@link HookValidationError}.
 * @since 0.1.0
 */
export interface HookValidationErrorOptions extends PluginErrorOptions {
  readonly kind: string;
  /** The hook whose input or output failed validation. */
  readonly hook: string;
  /** `input`: what the caller (or middleware) passed; `output`: what the plugin returned. */
  readonly direction: 'input' | 'output';
  /** What failed, each with a JSON pointer into the value. */
  readonly problems: readonly ManifestProblem[];
}

/**
 * A hook's input or output does not match the JSON Schema of its hookspec.
 * `pointer` names the first offending field; `problems` lists what ajv found.
 * For outputs, `plugin` names the plugin that returned the value.
 *
 * Defined here because `@dagstack/plugin-api` has no error class for it yet;
 * its code is `HOOK_VALIDATION_ERROR` and it is a `PluginRegistryError`.
 * @since 0.1.0
 */
export class HookValidationError extends PluginRegistryError {
  static override readonly code: string = 'HOOK_VALIDATION_ERROR';
  /** The hook whose input or output failed validation. */
  readonly hook: string;
  /** `input`: what the caller (or middleware) passed; `output`: what the plugin returned. */
  readonly direction: 'input' | 'output';
  /** Pointer of the first problem (`""` is the whole value). */
  readonly pointer: string;
  /** What failed, each with a JSON pointer into the value. */
  readonly problems: readonly ManifestProblem[];

  constructor(options: HookValidationErrorOptions) {
    const first = options.problems[0];
    const pointer = first?.pointer ?? '';
    const listed = options.problems
      .map((p) => `${p.pointer === '' ? '(root)' : p.pointer}: ${p.message}`)
      .join('; ');
    super(`${options.direction} of hook "${options.hook}" does not match its schema: ${listed}`, {
      hint:
        options.direction === 'input'
          ? 'pass a value that matches the input_schema of the hookspec'
          : "fix the plugin so that its result matches the hookspec's output_schema",
      ...options,
    });
    this.hook = options.hook;
    this.direction = options.direction;
    this.pointer = pointer;
    this.problems = Object.freeze([...options.problems]);
  }

  protected override details(): Record<string, unknown> {
    return {
      hook: this.hook,
      direction: this.direction,
      pointer: this.pointer,
      problems: this.problems,
    };
  }
}

/**
 * Whether `value` is a {@link HookValidationError} (from any copy of this package).
 * @since 0.1.0
 */
export function isHookValidationError(value: unknown): value is HookValidationError {
  return isPluginError(value, HookValidationError.code);
}
