/**
 * Clocks: {@link SystemClock} (real time) and {@link FrozenClock} (test time
 * that moves only when told to). `now()` is a `Date` and `monotonicNs()` a
 * bigint of nanoseconds (the docs' `Clock`); `monotonic()` is the deprecated
 * millisecond form, computed from `monotonicNs()`.
 */

import type { Clock } from '@dagstack/plugin-api';
import { ResourceError } from './errors.js';

/** Largest delay one `setTimeout` accepts (2^31 - 1 ms); longer sleeps are chained. */
const MAX_TIMER_MS = 2_147_483_647;

function checkDelay(ms: unknown): ResourceError | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    return new ResourceError(`sleep(${String(ms)}): the delay must be a finite number >= 0`, {
      resource: 'clock',
      hint: 'pass the delay in milliseconds, e.g. clock.sleep(250)',
    });
  }
  return undefined;
}

/** The reason an aborted signal carries, or a standard `AbortError`. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Nanoseconds in a millisecond. */
const NS_PER_MS = 1_000_000;

/** Milliseconds of a nanosecond reading, for the deprecated `monotonic()`. */
const toMs = (ns: bigint): number => Number(ns) / NS_PER_MS;

/**
 * Real time: `now()` is a `new Date()`, `monotonicNs()` is
 * `process.hrtime.bigint()`, `sleep()` uses timers and measures its delay
 * on the monotonic reading. An aborted `signal` rejects the sleep with the
 * signal's `reason` (as `fetch` does).
 * @since 0.1.0
 */
export class SystemClock implements Clock {
  /** The current time (`new Date()`). */
  now(): Date {
    return new Date();
  }

  /** Monotonic nanoseconds (`process.hrtime.bigint()`); only differences are meaningful. @since 0.2.1 */
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }

  /**
   * Monotonic milliseconds: `monotonicNs()` in ms.
   * @deprecated Use {@link SystemClock.monotonicNs}; removed in 0.3.
   */
  monotonic(): number {
    return toMs(this.monotonicNs());
  }

  /**
   * Resolve after `ms` milliseconds; reject with `signal.reason` when the
   * signal aborts first. Delays above 2^31-1 ms are supported.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const invalid = checkDelay(ms);
    if (invalid !== undefined) return Promise.reject(invalid);
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = this.monotonicNs() + BigInt(Math.ceil(ms * NS_PER_MS));
      const onAbort = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        reject(abortReason(signal as AbortSignal));
      };
      const arm = (): void => {
        const left = toMs(deadline - this.monotonicNs());
        if (left <= 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  }
}

/** Options of {@link FrozenClock}. @since 0.1.0 */
export interface FrozenClockOptions {
  /** Initial wall time, ms since the epoch or a `Date`. Default `0` (1970-01-01T00:00:00Z). */
  now?: number | Date;
  /** Initial monotonic reading in milliseconds. Default `0`. */
  monotonic?: number;
}

interface Sleeper {
  /** Monotonic deadline in nanoseconds. */
  readonly deadline: bigint;
  readonly seq: number;
  readonly resolve: () => void;
  readonly cleanup: () => void;
}

/** Whole nanoseconds of `ms` milliseconds. */
const msToNs = (ms: number): bigint => BigInt(Math.round(ms * NS_PER_MS));

/**
 * Test time. It never moves on its own: {@link FrozenClock.advance} moves the
 * wall and monotonic readings forward together and wakes every `sleep` whose
 * deadline was reached (deadline order, then call order). No real timers are
 * used, so tests are deterministic. `sleep(0)` resolves without advancing;
 * an aborted signal rejects the sleep with the signal's `reason`.
 * @since 0.1.0
 */
export class FrozenClock implements Clock {
  /** Wall time, ms since the epoch. */
  #now: number;
  /** Monotonic reading, ns. */
  #monotonicNs: bigint;
  #seq = 0;
  #sleepers: Sleeper[] = [];

  constructor(options: FrozenClockOptions = {}) {
    const now = options.now instanceof Date ? options.now.getTime() : (options.now ?? 0);
    this.#now = checkFinite('now', now);
    this.#monotonicNs = msToNs(checkFinite('monotonic', options.monotonic ?? 0));
  }

  /** The frozen wall time, as a new `Date` on every call. */
  now(): Date {
    return new Date(this.#now);
  }

  /** The frozen monotonic reading in nanoseconds. @since 0.2.1 */
  monotonicNs(): bigint {
    return this.#monotonicNs;
  }

  /**
   * The frozen monotonic reading in milliseconds.
   * @deprecated Use {@link FrozenClock.monotonicNs}; removed in 0.3.
   */
  monotonic(): number {
    return toMs(this.monotonicNs());
  }

  /** Number of `sleep` calls waiting for time to advance. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /**
   * Resolve once the clock has been advanced by `ms` (from the moment of the
   * call); reject with `signal.reason` if the signal aborts first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const invalid = checkDelay(ms);
    if (invalid !== undefined) return Promise.reject(invalid);
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    if (ms === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal as AbortSignal));
      };
      const sleeper: Sleeper = {
        deadline: this.#monotonicNs + msToNs(ms),
        seq: this.#seq++,
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /**
   * Move time forward by `ms` (wall and monotonic alike) and wake the sleeps
   * whose deadline was reached. Returns how many were woken. Sleeps started by
   * woken code run after this call returns, so they wait for the next advance.
   */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new ResourceError(
        `advance(${String(ms)}): time only moves forward by a finite amount`,
        {
          resource: 'clock',
          hint: 'pass a number of milliseconds >= 0; use set() to jump the wall clock',
        },
      );
    }
    this.#now += ms;
    this.#monotonicNs += msToNs(ms);
    return this.#wake();
  }

  /**
   * Set the wall time (ms since the epoch, or a `Date`). A forward jump also
   * advances the monotonic reading by the same amount and wakes due sleeps; a
   * backward jump moves only the wall time (monotonic time never goes back).
   * Returns how many sleeps were woken.
   */
  set(time: number | Date): number {
    const next = checkFinite('set', time instanceof Date ? time.getTime() : time);
    const delta = next - this.#now;
    this.#now = next;
    if (delta <= 0) return 0;
    this.#monotonicNs += msToNs(delta);
    return this.#wake();
  }

  #wake(): number {
    const due = this.#sleepers
      .filter((s) => s.deadline <= this.#monotonicNs)
      .sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : a.seq - b.seq));
    if (due.length === 0) return 0;
    this.#sleepers = this.#sleepers.filter((s) => s.deadline > this.#monotonicNs);
    for (const s of due) {
      s.cleanup();
      s.resolve();
    }
    return due.length;
  }
}

function checkFinite(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ResourceError(
      `${what}: expected a finite number of milliseconds, got ${String(value)}`,
      {
        resource: 'clock',
        hint: 'pass milliseconds since the epoch or a valid Date',
      },
    );
  }
  return value;
}
