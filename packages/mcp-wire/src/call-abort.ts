import type { HookCall } from '@dagstack/plugin-api';

/**
 * The abort state of one hook call's MCP request, handed to the SDK as the
 * request's `signal`.
 *
 * Reading `HookCall.signal` is the most expensive step of a remote call: the
 * dispatch engine creates the `AbortController` behind it only when it is
 * read, and in Node 20 an `AbortSignal` plus its listeners cost more CPU than
 * the SDK's whole request (measured, docs/performance.md). Most calls can
 * never be aborted (no timeout, no caller signal) and finish in well under a
 * millisecond, so the session watches the call's signal only through this
 * object, and {@link CallAbortWatch} subscribes it to `call.signal` only once
 * the call has been in flight for a while.
 *
 * It implements the part of `AbortSignal` the SDK's `Protocol.request` uses
 * (`aborted`, `reason`, `throwIfAborted()`, one `'abort'` listener); a test
 * pins that the SDK still cancels through it.
 */
export class CallAbort {
  aborted = false;
  reason: unknown = undefined;
  /** Set once the request has settled: nothing is watched any more. */
  settled = false;
  #call: HookCall | undefined;
  #listeners: (() => void)[] | undefined = undefined;
  #signal: AbortSignal | undefined = undefined;

  constructor(call: HookCall) {
    this.#call = call;
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
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /** Subscribe to the call's signal (reading it creates it). */
  watch(): void {
    const call = this.#call;
    if (call === undefined || this.#signal !== undefined || this.settled) return;
    const signal = call.signal;
    if (signal.aborted) {
      this.abort(signal.reason);
      return;
    }
    this.#signal = signal;
    signal.addEventListener('abort', this);
  }

  /** The `EventListener` form: the call's signal aborted. */
  handleEvent(): void {
    const signal = this.#signal;
    if (signal !== undefined) this.abort(signal.reason);
  }

  /** The request settled: drop the call and the listener on its signal. */
  settle(): void {
    this.settled = true;
    this.#call = undefined;
    const signal = this.#signal;
    if (signal !== undefined) {
      this.#signal = undefined;
      signal.removeEventListener('abort', this);
    }
  }

  /** For the SDK (which takes an `AbortSignal`) and `mapRequestError`. */
  get asSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }
}

/**
 * Watches the signals of a session's calls that stay in flight longer than
 * `delayMs`: one timer per session, two generations of calls. A call is
 * watched between `delayMs` and `2 × delayMs` after it started, or at once
 * when `delayMs` is 0.
 */
export class CallAbortWatch {
  readonly #delayMs: number;
  #young: CallAbort[] = [];
  #old: CallAbort[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #armed = false;

  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  /** Start watching `abort` (now, or after the delay). */
  add(abort: CallAbort): void {
    if (this.#delayMs <= 0) {
      abort.watch();
      return;
    }
    this.#young.push(abort);
    if (!this.#armed) this.#arm();
  }

  #arm(): void {
    this.#armed = true;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#tick, this.#delayMs);
      // Pending requests keep the process alive themselves.
      this.#timer.unref?.();
    } else {
      this.#timer.refresh();
    }
  }

  readonly #tick = (): void => {
    this.#armed = false;
    const old = this.#old;
    for (const abort of old) if (!abort.settled) abort.watch();
    old.length = 0;
    // The young generation becomes the old one; the emptied array is reused.
    this.#old = this.#young;
    this.#young = old;
    if (this.#old.length > 0) this.#arm();
  };
}
