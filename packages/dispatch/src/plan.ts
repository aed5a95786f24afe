import type { DispatchClass, ErrorPolicy, HookCall } from '@dagstack/plugin-api';
import { isPluginRegistryError, KindUnknown, PluginInvocationError } from '@dagstack/plugin-api';
import type { CapabilityIndex } from './capability-index.js';
import type { DispatchCandidate, Middleware } from './types.js';
import type { Validator } from './validation.js';

/**
 * A precompiled caller of one `(kind, hook)` for calls without per-call
 * options (see `hot-path.ts`): built with the plan, dropped with it.
 */
export type HotCall = (input: unknown) => Promise<unknown>;

/** What a call of one `(kind, hook)` needs, computed once. */
export interface HookPlan {
  readonly kind: string;
  readonly hook: string;
  readonly dispatch: DispatchClass;
  readonly errorPolicy: ErrorPolicy;
  /** Sorted candidates implementing the hook. */
  readonly candidates: readonly DispatchCandidate[];
  /** Sorted candidates of the kind (for messages). */
  readonly all: readonly DispatchCandidate[];
  readonly byName: ReadonlyMap<string, DispatchCandidate>;
  /** Matching middleware, in `before` order. */
  readonly middleware: readonly Middleware[];
  readonly hasBefore: boolean;
  readonly hasAfter: boolean;
  /** The plugin `DAGSTACK_ACTIVE_<KIND>` names (singleton hooks). */
  readonly envChoice: DispatchCandidate | undefined;
  readonly validateInput: Validator | undefined;
  readonly validateOutput: Validator | undefined;
  /** Capability index, built on the first capability call. */
  capability: CapabilityIndex | undefined;
  /**
   * The hot path: a caller specialised for this hook's class and candidates,
   * used when the call has no per-call options and nothing configured on the
   * engine (middleware, validation, routing policy, governance filter,
   * default timeout, JSON boundary checks) can change what happens.
   * `undefined` when every call takes the general path.
   */
  hot: HotCall | undefined;
  /**
   * Hot callers of a `singleton` hook per target plugin, made on the first
   * call that names it with no other per-call option (`null`: that target
   * takes the general path). Dropped with the plan.
   */
  targets: Map<string, HotCall | null> | undefined;
}

export function isEmpty(value: unknown): boolean {
  return value === undefined || value === null;
}

export function names(list: readonly DispatchCandidate[]): string {
  return list.length === 0 ? 'none' : list.map((c) => `"${c.name}"`).join(', ');
}

/** Every tried plugin of a singleton call returned null or undefined. */
export function noResult(plan: HookPlan, tried: readonly DispatchCandidate[]): KindUnknown {
  return new KindUnknown(`no plugin returned a result for "${plan.hook}" (tried ${names(tried)})`, {
    kind: plan.kind,
    hook: plan.hook,
    hint: 'a singleton hook must return a value: null and undefined count as no result (firstresult)',
  });
}

/** A plugin's error as the caller sees it: registry errors pass, others are wrapped. */
export function wrapError(error: unknown, candidate: DispatchCandidate, plan: HookPlan): unknown {
  if (isPluginRegistryError(error)) return error;
  const isError = error instanceof Error;
  const code = isError ? (error as { code?: unknown }).code : undefined;
  return new PluginInvocationError(isError ? error.message : String(error), {
    plugin: candidate.name,
    kind: plan.kind,
    hook: plan.hook,
    cause: error,
    ...(isError ? { remoteName: error.name } : {}),
    ...(typeof code === 'string' ? { remoteCode: code } : {}),
  });
}

/** Run `before` from position `from`; synchronous until a middleware returns a promise. */
export function runBefore(
  list: readonly Middleware[],
  call: HookCall,
  args: unknown,
  from: number,
): unknown {
  let value = args;
  for (let i = from; i < list.length; i++) {
    const m = list[i] as Middleware;
    if (m.before === undefined) continue;
    const next = m.before(call, value);
    if (next instanceof Promise) {
      const kept = value;
      return next.then((out: unknown) =>
        runBefore(list, call, out === undefined ? kept : out, i + 1),
      );
    }
    if (next !== undefined) value = next;
  }
  return value;
}

/** Run `after` downwards from position `from`; synchronous until one returns a promise. */
export function runAfter(
  list: readonly Middleware[],
  call: HookCall,
  result: unknown,
  from: number,
): unknown {
  let value = result;
  for (let i = from; i >= 0; i--) {
    const m = list[i] as Middleware;
    if (m.after === undefined) continue;
    const next = m.after(call, value);
    if (next instanceof Promise) {
      const kept = value;
      return next.then((out: unknown) =>
        runAfter(list, call, out === undefined ? kept : out, i - 1),
      );
    }
    if (next !== undefined) value = next;
  }
  return value;
}
