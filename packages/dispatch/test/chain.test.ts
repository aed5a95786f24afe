import type { HookCall } from '@dagstack/plugin-api';
import {
  isHookCancelled,
  isHookTimeout,
  isKindUnknown,
  isPluginInvocationError,
  isSerializationError,
  type PluginInvocationError,
  type SerializationError,
  STOP_CHAIN,
  stopChain,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
} from '../src/index.js';
import { candidate, type HandleMode, kindSpec, MODES, never, recordingLogger } from './helpers.js';

const KIND = 'query_rewriter';

function engineWith(
  candidates: DispatchCandidate[],
  options: DispatchEngineOptions = {},
): DispatchEngine {
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(kindSpec(KIND, { rewrite: { dispatch: 'chain' } }));
  engine.setCandidates(KIND, candidates);
  return engine;
}

describe.each(MODES)('chain (%s handle)', (mode: HandleMode) => {
  const append = (name: string, manifest: Record<string, unknown> = {}): DispatchCandidate =>
    candidate(name, KIND, { rewrite: (input) => `${String(input)}>${name}` }, { mode, manifest });

  it('feeds each output to the next plugin in dispatch order', async () => {
    const engine = engineWith([
      append('cleanup', { trylast: true, priority: 90 }),
      append('normalizer', { priority: 50 }),
      append('b-syn', { priority: 10 }),
      append('a-syn', { priority: 10 }),
      append('guard', { tryfirst: true }),
    ]);
    expect(await engine.call(KIND, 'rewrite', 'q')).toBe('q>guard>normalizer>a-syn>b-syn>cleanup');
  });

  it('runs one stage at a time', async () => {
    let running = 0;
    let max = 0;
    const stage = (name: string) =>
      candidate(
        name,
        KIND,
        {
          rewrite: async (input) => {
            running++;
            max = Math.max(max, running);
            await new Promise((r) => setTimeout(r, 3));
            running--;
            return `${String(input)}${name}`;
          },
        },
        { mode },
      );
    const engine = engineWith([stage('a'), stage('b'), stage('c')]);
    expect(await engine.call(KIND, 'rewrite', '')).toBe('abc');
    expect(max).toBe(1);
  });

  it('rejects with KindUnknown when no plugin implements the hook', async () => {
    await expect(engineWith([]).call(KIND, 'rewrite', 'q')).rejects.toSatisfy(isKindUnknown);
  });

  it('STOP_CHAIN ends the chain with the input the stopping plugin received', async () => {
    const logger = recordingLogger();
    const calls: string[] = [];
    const engine = engineWith(
      [
        append('first', { priority: 3 }),
        candidate(
          'blacklist',
          KIND,
          {
            rewrite: (input) => {
              calls.push(String(input));
              return STOP_CHAIN;
            },
          },
          { mode, manifest: { priority: 2 } },
        ),
        candidate(
          'never',
          KIND,
          {
            rewrite: () => {
              calls.push('never');
              return 'x';
            },
          },
          { mode, manifest: { priority: 1 } },
        ),
      ],
      { logger },
    );
    expect(await engine.call(KIND, 'rewrite', 'q')).toBe('q>first');
    expect(calls).toEqual(['q>first']);
    expect(logger.records.map((r) => r.message)).toContain('chain stopped by blacklist');
  });

  it('stopChain(value) ends the chain with that value', async () => {
    const engine = engineWith([
      candidate('cache', KIND, { rewrite: () => stopChain({ cached: true }) }, { mode }),
      append('never'),
    ]);
    expect(await engine.call(KIND, 'rewrite', 'q')).toEqual({ cached: true });
  });

  it('passes the input on when a stage returns undefined', async () => {
    const engine = engineWith([
      candidate(
        'observer',
        KIND,
        { rewrite: () => undefined },
        { mode, manifest: { priority: 9 } },
      ),
      append('next'),
    ]);
    expect(await engine.call(KIND, 'rewrite', 'q')).toBe('q>next');
  });

  it('aborts on a throw, naming the plugin; later stages do not run', async () => {
    let reached = false;
    const engine = engineWith([
      candidate(
        'blacklist',
        KIND,
        {
          rewrite: () => {
            throw new Error('Query blocked by blacklist');
          },
        },
        { mode, manifest: { priority: 9 } },
      ),
      candidate(
        'after',
        KIND,
        {
          rewrite: () => {
            reached = true;
            return 'x';
          },
        },
        { mode },
      ),
    ]);
    const error = await engine.call(KIND, 'rewrite', 'q').catch((e) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as PluginInvocationError).plugin).toBe('blacklist');
    expect((error as Error).message).toContain('Query blocked by blacklist');
    expect(reached).toBe(false);
  });

  it('times out on a stage that never returns, naming it', async () => {
    const engine = engineWith([
      append('fast', { priority: 2 }),
      candidate('stuck', KIND, { rewrite: () => never() }, { mode }),
    ]);
    const error = await engine.call(KIND, 'rewrite', 'q', { timeoutMs: 40 }).catch((e) => e);
    expect(isHookTimeout(error)).toBe(true);
    expect((error as { plugin?: string }).plugin).toBe('stuck');
  });

  it('is cancelled by the caller signal', async () => {
    const engine = engineWith([candidate('stuck', KIND, { rewrite: () => never() }, { mode })]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await expect(
      engine.call(KIND, 'rewrite', 'q', { signal: controller.signal }),
    ).rejects.toSatisfy(isHookCancelled);
  });

  it('gives every stage the frozen metadata', async () => {
    const tenants: unknown[] = [];
    const stage = (name: string) =>
      candidate(
        name,
        KIND,
        {
          rewrite: (input, call: HookCall) => {
            tenants.push(call.metadata.tenant_id);
            expect(Object.isFrozen(call.metadata)).toBe(true);
            return input;
          },
        },
        { mode },
      );
    const engine = engineWith([stage('a'), stage('b')]);
    await engine.call(KIND, 'rewrite', 'q', { metadata: { tenant_id: 'acme-corp' } });
    expect(tenants).toEqual(['acme-corp', 'acme-corp']);
  });

  it('checks JSON boundaries when asked, naming the stage and the path', async () => {
    const engine = engineWith(
      [
        append('ok', { priority: 2 }),
        candidate(
          'dates',
          KIND,
          { rewrite: () => ({ text: 'q', meta: { at: new Date(0) } }) },
          { mode, manifest: { priority: 1 } },
        ),
      ],
      { checkJsonBoundaries: true },
    );
    const error = await engine.call(KIND, 'rewrite', 'q').catch((e) => e);
    expect(isSerializationError(error)).toBe(true);
    expect((error as SerializationError).plugin).toBe('dates');
    expect((error as SerializationError).pointer).toBe('/meta/at');
    // Off by default: the same chain passes.
    const lenient = engineWith([
      candidate('dates', KIND, { rewrite: () => ({ at: new Date(0) }) }, { mode }),
    ]);
    await expect(lenient.call(KIND, 'rewrite', 'q')).resolves.toEqual({ at: new Date(0) });
  });

  it('narrows stages with the governance filter', async () => {
    const engine = engineWith([append('a', { priority: 2 }), append('b')], {
      governanceFilter: (_k, _h, candidates) => candidates.filter((c) => c.name !== 'a'),
    });
    expect(await engine.call(KIND, 'rewrite', 'q')).toBe('q>b');
  });
});
