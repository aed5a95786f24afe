import type { HookCall } from '@dagstack/plugin-api';
import {
  BroadcastErrors,
  isHookCancelled,
  isHookTimeout,
  isPluginInvocationError,
  type PluginInvocationError,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  type BestEffortResult,
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
} from '../src/index.js';
import {
  Concurrency,
  candidate,
  type HandleMode,
  kindSpec,
  MODES,
  never,
  pluginsOf,
} from './helpers.js';

const KIND = 'tool_provider';

function engineWith(
  candidates: DispatchCandidate[],
  options: DispatchEngineOptions = {},
  errorPolicy: 'fail_fast' | 'best_effort' = 'fail_fast',
): DispatchEngine {
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(
    kindSpec(KIND, { list_tools: { dispatch: 'broadcast_collect', error_policy: errorPolicy } }),
  );
  engine.setCandidates(KIND, candidates);
  return engine;
}

describe.each(MODES)('broadcast_collect (%s handle)', (mode: HandleMode) => {
  const tools = (
    name: string,
    manifest: Record<string, unknown> = {},
    concurrency?: Concurrency,
  ): DispatchCandidate =>
    candidate(
      name,
      KIND,
      { list_tools: () => [`${name}.tool`] },
      { mode, manifest, ...(concurrency === undefined ? {} : { concurrency }) },
    );

  it('returns every result with its plugin, in dispatch order', async () => {
    const concurrency = new Concurrency();
    const engine = engineWith([
      tools('web', { priority: 40 }, concurrency),
      tools('zz-last', { trylast: true, priority: 100 }, concurrency),
      tools('fs', { priority: 50 }, concurrency),
      tools('b-tie', { priority: 10 }, concurrency),
      tools('a-tie', { priority: 10 }, concurrency),
      tools('aa-first', { tryfirst: true }, concurrency),
    ]);
    for (let round = 0; round < 5; round++) {
      const result = await engine.call(KIND, 'list_tools', null);
      expect(pluginsOf(result)).toEqual(['aa-first', 'fs', 'web', 'a-tie', 'b-tie', 'zz-last']);
      expect((result as { value: unknown }[])[1]?.value).toEqual(['fs.tool']);
    }
    if (mode === 'slow') expect(concurrency.max).toBeGreaterThan(1);
  });

  it('calls the plugins in parallel', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const waiting = (name: string): DispatchCandidate =>
      candidate(
        name,
        KIND,
        {
          list_tools: async () => {
            started.push(name);
            await gate;
            return name;
          },
        },
        { mode },
      );
    const engine = engineWith([waiting('a'), waiting('b'), waiting('c')]);
    const pending = engine.call(KIND, 'list_tools', null);
    // All three start before any of them can finish.
    await new Promise((r) => setTimeout(r, 30));
    expect(started.sort()).toEqual(['a', 'b', 'c']);
    release();
    expect(pluginsOf(await pending)).toEqual(['a', 'b', 'c']);
  });

  it('returns an empty list when there are no candidates', async () => {
    expect(await engineWith([]).call(KIND, 'list_tools', null)).toEqual([]);
    expect(await engineWith([], {}, 'best_effort').call(KIND, 'list_tools', null)).toEqual({
      results: [],
      errors: undefined,
    });
  });

  it('fail_fast: rejects with the failing plugin named and reports it', async () => {
    const failures: [string, unknown, string][] = [];
    const boom = new Error('disk gone');
    let sawAbort = false;
    const engine = engineWith(
      [
        tools('fs', { priority: 50 }),
        candidate(
          'broken',
          KIND,
          {
            list_tools: () => {
              throw boom;
            },
          },
          { mode, manifest: { priority: 40 } },
        ),
        candidate(
          'slow',
          KIND,
          {
            list_tools: (_input: unknown, call: HookCall) =>
              new Promise((resolve) => {
                const stop = (): void => {
                  sawAbort = true;
                  resolve('aborted');
                };
                if (call.signal.aborted) stop();
                else call.signal.addEventListener('abort', stop);
              }),
          },
          { mode, manifest: { priority: 1 } },
        ),
      ],
      { onPluginFailure: (c, error, hook) => failures.push([c.name, error, hook]) },
    );
    const error = await engine.call(KIND, 'list_tools', null).catch((e) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as PluginInvocationError).plugin).toBe('broken');
    expect((error as Error).cause).toBe(boom);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.[0]).toBe('broken');
    expect(failures[0]?.[1]).toBe(error);
    expect(failures[0]?.[2]).toBe('list_tools');
    // The others are told to stop.
    await new Promise((r) => setTimeout(r, 20));
    expect(sawAbort).toBe(true);
  });

  it('best_effort: returns the successes and the failures, reporting each failure', async () => {
    const failures: string[] = [];
    const boom = new Error('rate limited');
    const engine = engineWith(
      [
        tools('fs', { priority: 50 }),
        candidate(
          'web',
          KIND,
          {
            list_tools: async () => {
              throw boom;
            },
          },
          { mode, manifest: { priority: 40 } },
        ),
        tools('git', { priority: 30 }),
      ],
      { onPluginFailure: (c) => failures.push(c.name) },
      'best_effort',
    );
    const result = (await engine.call(KIND, 'list_tools', null)) as BestEffortResult;
    expect(pluginsOf(result.results)).toEqual(['fs', 'git']);
    expect(result.errors).toBeInstanceOf(BroadcastErrors);
    expect(result.errors?.errors).toEqual([{ plugin: 'web', error: boom }]);
    expect(result.errors?.hook).toBe('list_tools');
    expect(failures).toEqual(['web']);
  });

  it('times out as a whole when one plugin never answers', async () => {
    const engine = engineWith([
      tools('fs'),
      candidate('hang', KIND, { list_tools: () => never() }, { mode }),
    ]);
    await expect(engine.call(KIND, 'list_tools', null, { timeoutMs: 40 })).rejects.toSatisfy(
      isHookTimeout,
    );
  });

  it('is cancelled by the caller signal', async () => {
    const engine = engineWith([candidate('hang', KIND, { list_tools: () => never() }, { mode })]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 15);
    await expect(
      engine.call(KIND, 'list_tools', null, { signal: controller.signal }),
    ).rejects.toSatisfy(isHookCancelled);
  });

  it('gives every plugin the same frozen metadata', async () => {
    const seen: unknown[] = [];
    const spy = (name: string) =>
      candidate(
        name,
        KIND,
        {
          list_tools: (_input: unknown, call: HookCall) => {
            seen.push(call.metadata);
            return name;
          },
        },
        { mode },
      );
    const engine = engineWith([spy('a'), spy('b')]);
    await engine.call(KIND, 'list_tools', null, { metadata: { request_id: 'r-1' } });
    expect(seen).toEqual([{ request_id: 'r-1' }, { request_id: 'r-1' }]);
    expect(seen.every((m) => Object.isFrozen(m))).toBe(true);
  });

  it('narrows with the governance filter, keeping dispatch order', async () => {
    const engine = engineWith(
      [tools('a', { priority: 3 }), tools('b', { priority: 2 }), tools('c')],
      {
        // Returned in reverse and with a stranger: order and membership come from the engine.
        governanceFilter: (_k, _h, candidates) => [
          ...candidates.filter((c) => c.name !== 'b').reverse(),
          tools('intruder'),
        ],
      },
    );
    expect(pluginsOf(await engine.call(KIND, 'list_tools', null))).toEqual(['a', 'c']);
  });

  it('narrows to one plugin with target', async () => {
    const engine = engineWith([tools('a'), tools('b')]);
    expect(pluginsOf(await engine.call(KIND, 'list_tools', null, { target: 'b' }))).toEqual(['b']);
  });
});
