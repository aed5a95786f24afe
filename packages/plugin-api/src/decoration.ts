/**
 * Two ADR-0005 extension points besides hooks and their contracts:
 *
 * - per-call resource decoration (§3, §5): a {@link ResourceDecorator} runs
 *   around every method call a plugin makes on a resource from its context,
 *   and sees the plugin, the resource, the method, the arguments and the
 *   metadata of the hook call the plugin is serving ({@link ResourceCall});
 *   a decorator refuses a call with {@link ResourceCallDenied};
 * - the candidate filter a `chain_wrap` middleware plugin contributes (§4):
 *   {@link CandidateFilter}, applied after the host's governance filter.
 *
 * Types and one error class; no behaviour. A leaf: it imports the error
 * base and types only.
 */

import { isPluginError, type PluginErrorOptions, PluginRegistryError } from './errors/base.js';
import type { CallMetadata, HookCall } from './hooks.js';
import type { JsonValue, PluginManifest } from './manifest.js';

/**
 * One method call on a decorated resource, as a {@link ResourceDecorator}
 * sees it.
 * @since 0.2.0
 */
export interface ResourceCall {
  /** The plugin that made the call (its manifest `name`). */
  readonly plugin: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** The resource's name (`http_client`, `blob_store`, ...). */
  readonly resource: string;
  /** The method called (`get`, `post`, ...). */
  readonly method: string | symbol;
  /** The arguments the plugin passed. */
  readonly args: readonly unknown[];
  /**
   * The hook call the plugin was serving when it made the resource call
   * (followed through the `await`s, timers and callbacks that call started),
   * or `undefined` outside any hook call: in `setup`, `teardown`, `health`,
   * or work started there.
   */
  readonly call: HookCall | undefined;
  /**
   * The metadata of {@link call} (`tenant_id`, `quota_budget`,
   * `trace_context`, ...), or `undefined` outside any hook call.
   */
  readonly metadata: CallMetadata | undefined;
}

/**
 * Runs instead of every method call a plugin makes on a decorated resource.
 * It may call `next` (with the same arguments, or with `args` to change
 * them) and return or change its result, or throw to refuse the call (a
 * {@link ResourceCallDenied}).
 *
 * Keep the method's shape: for a method that returns a promise
 * (`http_client.get`), refuse with a rejected promise (an `async` decorator
 * does that); for a synchronous one (`clock.now()`), return synchronously.
 * @since 0.2.0
 */
export type ResourceDecorator = (
  call: ResourceCall,
  next: (args?: readonly unknown[]) => unknown,
) => unknown;

/**
 * A decorator and the resource it wraps: what a host lists in the
 * registry's `resourceDecorators` option.
 * @since 0.2.0
 */
export interface ResourceDecoration {
  /** The resource to wrap by name (`"http_client"`), or `"*"` for every resource. */
  readonly resource: string;
  /** Runs around every method call on it. */
  readonly decorate: ResourceDecorator;
}

/**
 * A plugin a {@link CandidateFilter} may allow or drop: a candidate of the
 * call being filtered.
 * @since 0.2.0
 */
export interface FilterCandidate {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** The plugin's manifest (`capabilities`, `supports_*`, `publisher`, ...). */
  readonly manifest: PluginManifest;
}

/**
 * The call a {@link CandidateFilter} filters the candidates of.
 * @since 0.2.0
 */
export interface CandidateFilterCall {
  /** The kind called. */
  readonly kind: string;
  /** The hook called. */
  readonly hook: string;
  /** The call's metadata (frozen). */
  readonly metadata: CallMetadata;
}

/**
 * The governance filter a `chain_wrap` middleware plugin contributes
 * (ADR-0005 §4), as its optional method `filter(candidates, call)`: it
 * returns the candidates allowed for this call (the objects it was given,
 * or their names); the others are not called. Synchronous, like the host's
 * `governanceFilter`. It runs on the calls its `chain_wrap` matches, after
 * the host's filter, in middleware priority order (highest first), each
 * filter seeing what the previous ones allowed.
 * @since 0.2.0
 */
export type CandidateFilter = (
  candidates: readonly FilterCandidate[],
  call: CandidateFilterCall,
) => readonly (FilterCandidate | string)[];

/** Options of {@link ResourceCallDenied}. @since 0.2.0 */
export interface ResourceCallDeniedOptions extends PluginErrorOptions {
  /** The plugin whose call was refused. */
  plugin: string;
  /** The resource it called. */
  resource: string;
  /** The method it called. */
  method: string | symbol;
  /** Why the call was refused (`"the call's http_calls budget of 2 is spent"`). */
  reason: string;
  /** The budget, quota or rate the call ran into, when it is about one (JSON). */
  limit?: JsonValue;
}

/**
 * A resource decorator refused a plugin's call of a resource method: a spent
 * budget, a rate limit, a tenant that may not use the resource. The message
 * names the plugin, `resource.method` and the reason.
 * @since 0.2.0
 */
export class ResourceCallDenied extends PluginRegistryError {
  static override readonly code: string = 'RESOURCE_CALL_DENIED';
  /** The resource the plugin called. */
  readonly resource: string;
  /** The method it called (a symbol as its description). */
  readonly method: string;
  /** Why the call was refused. */
  readonly reason: string;
  /** The budget, quota or rate the call ran into, when given. */
  readonly limit: JsonValue | undefined;

  constructor(options: ResourceCallDeniedOptions) {
    const method = String(options.method);
    super(`call of ${options.resource}.${method} denied: ${options.reason}`, options);
    this.resource = options.resource;
    this.method = method;
    this.reason = options.reason;
    this.limit = options.limit;
  }

  protected override details(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      resource: this.resource,
      method: this.method,
      reason: this.reason,
    };
    if (this.limit !== undefined) out.limit = this.limit;
    return out;
  }
}

/**
 * Whether `value` is a {@link ResourceCallDenied}, from any copy of this package.
 * @since 0.2.0
 */
export function isResourceCallDenied(value: unknown): value is ResourceCallDenied {
  return isPluginError(value, ResourceCallDenied.code);
}
