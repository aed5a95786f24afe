/**
 * In-flight tracking (ADR-0001 `in_flight`): the calls a plugin is running,
 * listed for its teardown and cancelled by the registry when it stops the
 * plugin. The registry gives each candidate an {@link InFlightCalls}; the
 * engine then runs every call of that candidate as a {@link TrackedCall},
 * in the same reaction as its own result handling (a wrapper around the
 * plugin's handle costs one more promise reaction per call, measured in
 * docs/performance.md).
 */
import type {
  CallAbortListener,
  CallMetadata,
  HookCall,
  InFlightOperation,
  PluginHandle,
} from '@dagstack/plugin-api';
import { CallAbortListeners } from '@dagstack/plugin-api';
import type { SharedCallState } from './call-state.js';
import { EMPTY_METADATA } from './json.js';
import { isThenable } from './thenable.js';

// ---------------------------------------------------------------------------
// The coarse clock of `startedAt`
// ---------------------------------------------------------------------------

/**
 * How many calls reuse one clock reading. `Date.now()` costs about 50 ns on
 * the benchmark machine (kvm-clock), a third of a whole in-process dispatch.
 */
const CLOCK_REUSES = 15;
let clockStamp = 0;
let clockUses = 0;
/** Whether an expiry timer is pending, and when it was set. */
let clockTimerPending = false;
let clockTimerSetAt = 0;

function expireClock(): void {
  clockUses = 0;
  clockTimerPending = false;
}

/**
 * Milliseconds since the epoch, read at most once per 16 calls: a reading
 * is reused until 15 more calls took it or a millisecond of event-loop time
 * has passed (an unref'd timer, made at most once per reading, expires it),
 * whichever comes first. So a call's `startedAt` is late by at most about a
 * millisecond, or by the time the 15 calls before it took when they all ran
 * in one stretch without yielding to the event loop.
 */
export function coarseNow(): number {
  if (clockUses > 0) {
    clockUses--;
    return clockStamp;
  }
  clockStamp = Date.now();
  clockUses = CLOCK_REUSES;
  // A timer that has not fired 100 ms after it was due was lost (fake timers
  // uninstalled while it was pending) or is stuck behind a blocked loop: set another.
  if (!clockTimerPending || clockStamp - clockTimerSetAt > 100) {
    const timer = setTimeout(expireClock, 1);
    if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    clockTimerPending = true;
    clockTimerSetAt = clockStamp;
  }
  return clockStamp;
}

// ---------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------

/**
 * The in-flight calls of one plugin, as an intrusive doubly linked list (a
 * `Set` of fresh objects costs a hash per call). The registry makes one per
 * plugin and puts it on the plugin's {@link DispatchCandidate.inFlight}; the
 * engine adds each call of that plugin when it starts and removes it when it
 * settles or is cancelled.
 * @since 0.2.0
 */
export class InFlightCalls {
  #head: TrackedCall | undefined = undefined;
  #size = 0;
  #idle: (() => void)[] | undefined = undefined;

  /** How many calls are in flight. */
  get size(): number {
    return this.#size;
  }

  /** @internal */
  add(call: TrackedCall): void {
    const head = this.#head;
    call.nextInFlight = head;
    call.prevInFlight = undefined;
    if (head !== undefined) head.prevInFlight = call;
    this.#head = call;
    this.#size++;
  }

