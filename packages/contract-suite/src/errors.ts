/**
 * Errors of the contract suite that the spec does not name. Both extend
 * `PluginRegistryError`, so `isPluginError(e, code)` and `instanceof` work
 * across package copies like the rest of the hierarchy.
 */

import { type PluginErrorOptions, PluginRegistryError } from '@dagstack/plugin-api';

/** @since 0.1.0 */
export interface StdioPurityViolationOptions extends PluginErrorOptions {
  /** Byte offset of the first non-protocol byte in the plugin's stdout. */
  offset: number;
  /** The offending bytes (at most 200), as text. */
  text: string;
}

/**
 * An `mcp_stdio` plugin wrote something other than a JSON-RPC message to its
 * stdout. The spec reserves stdout for the protocol but names no error class
 * for this, so the contract suite defines one.
 * @since 0.1.0
 */
export class StdioPurityViolation extends PluginRegistryError {
  static override readonly code: string = 'STDIO_PURITY_VIOLATION';
  /** Byte offset of the first non-protocol byte in the plugin's stdout. */
  readonly offset: number;
  /** The offending bytes (at most 200), as text. */
  readonly text: string;

  constructor(options: StdioPurityViolationOptions) {
    super(
      `stdout byte ${options.offset} is not a protocol message: ${JSON.stringify(options.text)}`,
      {
        hint: 'log to stderr (console.error or the injected logger); stdout belongs to the MCP transport',
        ...options,
      },
    );
    this.offset = options.offset;
    this.text = options.text;
  }

  protected override details(): Record<string, unknown> {
    return { offset: this.offset, text: this.text };
  }
}

/** @since 0.1.0 */
export interface UnexpectedOutputOptions extends PluginErrorOptions {
  /** Name of the hook whose output did not match. */
  hook: string;
  /** JSON pointer of the first difference. */
  pointer: string;
  /** What the sample expects at `pointer`. */
  expected: unknown;
  /** What the hook returned at `pointer`. */
  actual: unknown;
}

/**
 * A sample declared an `expected` output and the hook returned something else.
 * @since 0.1.0
 */
export class UnexpectedOutput extends PluginRegistryError {
  static override readonly code: string = 'UNEXPECTED_OUTPUT';
  /** Name of the hook whose output did not match. */
  readonly hook: string;
  /** JSON pointer of the first difference; empty for the root. */
  readonly pointer: string;
  /** What the sample expects at `pointer`. */
  readonly expected: unknown;
  /** What the hook returned at `pointer`. */
  readonly actual: unknown;

  constructor(options: UnexpectedOutputOptions) {
    super(
      `hook "${options.hook}" returned ${JSON.stringify(options.actual)} at ${options.pointer || '(root)'}, the sample expects ${JSON.stringify(options.expected)}`,
      { hint: 'fix the plugin, or the sample if it is the one that is wrong', ...options },
    );
    this.hook = options.hook;
    this.pointer = options.pointer;
    this.expected = options.expected;
    this.actual = options.actual;
  }

  protected override details(): Record<string, unknown> {
    return { hook: this.hook, pointer: this.pointer };
  }
}

/** @since 0.1.0 */
export const isStdioPurityViolation = (value: unknown): value is StdioPurityViolation =>
  value instanceof StdioPurityViolation;

/** @since 0.1.0 */
export const isUnexpectedOutput = (value: unknown): value is UnexpectedOutput =>
  value instanceof UnexpectedOutput;
