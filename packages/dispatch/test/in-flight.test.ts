// In-flight tracking (ADR-0001 `in_flight`): candidates with an InFlightCalls
// list have every call listed while it runs, on every path of every class,
// and a cancelled call releases its caller even if the plugin ignores it.
import type { CallAbortListener, HookCall, InFlightOperation } from '@dagstack/plugin-api';
import {
  HookCancelled,
  isHookCancelled,
  isHookTimeout,
  isPluginInvocationError,
} from '@dagstack/plugin-api';
import { describe, expect, it, vi } from 'vitest';
import { type DispatchCandidate, DispatchEngine, type InFlightCalls } from '../src/index.js';
import { type Fn, kindSpec, raw } from './helpers.js';

type Hook = Fn;

/** A tracked candidate calling `hooks` directly (no async wrapper: sync results stay sync). */
function tracked(
  name: string,
  kind: string,
  hooks: Record<string, Hook>,
  fields: Record<string, unknown> = {},
): DispatchCandidate & { inFlight: InFlightCalls } {
  return raw(name, kind, hooks, 'sync+tracked', fields) as DispatchCandidate & {
    inFlight: InFlightCalls;
  };
}

/** A promise the test settles, and the calls that reached the plugin. */
function gate() {
  let open: (value: unknown) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const calls: HookCall[] = [];
  const promise = new Promise<unknown>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  const hook: Hook = (_input, call) => {
    calls.push(call);
    return promise;
  };
  return { hook, calls, open, fail };
}

const hooksOf = (list: InFlightCalls): string[] => list.toArray().map((op) => op.hook);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function engineFor(
  kind: string,
  hooks: Record<string, string>,
  candidates: DispatchCandidate[],
  failures: string[] = [],
): DispatchEngine {
  const engine = new DispatchEngine({
    env: {},
    onPluginFailure: (c) => failures.push(c.name),
  });
  engine.registerKind(
    kindSpec(
      kind,
      Object.fromEntries(
        Object.entries(hooks).map(([hook, dispatch]) => [
          hook,
          dispatch === 'best_effort'
            ? { dispatch: 'broadcast_collect', error_policy: 'best_effort' }
            : { dispatch: dispatch as 'singleton' },
        ]),
      ),
    ),
  );
  engine.setCandidates(kind, candidates);
  return engine;
}

