import type { CallAbortListener, CallMetadata, HookCall } from '@dagstack/plugin-api';
import { CallAbortListeners, HookCancelled, HookTimeout } from '@dagstack/plugin-api';
import { EMPTY_METADATA } from './json.js';

/**
 * What the calls of one dispatch share: its metadata, its signal, and a
 * cheaper way to watch for the abort than the signal (`HookCall.watchAbort`).
 */
export interface SharedCallState {
  readonly metadata: CallMetadata;
  readonly signal: AbortSignal;
  watchAbort(listener: CallAbortListener, on: boolean): void;
}

/**
 * `watchAbort` of a shared call state: stop watching, tell a late listener
 * at once when the state has already aborted, or keep the listener (the
 * list is made on first use). Returns the state's list of listeners.
 */
export function watchState(
  listeners: CallAbortListeners | undefined,
  aborted: boolean,
  reason: unknown,
  listener: CallAbortListener,
  on: boolean,
): CallAbortListeners | undefined {
  if (!on) {
    listeners?.remove(listener);
    return listeners;
  }
  if (aborted) {
    listener.callAborted(reason);
    return listeners;
  }
  const list = listeners ?? new CallAbortListeners();
  list.add(listener);
  return list;
}

/**
 * State shared by every plugin call of one dispatch: metadata, the abort
 * state, and which plugin runs now (for `HookTimeout.plugin`).
 *
 * The `AbortController` is created only when a plugin reads `call.signal`:
 * creating one costs microseconds in Node 20, more than the rest of a
 * dispatch together.
 */
export class CallState implements SharedCallState {
  readonly metadata: CallMetadata;
  /** The plugin running now in a sequential class (singleton, capability, chain). */
  current: string | undefined = undefined;
  /** Set by the first failing plugin of a fail-fast `broadcast_collect`. */
  failed = false;
  #controller: AbortController | undefined = undefined;
  #aborted = false;
  #reason: unknown = undefined;
  #listeners: CallAbortListeners | undefined = undefined;

  constructor(metadata: CallMetadata) {
    this.metadata = metadata;
  }

  /** The signal plugins see; aborted on timeout, cancellation or a fail-fast failure. */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = new AbortController();
      if (this.#aborted) controller.abort(this.#reason);
      this.#controller = controller;
    }
    return controller.signal;
  }

  /** Whether the dispatch was aborted (timeout, cancellation, fail-fast failure). */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Abort the dispatch's signal (once). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#listeners?.fire(reason);
  }

  /** Start or stop telling `listener` about the abort (without creating the signal). */
  watchAbort(listener: CallAbortListener, on: boolean): void {
    this.#listeners = watchState(this.#listeners, this.#aborted, this.#reason, listener, on);
  }
}

/**
 * The `HookCall` a plugin (or middleware) receives. `signal` is an accessor
 * on the prototype that creates the signal on first read: a runtime adapter
 * that copies a call must copy it explicitly (`{ ...call, signal: call.signal }`),
 * since object spread copies own properties only.
 *
 * With a shared state the signal is the dispatch's shared one (it aborts
 * on timeout, cancellation or a fail-fast failure). Without one (the hot
 * paths, where nothing can abort the call) the call owns a lazily created
 * signal that never aborts. One class either way, so every plugin sees the
 * same object shape.
 */
export class PluginCall implements HookCall {
  readonly kind: string;
  readonly name: string;
  readonly hook: string;
  readonly metadata: CallMetadata;
  /** The dispatch's shared state, or this call's own controller once its signal was read. */
  #source: SharedCallState | AbortController | undefined;

  constructor(state: SharedCallState | undefined, kind: string, name: string, hook: string) {
    this.kind = kind;
    this.name = name;
    this.hook = hook;
    this.metadata = state === undefined ? EMPTY_METADATA : state.metadata;
    this.#source = state;
  }

  get signal(): AbortSignal {
    let source = this.#source;
    if (source === undefined) {
      source = new AbortController();
      this.#source = source;
    }
    return source.signal;
  }

  /**
   * `HookCall.watchAbort`: a call of a dispatch with no timeout, no caller
   * signal and no fail-fast partners can never abort (`false`); otherwise the
   * listener watches the dispatch's shared state, and no signal is created.
   */
  watchAbort(listener: CallAbortListener, on: boolean): boolean {
    const source = this.#source;
    if (source === undefined || source instanceof AbortController) return false;
    source.watchAbort(listener, on);
    return true;
  }

  /** JSON form (for MCP adapters and logs): the signal is not data. */
  toJSON(): { kind: string; name: string; hook: string; metadata: CallMetadata } {
    return { kind: this.kind, name: this.name, hook: this.hook, metadata: this.metadata };
  }
}

const noop = (): void => {};

/**
 * The deadline of one dispatch: a promise that rejects with `HookTimeout`
 * after `timeoutMs`, or with `HookCancelled` when `signal` aborts, and aborts
 * the call's signal either way. Created only when a call has a timeout or a
 * signal.
 */
export class Guard {
  readonly promise: Promise<never>;
  #reject: (reason: unknown) => void = noop;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    state: CallState,
    kind: string,
    hook: string,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ) {
    this.promise = new Promise<never>((_resolve, reject) => {
      this.#reject = reject;
    });
    this.promise.catch(noop);
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => {
        const error = new HookTimeout({
          kind,
          hook,
          timeoutMs,
          ...(state.current === undefined ? {} : { plugin: state.current }),
          hint: 'the plugin ignored or did not finish before its deadline; raise timeoutMs or make the hook faster',
        });
        state.abort(error);
        this.#reject(error);
      }, timeoutMs);
    }
    this.#signal = signal;
    if (signal !== undefined) {
      this.#onAbort = () => {
        const error = new HookCancelled({
          kind,
          hook,
          ...(state.current === undefined ? {} : { plugin: state.current }),
          cause: signal.reason,
        });
        state.abort(error);
        this.#reject(error);
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** `work`, unless the deadline passes or the call is cancelled first. */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.promise]);
  }

  /** Stop the timer and the signal listener. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
