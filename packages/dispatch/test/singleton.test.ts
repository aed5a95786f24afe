import type { HookCall } from '@dagstack/plugin-api';
import {
  HookCancelled,
  HookTimeout,
  isHookCancelled,
  isHookTimeout,
  isKindUnknown,
  isPluginInvocationError,
  isPluginUnavailable,
  PluginUnavailable,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { DispatchEngine, type DispatchEngineOptions } from '../src/index.js';
import { candidate, type HandleMode, kindSpec, MODES, never } from './helpers.js';

const KIND = 'llm';
const SPEC = kindSpec(KIND, { complete: { dispatch: 'singleton' } });

function engineWith(
  candidates: ReturnType<typeof candidate>[],
  options: DispatchEngineOptions = {},
): DispatchEngine {
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(SPEC);
  engine.setCandidates(KIND, candidates);
  return engine;
}

describe.each(MODES)('singleton (%s handle)', (mode: HandleMode) => {
  const answer = (name: string, priority: number, extra: Record<string, unknown> = {}) =>
    candidate(name, KIND, { complete: () => name }, { mode, manifest: { priority, ...extra } });

  it('calls the highest-priority plugin', async () => {
    const engine = engineWith([answer('low', 10), answer('high', 50), answer('mid', 30)]);
    expect(await engine.call(KIND, 'complete', {})).toBe('high');
  });

  it('breaks priority ties by name, never by registration order', async () => {
    const a = engineWith([answer('zeta', 5), answer('alpha', 5)]);
    const b = engineWith([answer('alpha', 5), answer('zeta', 5)]);
    expect(await a.call(KIND, 'complete', {})).toBe('alpha');
    expect(await b.call(KIND, 'complete', {})).toBe('alpha');
  });

  it('puts tryfirst before any priority and trylast after', async () => {
    const engine = engineWith([
      answer('top', 99, { trylast: true }),
      answer('first', 0, { tryfirst: true }),
      answer('normal', 50),
    ]);
    expect(await engine.call(KIND, 'complete', {})).toBe('first');
    const noFirst = engineWith([answer('top', 99, { trylast: true }), answer('normal', 1)]);
    expect(await noFirst.call(KIND, 'complete', {})).toBe('normal');
  });

  it('returns the first non-empty result in order (firstresult)', async () => {
    const calls: string[] = [];
    const plugin = (name: string, priority: number, value: unknown) =>
      candidate(
        name,
        KIND,
        {
          complete: () => {
            calls.push(name);
            return value;
          },
        },
        { mode, manifest: { priority } },
      );
    const engine = engineWith([
      plugin('a', 30, null),
      plugin('b', 20, undefined),
      plugin('c', 10, 0),
      plugin('d', 5, 'never reached'),
    ]);
    expect(await engine.call(KIND, 'complete', {})).toBe(0);
    expect(calls).toEqual(['a', 'b', 'c']);
  });

  it('applies firstresult on the slow path too (governance filter set)', async () => {
    const engine = engineWith(
      [
        candidate('a', KIND, { complete: () => null }, { mode, manifest: { priority: 9 } }),
        candidate('b', KIND, { complete: () => 'b' }, { mode, manifest: { priority: 5 } }),
      ],
      { governanceFilter: (_k, _h, candidates) => candidates },
    );
    expect(await engine.call(KIND, 'complete', {})).toBe('b');
  });

  it('wraps a handle that throws synchronously', async () => {
    const engine = engineWith([]);
    const base = candidate('sync', KIND, { complete: () => 1 }, { mode });
    engine.setCandidates(KIND, [
      {
        ...base,
        handle: {
          hooks: base.handle.hooks,
          invoke: () => {
            throw new Error('sync failure');
          },
        },
      },
    ]);
    const error = await engine.call(KIND, 'complete', {}).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as PluginUnavailable).plugin).toBe('sync');
  });

  it('rejects with KindUnknown when every plugin returns nothing', async () => {
    const engine = engineWith([
      candidate('a', KIND, { complete: () => null }, { mode }),
      candidate('b', KIND, { complete: () => undefined }, { mode }),
    ]);
    const error = await engine.call(KIND, 'complete', {}).catch((e: unknown) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect(String((error as Error).message)).toContain('"a", "b"');
  });

  it('rejects with KindUnknown (with hook and hint) when no plugin implements the hook', async () => {
    const engine = engineWith([candidate('other', KIND, { other: () => 1 }, { mode })]);
    const error = await engine.call(KIND, 'complete', {}).catch((e: unknown) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect((error as { hook?: string }).hook).toBe('complete');
    expect((error as { hint?: string }).hint).toContain('"other"');
    const empty = engineWith([]);
    await expect(empty.call(KIND, 'complete', {})).rejects.toSatisfy(isKindUnknown);
  });

  it('wraps a plugin error in PluginInvocationError naming the plugin', async () => {
    const boom = new TypeError('bad prompt');
    const engine = engineWith([
      candidate(
        'openai',
        KIND,
        {
          complete: () => {
            throw boom;
          },
        },
        { mode },
      ),
    ]);
    const error = await engine.call(KIND, 'complete', {}).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as PluginUnavailable).plugin).toBe('openai');
    expect((error as Error).cause).toBe(boom);
    expect((error as { remoteName?: string }).remoteName).toBe('TypeError');
  });

  it('lets registry errors thrown by a plugin pass unchanged', async () => {
    const own = new PluginUnavailable({ plugin: 'downstream', reason: 'circuit open' });
    const engine = engineWith([
      candidate(
        'p',
        KIND,
        {
          complete: () => {
            throw own;
          },
        },
        { mode },
      ),
    ]);
    await expect(engine.call(KIND, 'complete', {})).rejects.toBe(own);
  });

  it('times out a plugin that never resolves, aborting its signal', async () => {
    let seen: AbortSignal | undefined;
    const engine = engineWith([
      candidate(
        'hang',
        KIND,
        {
          complete: (_input, call) => {
            seen = call.signal;
            return never();
          },
        },
        { mode },
      ),
    ]);
    const error = await engine.call(KIND, 'complete', {}, { timeoutMs: 30 }).catch((e) => e);
    expect(isHookTimeout(error)).toBe(true);
    expect((error as HookTimeout).plugin).toBe('hang');
    expect((error as HookTimeout).timeoutMs).toBe(30);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
  });

  it('discards the late result of a plugin that ignores the signal', async () => {
    let finished = false;
    const engine = engineWith([
      candidate(
        'late',
        KIND,
        {
          complete: async () => {
            await new Promise((r) => setTimeout(r, 80));
            finished = true;
            return 'too late';
          },
        },
        { mode },
      ),
    ]);
    await expect(engine.call(KIND, 'complete', {}, { timeoutMs: 20 })).rejects.toSatisfy(
      isHookTimeout,
    );
    expect(finished).toBe(false);
  });

  it('uses defaultTimeoutMs when the call gives none', async () => {
    const engine = engineWith([candidate('hang', KIND, { complete: () => never() }, { mode })], {
      defaultTimeoutMs: 25,
    });
    await expect(engine.call(KIND, 'complete', {})).rejects.toBeInstanceOf(HookTimeout);
  });

  it('rejects with HookCancelled when the caller aborts, and the plugin sees the abort', async () => {
    let seen: AbortSignal | undefined;
    const controller = new AbortController();
    const engine = engineWith([
      candidate(
        'hang',
        KIND,
        {
          complete: (_input, call) => {
            seen = call.signal;
            setTimeout(() => controller.abort(new Error('user left')), 10);
            return never();
          },
        },
        { mode },
      ),
    ]);
    const error = await engine
      .call(KIND, 'complete', {}, { signal: controller.signal })
      .catch((e) => e);
    expect(isHookCancelled(error)).toBe(true);
    expect((error as HookCancelled).plugin).toBe('hang');
    expect(seen?.aborted).toBe(true);
  });

  it('does not call anything when the signal is already aborted', async () => {
    let called = false;
    const engine = engineWith([
      candidate(
        'p',
        KIND,
        {
          complete: () => {
            called = true;
            return 1;
          },
        },
        { mode },
      ),
    ]);
    await expect(
      engine.call(KIND, 'complete', {}, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(HookCancelled);
    expect(called).toBe(false);
  });

  it('passes frozen metadata, kind, name and hook to the plugin', async () => {
    let seen: HookCall | undefined;
    const engine = engineWith([
      candidate(
        'p',
        KIND,
        {
          complete: (_input, call) => {
            seen = call;
            return 'ok';
          },
        },
        { mode },
      ),
    ]);
    const metadata = { tenant_id: 'acme', actor: { id: 'u1', roles: ['admin'] } };
    await engine.call(KIND, 'complete', {}, { metadata });
    expect(seen?.metadata).toEqual(metadata);
    expect(seen?.metadata).not.toBe(metadata);
    expect(Object.isFrozen(seen?.metadata)).toBe(true);
    expect(Object.isFrozen((seen?.metadata as { actor?: object } | undefined)?.actor)).toBe(true);
    expect(Object.isFrozen(metadata)).toBe(false);
    expect([seen?.kind, seen?.name, seen?.hook]).toEqual([KIND, 'p', 'complete']);
    expect(seen?.signal.aborted).toBe(false);
  });

  it('uses DAGSTACK_ACTIVE_<KIND> over priority', async () => {
    const engine = engineWith([answer('high', 90), answer('chosen', 1)], {
      env: { DAGSTACK_ACTIVE_LLM: 'chosen' },
    });
    expect(await engine.call(KIND, 'complete', {})).toBe('chosen');
  });

  it('upper-cases the kind and maps other characters to _ for the variable', async () => {
    const kind = 'vector-store_v2';
    const engine = new DispatchEngine({ env: { DAGSTACK_ACTIVE_VECTOR_STORE_V2: 'b' } });
    engine.registerKind(kindSpec(kind, { search: {} }));
    engine.setCandidates(kind, [
      candidate('a', kind, { search: () => 'a' }, { mode, manifest: { priority: 9 } }),
      candidate('b', kind, { search: () => 'b' }, { mode }),
    ]);
    expect(await engine.call(kind, 'search', {})).toBe('b');
  });

  it('ignores DAGSTACK_ACTIVE_<KIND> naming an unknown plugin (and logs it)', async () => {
    const warnings: string[] = [];
    const engine = engineWith([answer('high', 90), answer('low', 1)], {
      env: { DAGSTACK_ACTIVE_LLM: 'gone' },
      logger: {
        debug() {},
        info() {},
        warn: (m) => warnings.push(m),
        error() {},
      },
    });
    expect(await engine.call(KIND, 'complete', {})).toBe('high');
    expect(warnings.join('\n')).toContain('DAGSTACK_ACTIVE_LLM=gone');
  });

  it('lets the routing policy win over DAGSTACK_ACTIVE_<KIND> and priority', async () => {
    const seen: string[][] = [];
    const engine = engineWith([answer('high', 90), answer('env', 5), answer('tenant', 1)], {
      env: { DAGSTACK_ACTIVE_LLM: 'env' },
      routingPolicy: (_kind, _hook, candidates, call) => {
        seen.push(candidates.map((c) => c.name));
        return call.metadata.tenant_id === 'acme' ? 'tenant' : undefined;
      },
    });
    expect(await engine.call(KIND, 'complete', {}, { metadata: { tenant_id: 'acme' } })).toBe(
      'tenant',
    );
    // The policy passes: the env override applies.
    expect(await engine.call(KIND, 'complete', {}, { metadata: { tenant_id: 'other' } })).toBe(
      'env',
    );
    expect(seen[0]).toEqual(['high', 'env', 'tenant']);
  });

  it('rejects a routing policy naming a plugin that is not a candidate', async () => {
    const engine = engineWith([answer('a', 1)], { routingPolicy: () => 'ghost' });
    await expect(engine.call(KIND, 'complete', {})).rejects.toSatisfy(isPluginUnavailable);
  });

  it('calls only the explicit target, even when it returns nothing', async () => {
    const engine = engineWith([
      answer('high', 90),
      candidate('quiet', KIND, { complete: () => null }, { mode }),
    ]);
    expect(await engine.call(KIND, 'complete', {}, { target: 'high' })).toBe('high');
    await expect(engine.call(KIND, 'complete', {}, { target: 'quiet' })).rejects.toSatisfy(
      isKindUnknown,
    );
    await expect(engine.call(KIND, 'complete', {}, { target: 'ghost' })).rejects.toSatisfy(
      isPluginUnavailable,
    );
  });

  it('narrows candidates with the governance filter', async () => {
    const engine = engineWith([answer('public', 90), answer('pii-safe', 1)], {
      governanceFilter: (_kind, _hook, candidates, call) =>
        call.metadata.tenant_id === 'bank'
          ? candidates.filter((c) => c.name === 'pii-safe')
          : candidates,
    });
    expect(await engine.call(KIND, 'complete', {})).toBe('public');
    expect(await engine.call(KIND, 'complete', {}, { metadata: { tenant_id: 'bank' } })).toBe(
      'pii-safe',
    );
    await expect(
      engine.call(KIND, 'complete', {}, { metadata: { tenant_id: 'bank' }, target: 'public' }),
    ).rejects.toSatisfy(isPluginUnavailable);
  });

  it('reports KindUnknown when the governance filter allows nothing', async () => {
    const engine = engineWith([answer('a', 1)], { governanceFilter: () => [] });
    const error = await engine.call(KIND, 'complete', {}).catch((e) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect((error as { hint?: string }).hint).toContain('governance filter');
  });
});