describe('InFlightCalls', () => {
  it('lists a singleton call while it runs (hot path), with hook, metadata and start time', async () => {
    const g = gate();
    const llm = tracked('gpt', 'llm', { complete: g.hook });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    expect(llm.inFlight.size).toBe(0);
    const before = Date.now();
    const pending = engine.call('llm', 'complete', { q: 1 });
    const ops = llm.inFlight.toArray();
    expect(ops).toHaveLength(1);
    const op = ops[0] as InFlightOperation;
    expect(op.hook).toBe('complete');
    expect(op.metadata).toEqual({});
    expect(op.startedAt).toBeGreaterThanOrEqual(before - 50);
    expect(op.startedAt).toBeLessThanOrEqual(Date.now());
    // The plugin got the listed object as its call.
    expect(g.calls[0]).toBe(op);
    expect(g.calls[0]).toMatchObject({ kind: 'llm', name: 'gpt', hook: 'complete' });
    g.open('answer');
    expect(await pending).toBe('answer');
    expect(llm.inFlight.size).toBe(0);
    expect(llm.inFlight.toArray()).toEqual([]);
  });

  it('removes calls that fail, synchronously or not, and still names the plugin', async () => {
    const llm = tracked('gpt', 'llm', {
      complete: (input) => {
        if (input === 'sync') throw new Error('sync boom');
        return Promise.reject(new Error('async boom'));
      },
    });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    for (const input of ['sync', 'async']) {
      const error = await engine.call('llm', 'complete', input).catch((e: unknown) => e);
      expect(isPluginInvocationError(error)).toBe(true);
      expect(error).toMatchObject({ plugin: 'gpt', hook: 'complete' });
      expect((error as Error & { cause: Error }).cause.message).toBe(`${input} boom`);
      expect(llm.inFlight.size).toBe(0);
    }
  });

  it('keeps the singleton contract on the tracked hot path: a sync result, an empty result', async () => {
    let answer: unknown = 'now';
    const llm = tracked('gpt', 'llm', { complete: () => answer });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    expect(await engine.call('llm', 'complete', {})).toBe('now');
    answer = null;
    const error = await engine.call('llm', 'complete', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KindUnknown' });
    expect(llm.inFlight.size).toBe(0);
  });

  it('lists calls of the general path (per-call options) with their metadata', async () => {
    const g = gate();
    const llm = tracked('gpt', 'llm', { complete: g.hook });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    const pending = engine.call(
      'llm',
      'complete',
      {},
      { metadata: { tenant: 't1' }, timeoutMs: 5000 },
    );
    await tick();
    const [op] = llm.inFlight.toArray();
    expect(op?.metadata).toEqual({ tenant: 't1' });
    expect(g.calls[0]?.metadata).toEqual({ tenant: 't1' });
    g.open(42);
    expect(await pending).toBe(42);
    expect(llm.inFlight.size).toBe(0);
  });

  it('lists each stage of a chain only while that stage runs', async () => {
    const gates = [gate(), gate(), gate()];
    const stages = gates.map((g, i) =>
      tracked(`s${i}`, 'rewriter', { rewrite: g.hook }, { priority: 10 - i }),
    );
    const engine = engineFor('rewriter', { rewrite: 'chain' }, stages);
    const pending = engine.call('rewriter', 'rewrite', 'x');
    const sizes = () => stages.map((s) => s.inFlight.size);
    expect(sizes()).toEqual([1, 0, 0]);
    (gates[0] as ReturnType<typeof gate>).open('x0');
    await tick();
    expect(sizes()).toEqual([0, 1, 0]);
    (gates[1] as ReturnType<typeof gate>).open('x1');
    await tick();
    expect(sizes()).toEqual([0, 0, 1]);
    (gates[2] as ReturnType<typeof gate>).open('x2');
    expect(await pending).toBe('x2');
    expect(sizes()).toEqual([0, 0, 0]);
  });

  it('lists every plugin of a broadcast_collect at once, and each leaves when it settles', async () => {
    const gates = [gate(), gate()];
    const providers = gates.map((g, i) => tracked(`p${i}`, 'tools', { list: g.hook }));
    const engine = engineFor('tools', { list: 'broadcast_collect' }, providers);
    const pending = engine.call('tools', 'list', {});
    expect(providers.map((p) => p.inFlight.size)).toEqual([1, 1]);
    (gates[1] as ReturnType<typeof gate>).open('b');
    await tick();
    expect(providers.map((p) => p.inFlight.size)).toEqual([1, 0]);
    (gates[0] as ReturnType<typeof gate>).open('a');
    expect(await pending).toEqual([
      { plugin: 'p0', value: 'a' },
      { plugin: 'p1', value: 'b' },
    ]);
    expect(providers.map((p) => p.inFlight.size)).toEqual([0, 0]);
  });

  it('lists broadcast_notify handlers until they finish, after the caller has returned', async () => {
    const g = gate();
    const sink = tracked('audit', 'events', { emit: g.hook });
    const engine = engineFor('events', { emit: 'broadcast_notify' }, [sink]);
    await engine.call('events', 'emit', {});
    await tick();
    expect(hooksOf(sink.inFlight)).toEqual(['emit']);
    g.open(undefined);
    await engine.settled();
    expect(sink.inFlight.size).toBe(0);
  });

  it('unlists synchronous results and synchronous throws of chain and collect plugins', async () => {
    const stages = [0, 1, 2].map((i) =>
      tracked(`s${i}`, 'rewriter', { rewrite: (v) => `${String(v)}${i}` }, { priority: 10 - i }),
    );
    const chain = engineFor('rewriter', { rewrite: 'chain' }, stages);
    expect(await chain.call('rewriter', 'rewrite', 'x')).toBe('x012');
    expect(stages.map((s) => s.inFlight.size)).toEqual([0, 0, 0]);

    const failures: string[] = [];
    const ok = tracked('ok', 'tools', { list: () => 'fine' });
    const bad = tracked('bad', 'tools', {
      list: () => {
        throw new Error('sync failure');
      },
    });
    const collect = engineFor('tools', { list: 'broadcast_collect' }, [ok, bad], failures);
    const error = await collect.call('tools', 'list', {}).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'bad' });
    expect(failures).toEqual(['bad']);
    expect([ok.inFlight.size, bad.inFlight.size]).toEqual([0, 0]);

    const throwing = tracked('thrower', 'rewriter', {
      rewrite: () => {
        throw new Error('stage failure');
      },
    });
    const broken = engineFor('rewriter', { rewrite: 'chain' }, [throwing]);
    expect(await broken.call('rewriter', 'rewrite', 'x').catch((e: unknown) => e)).toMatchObject({
      plugin: 'thrower',
    });
    expect(throwing.inFlight.size).toBe(0);
  });

  it('idle() resolves at once when nothing runs, else when the last call settles', async () => {
    const g = gate();
    const llm = tracked('gpt', 'llm', { complete: g.hook });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    await llm.inFlight.idle();
    const first = engine.call('llm', 'complete', 1);
    const second = engine.call('llm', 'complete', 2);
    expect(llm.inFlight.size).toBe(2);
    // Oldest first.
    expect(g.calls.map((c) => c.hook)).toEqual(['complete', 'complete']);
    expect(llm.inFlight.toArray()).toEqual(g.calls);
    let idle = false;
    const waiting = llm.inFlight.idle().then(() => {
      idle = true;
    });
    await tick();
    expect(idle).toBe(false);
    g.open('done');
    await Promise.all([first, second, waiting]);
    expect(idle).toBe(true);
  });
});

