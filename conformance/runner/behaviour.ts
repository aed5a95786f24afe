// Turns the language-neutral behaviour descriptions of fixtures (README
// §Behaviours) into real plugin objects: hook methods, setup, teardown,
// health and middleware before/after, each recording what it was asked to
// do in an event log.
import type { HookCall, PluginContext } from '@dagstack/plugin-api';
import { STOP_CHAIN, stopChain } from '@dagstack/plugin-api';
import { Mismatch } from './compare.js';

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

const BEHAVIOUR_KEYS = new Set([
  'delay_ms',
  'returns',
  'returns_empty',
  'echo',
  'merges',
  'append_to',
  'returns_call',
  'stop_chain',
  'returns_stop_chain',
  'throws',
  'hangs',
  'trace_done',
  'status',
  'uses_resources',
  'sequence',
]);

/** The event log of a case: `<plugin>.<method>` entries in the order they happened. */
export type EventLog = string[];

/** An error a fixture behaviour throws: a plain error with a string `code`. */
export class FixtureError extends Error {
  readonly code: string;
  constructor(code: string, message: string, name: string) {
    super(message);
    this.code = code;
    Object.defineProperty(this, 'name', { value: name, enumerable: false, configurable: true });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FixtureError(
      'FIXTURE_TYPE',
      `${what} needs an object input, got ${JSON.stringify(value)}`,
      'TypeError',
    );
  }
  return value as Record<string, unknown>;
}

export function checkBehaviour(b: unknown, where: string): Behaviour {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new Mismatch(`fixture error: ${where} must be a behaviour object`);
  }
  for (const key of Object.keys(b)) {
    if (!BEHAVIOUR_KEYS.has(key))
      throw new Mismatch(`fixture error: ${where} has unknown key "${key}"`);
  }
  const behaviour = b as Behaviour;
  for (const [i, step] of (behaviour.sequence ?? []).entries())
    checkBehaviour(step, `${where}.sequence[${i}]`);
  return behaviour;
}

export interface Invocation {
  readonly plugin: string;
  readonly method: string;
  readonly value: unknown;
  readonly call?: HookCall;
  readonly log: EventLog;
}

/** The value a behaviour produces (before any delay). Throws for `throws`. */
function outcome(b: Behaviour, inv: Invocation): unknown {
  if (b.throws !== undefined) {
    throw new FixtureError(
      b.throws.code ?? 'PLUGIN_FAILED',
      b.throws.message ?? `${inv.plugin}.${inv.method} failed`,
      b.throws.name ?? 'Error',
    );
  }
  if (b.stop_chain === true) return STOP_CHAIN;
  if ('returns_stop_chain' in b) return stopChain(clone(b.returns_stop_chain));
  if (b.returns_empty === true) return undefined;
  if (b.echo === true) return inv.value;
  if (b.merges !== undefined) return { ...asObject(inv.value, 'merges'), ...clone(b.merges) };
  if (b.append_to !== undefined) {
    const input = asObject(inv.value, 'append_to');
    const list = Array.isArray(input[b.append_to]) ? (input[b.append_to] as unknown[]) : [];
    return { ...input, [b.append_to]: [...list, inv.plugin] };
  }
  if (b.returns_call === true) {
    const call = inv.call;
    return call === undefined
      ? null
      : {
          kind: call.kind,
          name: call.name,
          hook: call.hook,
          metadata: clone({ ...call.metadata }),
        };
  }
  if (b.status !== undefined) return { status: b.status };
  if ('returns' in b) return clone(b.returns);
  return undefined;
}

/** Run a behaviour: synchronously when it has no delay and does not hang. */
export function perform(b: Behaviour, inv: Invocation, count: number): unknown {
  const step =
    b.sequence !== undefined && b.sequence.length > 0
      ? (b.sequence[Math.min(count, b.sequence.length - 1)] as Behaviour)
      : b;
  const tag = `${inv.plugin}.${inv.method}`;
  if (step.hangs === true) {
    return new Promise((_resolve, reject) => {
      const signal = inv.call?.signal;
      signal?.addEventListener(
        'abort',
        () => {
          inv.log.push(`${tag}:aborted`);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
  if (step.delay_ms !== undefined && step.delay_ms > 0) {
    return sleep(step.delay_ms).then(() => {
      const value = outcome(step, inv);
      if (step.trace_done === true) inv.log.push(`${tag}:done`);
      return value;
    });
  }
  const value = outcome(step, inv);
  if (step.trace_done === true) inv.log.push(`${tag}:done`);
  return value;
}

/** What a plugin of a scenario does (the non-manifest keys of a plugin entry). */
export interface PluginBehaviour {
  hooks?: Record<string, Behaviour>;
  setup?: Behaviour;
  teardown?: Behaviour;
  health?: Behaviour;
  before?: Behaviour;
  after?: Behaviour;
}

/** Build the in-process object that implements `name`'s behaviour. */
export function makePluginObject(name: string, spec: PluginBehaviour, log: EventLog): object {
  const counts = new Map<string, number>();
  const next = (method: string): number => {
    const n = counts.get(method) ?? 0;
    counts.set(method, n + 1);
    return n;
  };
  const run = (
    method: string,
    b: Behaviour | undefined,
    value: unknown,
    call?: HookCall,
  ): unknown => {
    log.push(`${name}.${method}`);
    if (b === undefined) return undefined;
    return perform(
      b,
      { plugin: name, method, value, log, ...(call === undefined ? {} : { call }) },
      next(method),
    );
  };
  const object: Record<string, unknown> = {
    setup(ctx: PluginContext): unknown {
      log.push(`${name}.setup`);
      const b = spec.setup;
      if (b === undefined) return undefined;
      const n = next('setup');
      const step = b.sequence?.[Math.min(n, b.sequence.length - 1)] ?? b;
      for (const resource of step.uses_resources ?? []) ctx.resources.get(resource);
      return perform(b, { plugin: name, method: 'setup', value: undefined, log }, n);
    },
    teardown(): unknown {
      return run('teardown', spec.teardown, undefined);
    },
    health(): unknown {
      const result = run('health', spec.health ?? { status: 'ok' }, undefined);
      return result;
    },
  };
  for (const [hook, b] of Object.entries(spec.hooks ?? {})) {
    object[hook] = (input: unknown, call: HookCall): unknown => run(hook, b, input, call);
  }
  if (spec.before !== undefined) {
    const b = spec.before;
    object.before = (call: HookCall, args: unknown): unknown => run('before', b, args, call);
  }
  if (spec.after !== undefined) {
    const b = spec.after;
    object.after = (call: HookCall, result: unknown): unknown => run('after', b, result, call);
  }
  return object;
}
