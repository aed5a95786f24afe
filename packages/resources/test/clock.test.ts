import { isPluginError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { FrozenClock, isResourceError, SystemClock } from '../src/index.js';

/** Settles pending promise callbacks (no timers involved). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function track(promise: Promise<void>): {
  state: () => 'pending' | 'resolved' | 'rejected';
  error: () => unknown;
} {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let error: unknown;
  promise.then(
    () => {
      state = 'resolved';
    },
    (e: unknown) => {
      state = 'rejected';
      error = e;
    },
  );
  return { state: () => state, error: () => error };
}

describe('FrozenClock', () => {
  it('starts at the given time and does not move by itself', async () => {
    const clock = new FrozenClock({ now: new Date('2026-01-01T12:00:00Z'), monotonic: 5 });
    expect(clock.now()).toEqual(new Date('2026-01-01T12:00:00Z'));
    expect(clock.monotonicNs()).toBe(5_000_000n);
    await flush();
    expect(clock.now().getTime()).toBe(Date.UTC(2026, 0, 1, 12));
    expect(new FrozenClock().now().toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(new FrozenClock().monotonicNs()).toBe(0n);
  });

  it('now() is a new Date each time: changing one does not move the clock', () => {
    const clock = new FrozenClock({ now: 1000 });
    const first = clock.now();
    expect(first).toBeInstanceOf(Date);
    first.setTime(0);
    expect(clock.now().getTime()).toBe(1000);
    expect(clock.now()).not.toBe(clock.now());
  });

  it('advance moves wall and monotonic time together', () => {
    const clock = new FrozenClock({ now: 1000 });
    clock.advance(250);
    expect(clock.now().getTime()).toBe(1250);
    expect(clock.monotonicNs()).toBe(250_000_000n);
    clock.advance(0.5);
    expect(clock.monotonicNs()).toBe(250_500_000n);
  });

  it('the deprecated monotonic() is monotonicNs() in milliseconds', () => {
    const clock = new FrozenClock({ monotonic: 5 });
    expect(clock.monotonic()).toBe(5);
    clock.advance(1.25);
    expect(clock.monotonic()).toBe(6.25);
    expect(clock.monotonic()).toBe(Number(clock.monotonicNs()) / 1e6);
  });

  it('sleep resolves only once time reaches the deadline', async () => {
    const clock = new FrozenClock();
    const sleep = track(clock.sleep(100));
    expect(clock.pendingSleeps).toBe(1);
    expect(clock.advance(99)).toBe(0);
    await flush();
    expect(sleep.state()).toBe('pending');
    expect(clock.advance(1)).toBe(1);
    await flush();
    expect(sleep.state()).toBe('resolved');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('wakes sleeps in deadline order, then call order', async () => {
    const clock = new FrozenClock();
    const order: string[] = [];
    void clock.sleep(30).then(() => order.push('c30'));
    void clock.sleep(10).then(() => order.push('a10'));
    void clock.sleep(10).then(() => order.push('b10'));
    void clock.sleep(50).then(() => order.push('d50'));
    expect(clock.advance(40)).toBe(3);
    await flush();
    expect(order).toEqual(['a10', 'b10', 'c30']);
    clock.advance(10);
    await flush();
    expect(order).toEqual(['a10', 'b10', 'c30', 'd50']);
  });

  it('sleep(0) resolves without advancing', async () => {
    const clock = new FrozenClock();
    const sleep = track(clock.sleep(0));
    await flush();
    expect(sleep.state()).toBe('resolved');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('an abort rejects the sleep with the signal reason and forgets it', async () => {
    const clock = new FrozenClock();
    const controller = new AbortController();
    const sleep = track(clock.sleep(100, controller.signal));
    const reason = new Error('stop');
    controller.abort(reason);
    await flush();
    expect(sleep.state()).toBe('rejected');
    expect(sleep.error()).toBe(reason);
    expect(clock.pendingSleeps).toBe(0);
    expect(clock.advance(1000)).toBe(0);
  });

  it('an already aborted signal rejects at once', async () => {
    const clock = new FrozenClock();
    await expect(clock.sleep(10, AbortSignal.abort('gone'))).rejects.toBe('gone');
  });

  it('set jumps the wall clock; forward jumps wake sleeps, backward jumps keep monotonic time', async () => {
    const clock = new FrozenClock({ now: 1000 });
    const sleep = track(clock.sleep(500));
    expect(clock.set(500)).toBe(0);
    expect(clock.now().getTime()).toBe(500);
    expect(clock.monotonicNs()).toBe(0n);
    expect(clock.set(new Date(1000))).toBe(1);
    await flush();
    expect(sleep.state()).toBe('resolved');
    expect(clock.monotonicNs()).toBe(500_000_000n);
  });

  it('refuses invalid delays and backward advances with a typed error', async () => {
    const clock = new FrozenClock();
    await expect(clock.sleep(-1)).rejects.toSatisfy(isResourceError);
    await expect(clock.sleep(Number.NaN)).rejects.toSatisfy(isResourceError);
    expect(() => clock.advance(-5)).toThrow(/time only moves forward/);
    expect(() => clock.set(Number.NaN)).toThrow(/finite number/);
    expect(() => new FrozenClock({ now: Number.POSITIVE_INFINITY })).toThrow(/finite number/);
  });
});

describe('SystemClock', () => {
  it('reads real time', () => {
    const clock = new SystemClock();
    const before = Date.now();
    const now = clock.now();
    expect(now).toBeInstanceOf(Date);
    expect(now.getTime()).toBeGreaterThanOrEqual(before);
    expect(now.getTime()).toBeLessThanOrEqual(Date.now());
    const m1 = clock.monotonicNs();
    expect(typeof m1).toBe('bigint');
    const m2 = clock.monotonicNs();
    expect(m2).toBeGreaterThanOrEqual(m1);
    const ms = clock.monotonic();
    expect(ms).toBeGreaterThanOrEqual(Number(m2) / 1e6);
    expect(ms).toBeLessThanOrEqual(Number(clock.monotonicNs()) / 1e6);
  });

  it('sleep resolves after the delay has passed on the monotonic clock', async () => {
    const clock = new SystemClock();
    const start = clock.monotonicNs();
    await clock.sleep(20);
    expect(clock.monotonicNs() - start).toBeGreaterThanOrEqual(20_000_000n);
  });

  it('sleep rejects with the abort reason', async () => {
    const clock = new SystemClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
    await expect(clock.sleep(10, AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('refuses negative delays with a typed error', async () => {
    await expect(new SystemClock().sleep(-1)).rejects.toSatisfy((e: unknown) => isPluginError(e));
  });
});
