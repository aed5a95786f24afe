// Test helpers: candidates from plain objects, slow handles, a recording logger.
import type {
  HookCall,
  HookSpec,
  KindSpec,
  LogFields,
  Logger,
  PluginManifest,
} from '@dagstack/plugin-api';
import { validateManifest } from '@dagstack/plugin-manifest';
import { type DispatchCandidate, InFlightCalls } from '../src/index.js';

/** A hook method of a plain plugin object. */
export type HookFn = (input: unknown, call: HookCall) => unknown;

/**
 * How a candidate's handle calls its object: `plain` at once, `slow` after
 * a random delay, `tracked` at once with the candidate's calls listed in an
 * {@link InFlightCalls} (as the registry's candidates are).
 */
export type HandleMode = 'plain' | 'slow' | 'tracked';

/** Every handle mode, for `describe.each`. */
export const MODES: readonly HandleMode[] = ['plain', 'slow', 'tracked'];

/** A full canonical manifest (validated by @dagstack/plugin-manifest) from a few fields. */
export function manifest(fields: Record<string, unknown>): PluginManifest {
  const result = validateManifest({
    runtime: 'in_process',
    core_version: '>=0.1.0,<1.0.0',
    entry_point: 'plugin:Plugin',
    ...fields,
  });
  if (!result.ok) {
    throw new Error(
      `bad test manifest: ${result.problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`,
    );
  }
  return result.manifest;
}

/** Concurrency tracking shared by the slow handles of one test. */
export class Concurrency {
  now = 0;
  max = 0;
  enter(): void {
    this.now++;
    this.max = Math.max(this.max, this.now);
  }
  leave(): void {
    this.now--;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface CandidateOptions {
  /** Manifest fields besides name and kind (`priority`, `tryfirst`, `supports_extensions`, ...). */
  readonly manifest?: Record<string, unknown>;
  readonly mode?: HandleMode;
  /** Counts concurrent invocations (slow mode). */
  readonly concurrency?: Concurrency;
}

/**
 * A candidate whose handle calls `plugin[hook](input, call)`. `slow` delays
 * each invoke by 1–8 ms (random), so ordering and parallelism come from the
 * code, not from timing.
 */
export function candidate(
  name: string,
  kind: string,
  plugin: Record<string, HookFn>,
  options: CandidateOptions = {},
): DispatchCandidate {
  const hooks = new Set(Object.keys(plugin).filter((k) => typeof plugin[k] === 'function'));
  const mode = options.mode ?? 'plain';
  const concurrency = options.concurrency;
  const invoke = async (hook: string, input: unknown, call: HookCall): Promise<unknown> => {
    const fn = plugin[hook];
    if (fn === undefined) throw new Error(`no hook ${hook}`);
    if (mode !== 'slow') return fn.call(plugin, input, call);
    concurrency?.enter();
    try {
      await sleep(1 + Math.floor(Math.random() * 8));
      return await fn.call(plugin, input, call);
    } finally {
      concurrency?.leave();
    }
  };
  return {
    name,
    kind,
    manifest: manifest({ name, kind, ...options.manifest }),
    handle: { hooks, invoke },
    ...(mode === 'tracked' ? { inFlight: new InFlightCalls() } : {}),
  };
}

/** A KindSpec with one hook per entry. */
export function kindSpec(kind: string, hooks: Record<string, Partial<HookSpec>>): KindSpec {
  return {
    kind,
    kind_api_version: '1.0.0',
    hooks: Object.entries(hooks).map(([name, h]) => ({
      name,
      dispatch: 'singleton',
      mcp_exposed: true,
      ...h,
    })),
  };
}

/** One recorded log line. */
export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps what it is given. */
export function recordingLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: LogRecord['level']) =>
    (message: string, fields?: LogFields): void => {
      records.push({ level, message, fields });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A promise with its resolve/reject exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A promise that never settles (a plugin that hangs). */
export function never(): Promise<never> {
  return new Promise<never>(() => {});
}

/** Names of a collect result's entries. */
export function pluginsOf(entries: unknown): string[] {
  return (entries as { plugin: string }[]).map((e) => e.plugin);
}

/** A hook function of a {@link raw} candidate. */
export type Fn = (input: unknown, call: HookCall) => unknown;

/**
 * How a {@link raw} handle passes the plugin's result on; `+tracked` also
 * gives the candidate an {@link InFlightCalls} list, as the registry does.
 */
export type Shape =
  | 'sync'
  | 'promise'
  | 'thenable'
  | 'sync+tracked'
  | 'promise+tracked'
  | 'thenable+tracked';

/** Every shape, for `describe.each`. */
export const SHAPES: readonly Shape[] = [
  'sync',
  'promise',
  'thenable',
  'sync+tracked',
  'promise+tracked',
  'thenable+tracked',
];

/** A minimal non-native thenable (what `await` and `Promise.resolve` adopt). */
export function thenable(run: () => unknown): PromiseLike<unknown> {
  return {
    // biome-ignore lint/suspicious/noThenProperty: a thenable is the point of this helper
    then(onFulfilled, onRejected) {
      return Promise.resolve()
        .then(run)
        .then(onFulfilled as (v: unknown) => unknown, onRejected as (e: unknown) => unknown);
    },
  } as PromiseLike<unknown>;
}

/** A candidate whose handle returns the plugin's result in the given shape, without wrapping it. */
export function raw(
  name: string,
  kind: string,
  hooks: Record<string, Fn>,
  shape: Shape,
  fields: Record<string, unknown> = {},
): DispatchCandidate {
  const base = shape.replace('+tracked', '');
  return {
    name,
    kind,
    ...(shape.endsWith('+tracked') ? { inFlight: new InFlightCalls() } : {}),
    manifest: manifest({ name, kind, ...fields }),
    handle: {
      hooks: new Set(Object.keys(hooks)),
      invoke: (hook: string, input: unknown, call: HookCall) => {
        const fn = hooks[hook] as Fn;
        if (base === 'sync') return fn(input, call) as Promise<unknown>;
        if (base === 'promise') {
          // A synchronous throw still leaves invoke synchronously (not as a rejection).
          const out = fn(input, call);
          return out instanceof Promise ? out : Promise.resolve(out);
        }
        return thenable(() => fn(input, call)) as Promise<unknown>;
      },
    },
  };
}
