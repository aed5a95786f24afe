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

/**
 * Why a dispatcher class refused the plugins it was handed
 * ({@link DispatchRouteConflict}).
 *
 * - `own_policies`: the plugins come from a registry, but the dispatcher was
 *   built with settings only its own engine applies (`middleware`,
 *   `governanceFilter`, `routingPolicy`, ...); the registry's path would
 *   drop them.
 * - `partial_list`: the plugins come from a registry but leave out plugins
 *   of the kind that the registry can call; a registry call cannot be
 *   narrowed to a hand-picked list.
 * - `several_hosts`: the plugins come from more than one registry.
 * - `mixed_list`: registry plugins and hand-built candidates of the kind in
 *   one list.
 * - `copied_candidate`: a hand-built candidate carries the handle of a
 *   registry's plugin (a copy of a candidate loses its link to the registry).
 * @since 0.2.0
 */
export type DispatchRouteConflictReason =
  | 'own_policies'
  | 'partial_list'
  | 'several_hosts'
  | 'mixed_list'
  | 'copied_candidate';

/**
 * Options of {@link DispatchRouteConflict}.
 * @since 0.2.0
 */
export interface DispatchRouteConflictOptions extends PluginErrorOptions {
  /** The kind the dispatcher serves. */
  readonly kind: string;
  /** The hook that was dispatched. */
  readonly hook: string;
  /** The dispatcher class (`SingletonDispatcher`, ...). */
  readonly dispatcher: string;
  /** Why the plugins were refused. */
  readonly reason: DispatchRouteConflictReason;
  /**
   * What the reason is about: the option names (`own_policies`), the plugins
   * left out (`partial_list`), the hand-built or copied candidates
   * (`mixed_list`, `copied_candidate`), or the owners (`several_hosts`).
   */
  readonly names: readonly string[];
}

/**
 * A dispatcher class (`SingletonDispatcher`, ...) was handed plugins it cannot
 * call without skipping a registry's call path. Plugins that come from a
 * registry (`registry.getLoadedPlugins()`) are always called through that
 * registry (middleware, routing policy, governance filter, validation,
 * degraded marking); rather than calling them some other way, the dispatcher
 * refuses the call with this error and calls nothing.
 * @since 0.2.0
 */
export class DispatchRouteConflict extends PluginRegistryError {
  static override readonly code: string = 'DISPATCH_ROUTE_CONFLICT';
  /** The hook that was dispatched. */
  readonly hook: string;
  /** The dispatcher class (`SingletonDispatcher`, ...). */
  readonly dispatcher: string;
  /** Why the plugins were refused. */
  readonly reason: DispatchRouteConflictReason;
  /** What the reason is about (see {@link DispatchRouteConflictOptions.names}). */
  readonly names: readonly string[];

  constructor(options: DispatchRouteConflictOptions) {
    const listed = options.names.map((n) => `"${n}"`).join(', ');
    const who = `${options.dispatcher}("${options.kind}")`;
    const text = {
      own_policies: [
        `${who} was built with ${listed}, but the plugins it was handed come from a registry, whose calls apply the registry's settings only`,
        'give these settings to the registry (PluginRegistryOptions: middleware plugins, governanceFilter, routingPolicy, selectCapability, validateCalls, checkJsonBoundaries, defaultCallTimeoutMs, env) and build the dispatcher without them',
      ],
      partial_list: [
        `${who} was handed the registry's plugins without ${listed}, which the registry can call; a dispatch through the registry cannot be narrowed to a hand-picked list`,
        'pass registry.getLoadedPlugins() as it is, and address one plugin with the `target` option or registry.getPlugin(kind, name)',
      ],
      several_hosts: [
        `${who} was handed plugins of more than one registry (${listed})`,
        'dispatch the plugins of each registry separately',
      ],
      mixed_list: [
        `${who} was handed registry plugins together with hand-built candidates ${listed}`,
        'dispatch registry plugins and hand-built candidates separately',
      ],
      copied_candidate: [
        `${who} was handed hand-built candidates ${listed} that carry the handle of a registry's plugin; a copy loses the link to the registry and would skip its middleware and governance`,
        'pass the candidates registry.getLoadedPlugins() returns, not copies of them',
      ],
    }[options.reason];
    super(`hook "${options.hook}": ${text[0] as string}`, { hint: text[1], ...options });
    this.hook = options.hook;
    this.dispatcher = options.dispatcher;
    this.reason = options.reason;
    this.names = Object.freeze([...options.names]);
  }

  protected override details(): Record<string, unknown> {
    return {
      hook: this.hook,
      dispatcher: this.dispatcher,
      reason: this.reason,
      names: this.names,
    };
  }
}

/**
 * Whether `value` is a {@link DispatchRouteConflict} (from any copy of this package).
 * @since 0.2.0
 */
export function isDispatchRouteConflict(value: unknown): value is DispatchRouteConflict {
  return isPluginError(value, DispatchRouteConflict.code);
}
