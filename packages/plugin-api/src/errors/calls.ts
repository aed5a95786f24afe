/**
 * Errors of lifecycle and invocation: aggregated failures of teardown and
 * broadcast calls ({@link TeardownErrors}, {@link BroadcastErrors},
 * {@link PluginFailure}), dispatch problems ({@link DispatchMismatch},
 * {@link NoCapabilityMatch}), calls that time out or are cancelled
 * ({@link HookTimeout}, {@link HookCancelled}), a hook that failed
 * ({@link PluginInvocationError}), and the function-routed call errors
 * ({@link FunctionNotFound}, {@link ToolCallFailed}, which extends
 * {@link PluginInvocationError}). Imports only the base module.
 */

import { closestName } from '../closest-name.js';
import { describeCause, type PluginErrorOptions, PluginRegistryError } from './base.js';

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

// ---------------------------------------------------------------------------
// Function-routed calls
// ---------------------------------------------------------------------------

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
    const lowered = available.map((name) => name.toLowerCase());
    const near = closestName(
      options.function.toLowerCase(),
      lowered,
      Math.max(2, Math.floor(options.function.length / 3)),
    );
    const suggestion = near === undefined ? undefined : available[lowered.indexOf(near)];
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