  /** @internal Remove `call`; a call that is not listed is ignored. */
  delete(call: TrackedCall): void {
    const prev = call.prevInFlight;
    const next = call.nextInFlight;
    if (prev !== undefined) prev.nextInFlight = next;
    else if (this.#head === call) this.#head = next;
    else return;
    if (next !== undefined) next.prevInFlight = prev;
    call.prevInFlight = undefined;
    call.nextInFlight = undefined;
    if (--this.#size === 0 && this.#idle !== undefined) {
      const waiting = this.#idle;
      this.#idle = undefined;
      for (const wake of waiting) wake();
    }
  }

  /** A snapshot of the calls in flight, oldest first (what `ctx.inFlight()` returns). */
  toArray(): InFlightOperation[] {
    const out: InFlightOperation[] = [];
    for (let call = this.#head; call !== undefined; call = call.nextInFlight) out.push(call);
    return out.reverse();
  }

  /** Resolves once no call is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (this.#idle === undefined) this.#idle = [resolve];
      else this.#idle.push(resolve);
    });
  }
}

// ---------------------------------------------------------------------------
// One tracked call
// ---------------------------------------------------------------------------

/**
 * What a tracked call does with its outcome before the caller sees it (the
 * singleton hot path's result check and error wrapping, run in the same
 * reaction). Both may throw; what they return or throw settles the caller.
 */
export interface OutcomeChecks {
  readonly onResult: (value: unknown) => unknown;
  readonly onError: (error: unknown) => unknown;
}

/** The abort state of a {@link TrackedCall}, made only when something needs it. */
interface TrackedAbort {
  controller: AbortController | undefined;
  cancelled: { reason: unknown } | undefined;
  listeners: CallAbortListeners | undefined;
  /** Whether the dispatch's shared state is watched (for the dispatch's lifetime). */
  watchingState: boolean;
}

type Settle = (value: unknown) => void;

/** The call whose promise is being made: lets one executor serve every call (no closure per call). */
let filling: TrackedCall | undefined;
let captureSettlers: (resolve: Settle, reject: Settle) => void;

/**
 * What runs tracked calls itself (a chain or a `broadcast_collect` dispatch,
 * which own their caller's promise) instead of through
 * {@link TrackedCall.run}: told when the registry cancels one of them.
 */
export interface CallOwner {
  /** `call` was cancelled (already unlisted): settle the dispatch with `reason`. */
  callCancelled(call: TrackedCall, reason: unknown): void;
}

/**
 * One plugin call as the plugin sees it (its `HookCall`) and as the
 * registry tracks it (`ctx.inFlight()`, teardown). Two ways to run one:
 * {@link run} gives the caller a promise of the call's own, settled from the
 * plugin's reaction; {@link start} leaves the reaction to an owner that
 * already has one (a chain, a collect), which calls {@link finish}. Either
 * way `cancel()` settles the caller at once even when the plugin ignores the
 * cancellation, and a late result is dropped. Few fields (every call pays
 * for each); the signal and abort state are made only when something reads
 * them.
 */
export class TrackedCall implements HookCall, InFlightOperation, CallAbortListener {
  readonly kind: string;
  readonly name: string;
  readonly hook: string;
  readonly metadata: CallMetadata;
  readonly startedAt: number;
  /** Links of {@link InFlightCalls}. */
  prevInFlight: TrackedCall | undefined = undefined;
  nextInFlight: TrackedCall | undefined = undefined;
  readonly #state: SharedCallState | undefined;
  readonly #list: InFlightCalls;
  readonly #checks: OutcomeChecks | undefined;
  /** Listed and not yet settled or cancelled. */
  #live = false;
  #owner: CallOwner | undefined = undefined;
  #resolve: Settle | undefined = undefined;
  #reject: Settle | undefined = undefined;
  #abort: TrackedAbort | undefined = undefined;

  static {
    captureSettlers = (resolve, reject) => {
      const call = filling as TrackedCall;
      call.#resolve = resolve;
      call.#reject = reject;
    };
  }

  constructor(
    state: SharedCallState | undefined,
    kind: string,
    name: string,
    hook: string,
    list: InFlightCalls,
    checks: OutcomeChecks | undefined,
  ) {
    this.kind = kind;
    this.name = name;
    this.hook = hook;
    this.metadata = state === undefined ? EMPTY_METADATA : state.metadata;
    // coarseNow()'s fast path, inlined (it showed in profiles as a call of its own).
    if (clockUses > 0) {
      clockUses--;
      this.startedAt = clockStamp;
    } else {
      this.startedAt = coarseNow();
    }
    this.#state = state;
    this.#list = list;
    this.#checks = checks;
  }

  /**
   * Run the call on `handle`: listed in flight until it settles or is
   * cancelled. The promise settles with the outcome, passed through the
   * call's checks when it has them.
   */
  run(handle: Pick<PluginHandle, 'invoke'>, input: unknown): Promise<unknown> {
    this.#live = true;
    this.#list.add(this);
    filling = this;
    const caller = new Promise<unknown>(captureSettlers);
    filling = undefined;
    let out: unknown;
    try {
      out = handle.invoke(this.hook, input, this);
    } catch (error) {
      this.#settle(error, false);
      return caller;
    }
    if (out instanceof Promise) {
      out.then(
        (value) => this.#settle(value, true),
        (error: unknown) => this.#settle(error, false),
      );
    } else if (isThenable(out)) {
      Promise.resolve(out).then(
        (value) => this.#settle(value, true),
        (error: unknown) => this.#settle(error, false),
      );
    } else {
      this.#settle(out, true);
    }
    return caller;
  }

  /**
   * Start the call on `handle` for `owner` and return what the handle
   * returns (a throw passes). The call stays listed until the owner calls
   * {@link finish}, which it must do once the call settles, however it
   * settles.
   */
  start(handle: Pick<PluginHandle, 'invoke'>, input: unknown, owner: CallOwner): unknown {
    this.#owner = owner;
    this.#live = true;
    this.#list.add(this);
    return handle.invoke(this.hook, input, this);
  }

  /**
   * The call settled: unlist it. `false` when it had been cancelled (or
   * finished) already, so the owner drops the outcome.
   */
  finish(): boolean {
    if (!this.#live) return false;
    this.#live = false;
    this.#list.delete(this);
    // The dispatch's shared state stays watched: it lives as long as the
    // dispatch, and its abort (a fail-fast failure after this call finished)
    // reaches this call's signal as it reaches every plugin's shared signal
    // on an untracked candidate.
    return true;
  }

  #settle(outcome: unknown, ok: boolean): void {
    if (!this.finish()) return;
    const resolve = this.#resolve as Settle;
    const reject = this.#reject as Settle;
    this.#resolve = undefined;
    this.#reject = undefined;
    const checks = this.#checks;
    if (checks === undefined) {
      if (ok) resolve(outcome);
      else reject(outcome);
      return;
    }
    try {
      resolve(ok ? checks.onResult(outcome) : checks.onError(outcome));
    } catch (error) {
      reject(error);
    }
  }

  #abortState(): TrackedAbort {
    let state = this.#abort;
    if (state === undefined) {
      state = {
        controller: undefined,
        cancelled: undefined,
        listeners: undefined,
        watchingState: false,
      };
      this.#abort = state;
    }
    return state;
  }

  /** Start watching the dispatch's shared state (timeout, caller's signal, fail-fast), once. */
  #watchState(abort: TrackedAbort): void {
    const shared = this.#state;
    if (abort.watchingState || shared === undefined) return;
    abort.watchingState = true;
    shared.watchAbort(this, true);
  }

  /** Aborted when the dispatch aborts (timeout, the caller's signal, fail-fast) or on `cancel()`. */
  get signal(): AbortSignal {
    const abort = this.#abortState();
    let controller = abort.controller;
    if (controller === undefined) {
      controller = new AbortController();
      abort.controller = controller;
      if (abort.cancelled !== undefined) controller.abort(abort.cancelled.reason);
      else this.#watchState(abort);
    }
    return controller.signal;
  }

  /**
   * Cancel the call (the registry does it when it stops the plugin): the
   * signal aborts, watchers are told, and the caller's promise rejects with
   * `reason` at once, whatever the plugin does. A call that has settled
   * is left alone.
   */
  cancel(reason?: unknown): void {
    if (!this.#live) return; // settled already: nothing to cancel
    const abort = this.#abortState();
    if (abort.cancelled === undefined) abort.cancelled = { reason };
    abort.controller?.abort(reason);
    abort.listeners?.fire(reason);
    const owner = this.#owner;
    if (owner === undefined) {
      this.#settle(reason, false);
      return;
    }
    this.finish();
    owner.callCancelled(this, reason);
  }

  /**
   * `HookCall.watchAbort`: a tracked call can always abort (the registry
   * cancels what is in flight when it stops a plugin), so the listener is
   * kept (`true`); the dispatch's shared state is watched too, without
   * creating a signal.
   */
  watchAbort(listener: CallAbortListener, on: boolean): boolean {
    const abort = this.#abortState();
    if (!on) {
      abort.listeners?.remove(listener);
      return true;
    }
    if (abort.cancelled !== undefined) {
      listener.callAborted(abort.cancelled.reason);
      return true;
    }
    if (abort.listeners === undefined) abort.listeners = new CallAbortListeners();
    abort.listeners.add(listener);
    this.#watchState(abort);
    return true;
  }

  /** @internal The dispatch's shared state aborted. */
  callAborted(reason: unknown): void {
    const abort = this.#abort;
    if (abort === undefined) return;
    abort.controller?.abort(reason);
    abort.listeners?.fire(reason);
  }

  /** JSON form (for MCP adapters and logs): the signal is not data. */
  toJSON(): { kind: string; name: string; hook: string; metadata: CallMetadata } {
    return { kind: this.kind, name: this.name, hook: this.hook, metadata: this.metadata };
  }
}