describe('cancel()', () => {
  it('releases the caller at once with the reason even if the plugin ignores it; the late result is dropped', async () => {
    const g = gate();
    const llm = tracked('gpt', 'llm', { complete: g.hook });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    const pending = engine.call('llm', 'complete', {}).catch((e: unknown) => e);
    const reason = new HookCancelled({ plugin: 'gpt', kind: 'llm', hook: 'complete' });
    (llm.inFlight.toArray()[0] as InFlightOperation).cancel(reason);
    expect(llm.inFlight.size).toBe(0);
    // A registry error passes as it is.
    expect(await pending).toBe(reason);
    g.open('too late');
    await tick();
    expect(llm.inFlight.size).toBe(0);
  });

  it('aborts the signal the plugin holds, and one it reads later; tells watchAbort listeners once', async () => {
    const g = gate();
    const llm = tracked('gpt', 'llm', { complete: g.hook });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    const pending = engine.call('llm', 'complete', {}).catch((e: unknown) => e);
    const call = g.calls[0] as HookCall;
    const early = call.signal;
    const told: unknown[] = [];
    const listener: CallAbortListener = { callAborted: (r) => told.push(r) };
    expect(call.watchAbort?.(listener, true)).toBe(true);
    const reason = new Error('stop');
    (llm.inFlight.toArray()[0] as InFlightOperation).cancel(reason);
    expect(early.aborted).toBe(true);
    expect(early.reason).toBe(reason);
    expect(told).toEqual([reason]);
    // A plain Error reason is wrapped like any plugin failure, naming the plugin.
    const error = (await pending) as { plugin?: string; cause?: unknown };
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error.plugin).toBe('gpt');
    expect(error.cause).toBe(reason);
    // Late watchers are told at once.
    const late: unknown[] = [];
    call.watchAbort?.({ callAborted: (r) => late.push(r) }, true);
    expect(late).toEqual([reason]);
  });

  it('stops a chain at the cancelled stage: later stages never run', async () => {
    const g = gate();
    const ran: string[] = [];
    const first = tracked('first', 'rewriter', { rewrite: g.hook }, { priority: 10 });
    const second = tracked(
      'second',
      'rewriter',
      {
        rewrite: (v) => {
          ran.push('second');
          return v;
        },
      },
      { priority: 5 },
    );
    const engine = engineFor('rewriter', { rewrite: 'chain' }, [first, second]);
    const pending = engine.call('rewriter', 'rewrite', 'x').catch((e: unknown) => e);
    const reason = new HookCancelled({ plugin: 'first', hook: 'rewrite' });
    (first.inFlight.toArray()[0] as InFlightOperation).cancel(reason);
    expect(await pending).toBe(reason);
    g.open('x1');
    await tick();
    expect(ran).toEqual([]);
  });

  it('fails a fail-fast broadcast_collect and aborts the other plugins', async () => {
    const a = gate();
    const b = gate();
    const failures: string[] = [];
    const pa = tracked('pa', 'tools', { list: a.hook });
    const pb = tracked('pb', 'tools', { list: b.hook });
    const engine = engineFor('tools', { list: 'broadcast_collect' }, [pa, pb], failures);
    const pending = engine.call('tools', 'list', {}).catch((e: unknown) => e);
    const otherSignal = (b.calls[0] as HookCall).signal;
    const reason = new HookCancelled({ plugin: 'pa', hook: 'list' });
    (pa.inFlight.toArray()[0] as InFlightOperation).cancel(reason);
    expect(await pending).toBe(reason);
    expect(otherSignal.aborted).toBe(true);
    expect(failures).toEqual(['pa']);
    // pb is still listed until it settles: tracking follows the plugin, not the dispatch.
    expect(pb.inFlight.size).toBe(1);
    b.open('late');
    await tick();
    expect(pb.inFlight.size).toBe(0);
  });

  it('cancelling a settled call does nothing', async () => {
    const llm = tracked('gpt', 'llm', { complete: () => 'ok' });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    let op: InFlightOperation | undefined;
    llm.handle.invoke = (_hook, _input, call) => {
      op = call as unknown as InFlightOperation;
      return 'ok' as unknown as Promise<unknown>;
    };
    expect(await engine.call('llm', 'complete', {})).toBe('ok');
    op?.cancel(new Error('late'));
    expect(llm.inFlight.size).toBe(0);
    expect((op as unknown as HookCall).signal.aborted).toBe(false);
  });
});

