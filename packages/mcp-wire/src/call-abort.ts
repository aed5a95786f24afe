import {
  type CallAbortListener,
  type CallWatch,
  type HookCall,
  unwatchCall,
  watchCall,
} from '@dagstack/plugin-api';

/**
 * The abort state of one hook call's MCP request, handed to the SDK as the
 * request's `signal`.
 *
 * Reading `HookCall.signal` is the most expensive step of a remote call: the
 * dispatch engine creates the `AbortController` behind it only when it is
 * read, and in Node 20 an `AbortSignal` plus its listeners cost more CPU than
 * the SDK's whole request (measured, docs/performance.md). So the call is
 * watched through its `watchAbort` method when it has one (the calls of
 * the dispatch engine and the registry do): a call that can never abort costs
 * nothing, and one that can is told at once, without a signal. Only a call
 * without that side is watched through `call.signal`.
 *
 * It implements the part of `AbortSignal` the SDK's `Protocol.request` uses
 * (`aborted`, `reason`, `throwIfAborted()`, one `'abort'` listener); a test
 * pins that the SDK still cancels through it.
 */
export class CallAbort implements CallAbortListener {
  aborted = false;
  reason: unknown = undefined;
  /** Set once the request has settled: nothing is watched any more. */
  settled = false;
  #call: HookCall | undefined;
  #listeners: (() => void)[] | undefined = undefined;
  /** How the call is watched (undone on settle). */
  #watch: CallWatch = false;

  constructor(call: HookCall) {
    this.#call = call;
  }

  /** Start watching the call (before the request is sent). */
  watch(): void {
    const call = this.#call;
    if (call !== undefined) this.#watch = watchCall(call, this);
  }

  /** `CallAbortListener`: the call aborted. */
  callAborted(reason: unknown): void {
    this.abort(reason);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  addEventListener(type: string, listener: () => void): void {
    if (type !== 'abort') return;
    if (this.#listeners === undefined) this.#listeners = [listener];
    else this.#listeners.push(listener);
  }

  removeEventListener(type: string, listener: () => void): void {
    if (type !== 'abort' || this.#listeners === undefined) return;
    const at = this.#listeners.indexOf(listener);
    if (at >= 0) this.#listeners.splice(at, 1);
  }

  /** Abort the request (once): the SDK sends `notifications/cancelled` and rejects it. */
  abort(reason: unknown): void {
    if (this.aborted || this.settled) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /** The request settled: drop the call and the listener on its signal. */
  settle(): void {
    this.settled = true;
    const call = this.#call;
    this.#call = undefined;
    this.#listeners = undefined;
    if (call !== undefined) unwatchCall(call, this, this.#watch);
    this.#watch = false;
  }

  /** For the SDK (which takes an `AbortSignal`) and `mapRequestError`. */
  get asSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }
}
