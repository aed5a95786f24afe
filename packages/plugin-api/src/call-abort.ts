import type { CallAbortListener } from './call-abort-listener.js';
import type { HookCall } from './hooks.js';

/**
 * The listeners of one abortable call state, for implementers of
 * `HookCall.watchAbort`: `add` tells a late listener at once when the
 * state has already aborted, `fire` tells every listener once.
 * @since 0.2.0
 */
export class CallAbortListeners {
  #first: CallAbortListener | undefined = undefined;
  #rest: CallAbortListener[] | undefined = undefined;
  #fired = false;
  #reason: unknown = undefined;

  /** Whether {@link fire} has run. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Keep `listener`; when the state has already fired, tell it at once instead. */
  add(listener: CallAbortListener): void {
    if (this.#fired) {
      listener.callAborted(this.#reason);
      return;
    }
    if (this.#first === undefined) this.#first = listener;
    else if (this.#rest === undefined) this.#rest = [listener];
    else this.#rest.push(listener);
  }

  /** Stop keeping `listener`; a listener that is not kept is ignored. */
  remove(listener: CallAbortListener): void {
    if (this.#first === listener) {
      this.#first = this.#rest?.shift();
      return;
    }
    const rest = this.#rest;
    if (rest === undefined) return;
    const at = rest.indexOf(listener);
    if (at >= 0) rest.splice(at, 1);
  }

  /** Whether any listener is kept. */
  get empty(): boolean {
    return this.#first === undefined;
  }

  /** Tell every listener (once); later `add`s are told at once. */
  fire(reason: unknown): void {
    if (this.#fired) return;
    this.#fired = true;
    this.#reason = reason;
    const first = this.#first;
    const rest = this.#rest;
    this.#first = undefined;
    this.#rest = undefined;
    if (first !== undefined) first.callAborted(reason);
    if (rest !== undefined) for (const listener of rest) listener.callAborted(reason);
  }
}

/**
 * How {@link watchCall} watches a call, for {@link unwatchCall}: `true`
 * through its `watchAbort`, `false` not at all (it cannot abort, or had
 * already aborted), or through its signal.
 * @since 0.2.0
 */
export type CallWatch =
  | boolean
  | {
      /** The call's signal, watched because the call has no `watchAbort`. */
      readonly signal: AbortSignal;
      /** The listener added to it. */
      readonly onAbort: () => void;
    };

/**
 * Tell `listener` when `call` aborts: through `call.watchAbort` when the
 * call has it (no signal is created), otherwise through `call.signal`. A call
 * that has already aborted tells the listener at once. Keep the result for
 * {@link unwatchCall}.
 * @since 0.2.0
 */
export function watchCall(call: HookCall, listener: CallAbortListener): CallWatch {
  const watched = call.watchAbort?.(listener, true);
  if (watched !== undefined) return watched;
  const signal = call.signal;
  if (signal.aborted) {
    listener.callAborted(signal.reason);
    return false;
  }
  const onAbort = (): void => listener.callAborted(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return { signal, onAbort };
}

/**
 * Stop what {@link watchCall} started (once the watching side is done with
 * the call, so a long-lived signal does not collect listeners).
 * @since 0.2.0
 */
export function unwatchCall(call: HookCall, listener: CallAbortListener, watch: CallWatch): void {
  if (watch === true) call.watchAbort?.(listener, false);
  else if (watch !== false) watch.signal.removeEventListener('abort', watch.onAbort);
}
