// Types of behaviour-engine.mjs (README §Behaviours).
import type { HookCall } from '@dagstack/plugin-api';

/** What a hook, lifecycle method or middleware step does when called. */
export interface Behaviour {
  /** Wait this long first (to force an order between parallel work, never to assert time). */
  delay_ms?: number;
  /** Return this JSON value. */
  returns?: unknown;
  /** Return nothing (undefined / None / nil). */
  returns_empty?: boolean;
  /** Return the input unchanged. */
  echo?: boolean;
  /** Return a copy of the (object) input with these fields set. */
  merges?: Record<string, unknown>;
  /** Return a copy of the (object) input with the plugin's name appended to this list field. */
  append_to?: string;
  /** Return `{ kind, name, hook, metadata }` of the call. */
  returns_call?: boolean;
  /** Stop a chain with the stage's input as the chain's result. */
  stop_chain?: boolean;
  /** Stop a chain with this value as the chain's result. */
  returns_stop_chain?: unknown;
  /** Throw an error with this code (and message / name). */
  throws?: { code?: string; message?: string; name?: string };
  /** Never finish; when the call's signal aborts, record `<plugin>.<hook>:aborted` and reject. */
  hangs?: boolean;
  /** Record `<plugin>.<hook>:done` when finished. */
  trace_done?: boolean;
  /** `health` only: the status to report. */
  status?: 'ok' | 'degraded' | 'failing';
  /** `setup` only: resources to fetch from `ctx.resources` (an undeclared one throws). */
  uses_resources?: string[];
  /** Successive calls use successive entries; the last one repeats. */
  sequence?: Behaviour[];
}

/** Where a behaviour records `<plugin>.<method>` events (an array, or a file in a child). */
export type EventSink = { push(entry: string): unknown };

/**
 * What a middleware's governance filter allows (README §Plugins, `filter`):
 * the same rule as the host's `governance`, as the plugin's
 * `filter(candidates, call)` method.
 */
export interface FilterBehaviour {
  /** The metadata key whose value picks a list of `allow`; absent: `allow` is the list. */
  metadata_key?: string;
  /** The allowed plugin names: one list, or lists by the value of `metadata_key`. */
  allow: string[] | Record<string, string[]>;
  /** Allowed when the value has no list in `allow`; absent: every candidate. */
  otherwise?: string[];
}

/** What a plugin of a scenario does (the non-manifest keys of a plugin entry). */
export interface PluginBehaviour {
  hooks?: Record<string, Behaviour>;
  setup?: Behaviour;
  teardown?: Behaviour;
  health?: Behaviour;
  before?: Behaviour;
  after?: Behaviour;
  filter?: FilterBehaviour;
}

export interface Invocation {
  readonly plugin: string;
  readonly method: string;
  readonly value: unknown;
  readonly call?: HookCall;
  readonly log: EventSink;
}

/** An error a fixture behaviour throws: a plain error with a string `code`. */
export declare class FixtureError extends Error {
  readonly code: string;
  constructor(code: string, message: string, name: string);
}

/** Run a behaviour: synchronously when it has no delay and does not hang. */
export declare function perform(b: Behaviour, inv: Invocation, count: number): unknown;

/** Build the plugin object that implements `name`'s behaviour. */
export declare function makePluginObject(
  name: string,
  spec: PluginBehaviour,
  log: EventSink,
): object;