describe('a tracked call and its dispatch', () => {
  it('a timeout aborts the tracked call signal and rejects with HookTimeout; the call leaves when the plugin gives up', async () => {
    const llm = tracked('gpt', 'llm', {
      complete: (_input, call) =>
        new Promise((_resolve, reject) => {
          call.signal.addEventListener('abort', () => reject(call.signal.reason));
        }),
    });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    const error = await engine
      .call('llm', 'complete', {}, { timeoutMs: 20 })
      .catch((e: unknown) => e);
    expect(isHookTimeout(error)).toBe(true);
    await tick();
    expect(llm.inFlight.size).toBe(0);
  });

  it('the caller signal reaches watchAbort listeners without the plugin reading its signal', async () => {
    const told: unknown[] = [];
    const llm = tracked('gpt', 'llm', {
      complete: (_input, call) => {
        call.watchAbort?.({ callAborted: (r) => told.push(r) }, true);
        return new Promise(() => {});
      },
    });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    const controller = new AbortController();
    const pending = engine
      .call('llm', 'complete', {}, { signal: controller.signal })
      .catch((e: unknown) => e);
    await tick();
    controller.abort(new Error('user left'));
    expect(isHookCancelled(await pending)).toBe(true);
    expect(told).toHaveLength(1);
    expect(isHookCancelled(told[0])).toBe(true);
    // The plugin never settles: the call stays listed until the registry cancels it.
    expect(llm.inFlight.size).toBe(1);
    (llm.inFlight.toArray()[0] as InFlightOperation).cancel(new Error('teardown'));
    expect(llm.inFlight.size).toBe(0);
  });
});

describe('startedAt', () => {
  it('is read again after the event loop has run for a while (the coarse clock expires)', async () => {
    const llm = tracked('gpt', 'llm', { complete: () => new Promise(() => {}) });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    const first = engine.call('llm', 'complete', {}).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 30));
    const before = Date.now();
    const second = engine.call('llm', 'complete', {}).catch((e: unknown) => e);
    const ops = llm.inFlight.toArray();
    expect(ops).toHaveLength(2);
    expect((ops[1] as InFlightOperation).startedAt).toBeGreaterThanOrEqual(before);
    expect((ops[0] as InFlightOperation).startedAt).toBeLessThan(before);
    for (const op of ops) op.cancel(new Error('done'));
    expect(await Promise.all([first, second])).toHaveLength(2);
  });

  it('recovers when its expiry timer was lost (fake timers removed while it was pending)', async () => {
    const llm = tracked('gpt', 'llm', { complete: () => 'ok' });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    // Let any pending (real) expiry timer fire first, so the next one is set under fake timers.
    await new Promise((r) => setTimeout(r, 20));
    vi.useFakeTimers();
    try {
      // 16 calls: at least one reads the clock and sets its timer, a fake one.
      for (let i = 0; i < 16; i++) await engine.call('llm', 'complete', i);
    } finally {
      vi.useRealTimers();
    }
    await new Promise((r) => setTimeout(r, 150));
    // This call reads the clock (the fake-timer calls used the last reading up) and
    // must set a new timer; without one the next call would reuse its reading.
    await engine.call('llm', 'complete', 0);
    await new Promise((r) => setTimeout(r, 30));
    let seen: number | undefined;
    llm.handle.invoke = (_hook, _input, call) => {
      seen = (call as unknown as InFlightOperation).startedAt;
      return Promise.resolve('ok');
    };
    const before = Date.now();
    await engine.call('llm', 'complete', 0);
    expect(seen).toBeGreaterThanOrEqual(before);
  });

  it('stays within the time of a burst of calls made in one stretch, never going back', () => {
    const llm = tracked('gpt', 'llm', { complete: () => new Promise(() => {}) });
    const engine = engineFor('llm', { complete: 'singleton' }, [llm]);
    const before = Date.now();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++)
      calls.push(engine.call('llm', 'complete', i).catch((e: unknown) => e));
    const after = Date.now();
    const stamps = llm.inFlight.toArray().map((op) => op.startedAt);
    expect(stamps).toHaveLength(100);
    expect(stamps.every((s, i) => i === 0 || s >= (stamps[i - 1] as number))).toBe(true);
    // At most 15 calls reuse a reading, so the last ones are read within the burst.
    expect(stamps[99]).toBeGreaterThanOrEqual(before);
    expect(stamps[99]).toBeLessThanOrEqual(after);
    for (const op of llm.inFlight.toArray()) op.cancel(new Error('done'));
    return Promise.all(calls);
  });
});
