// The specialised callers of the hot path (src/hot-path.ts): calls without per-call
// options on an engine without middleware, validation, routing policy or governance
// filter. Handles here return what the plugin returns, as is: a plain value, a native
// promise, a non-native thenable, or a synchronous throw, so every branch is taken.
import type { HookCall, HookSpec } from '@dagstack/plugin-api';
import {
  isKindUnknown,
  isPluginInvocationError,
  PluginRegistryError,
  STOP_CHAIN,
  stopChain,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  BroadcastCollectDispatcher,
  type CollectEntry,
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
  type Middleware,
} from '../src/index.js';
import {
  candidate,
  deferred,
  type Fn,
  kindSpec,
  pluginsOf,
  raw,
  recordingLogger,
  SHAPES,
} from './helpers.js';

function engineWith(
  kind: string,
  hooks: Record<string, Partial<HookSpec>>,
  candidates: DispatchCandidate[],
  options: DispatchEngineOptions = {},
): DispatchEngine {
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(kindSpec(kind, hooks));
  engine.setCandidates(kind, candidates);
  return engine;
}

const boom = (message = 'boom'): never => {
  throw new Error(message);
};

describe.each(SHAPES)('hot path, singleton (%s result)', (shape) => {
  const single = (fn: Fn, fields: Record<string, unknown> = {}) =>
    engineWith('llm', { complete: {} }, [raw('openai', 'llm', { complete: fn }, shape, fields)]);

  it('returns the plugin result', async () => {
    expect(await single((input) => ({ echo: input })).call('llm', 'complete', 1)).toEqual({
      echo: 1,
    });
  });

  it('treats null and undefined as no result', async () => {
    for (const empty of [null, undefined]) {
      const error = await single(() => empty)
        .call('llm', 'complete', 1)
        .catch((e: unknown) => e);
      expect(isKindUnknown(error)).toBe(true);
      expect((error as Error).message).toContain('"openai"');
    }
  });

  it('keeps falsy results that are not null or undefined', async () => {
    for (const value of [0, '', false]) {
      expect(await single(() => value).call('llm', 'complete', 1)).toBe(value);
    }
  });

  it('wraps a thrown error with the plugin name', async () => {
    const error = await single(() => boom('bad key'))
      .call('llm', 'complete', 1)
      .catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'openai', kind: 'llm', hook: 'complete' });
    expect((error as Error).message).toContain('bad key');
  });

  it('passes registry errors through unwrapped', async () => {
    const own = new PluginRegistryError('own');
    const error = await single(() => {
      throw own;
    })
      .call('llm', 'complete', 1)
      .catch((e: unknown) => e);
    expect(error).toBe(own);
  });

  it('rejects instead of throwing when the plugin throws synchronously', () => {
    const engine = single(() => boom());
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = engine.call('llm', 'complete', 1);
    }).not.toThrow();
    return expect(pending).rejects.toSatisfy(isPluginInvocationError);
  });

  it('gives every call a fresh HookCall with empty frozen metadata and a lazy, live signal', async () => {
    const calls: HookCall[] = [];
    const engine = single((_input, call) => {
      calls.push(call);
      return 'ok';
    });
    await engine.call('llm', 'complete', 1);
    await engine.call('llm', 'complete', 2, {});
    expect(calls).toHaveLength(2);
    const [a, b] = calls as [HookCall, HookCall];
    expect(a).not.toBe(b);
    expect({ kind: a.kind, name: a.name, hook: a.hook }).toEqual({
      kind: 'llm',
      name: 'openai',
      hook: 'complete',
    });
    expect(a.metadata).toEqual({});
    expect(Object.isFrozen(a.metadata)).toBe(true);
    expect(a.signal).toBeInstanceOf(AbortSignal);
    expect(a.signal).toBe(a.signal);
    expect(a.signal.aborted).toBe(false);
    expect(a.signal).not.toBe(b.signal);
    expect(JSON.parse(JSON.stringify(a))).toEqual({
      kind: 'llm',
      name: 'openai',
      hook: 'complete',
      metadata: {},
    });
  });

  it('calls only the plugin DAGSTACK_ACTIVE_<KIND> names', async () => {
    const seen: string[] = [];
    const plugin = (name: string, value: unknown) =>
      raw(
        name,
        'llm',
        {
          complete: () => {
            seen.push(name);
            return value;
          },
        },
        shape,
        { priority: name === 'high' ? 90 : 10 },
      );
    const engine = new DispatchEngine({ env: { DAGSTACK_ACTIVE_LLM: 'low' } });
    engine.registerKind(kindSpec('llm', { complete: {} }));
    engine.setCandidates('llm', [plugin('high', 'H'), plugin('low', null)]);
    const error = await engine.call('llm', 'complete', 1).catch((e: unknown) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect(seen).toEqual(['low']);
  });
});

describe.each(SHAPES)('hot path, singleton with middleware (%s result)', (shape) => {
  type Trail = string[];
  const wrapped = (fn: Fn, middleware: Middleware[]) => {
    const engine = engineWith('llm', { complete: {} }, [
      raw('openai', 'llm', { complete: fn }, shape),
    ]);
    engine.setMiddleware(middleware);
    return engine;
  };
  const tracer = (name: string, priority: number, trail: Trail, async = false): Middleware => ({
    name,
    priority,
    kinds: ['*'],
    hooks: ['*'],
    before: (call, args) => {
      trail.push(`${name}.before(${call.kind}.${call.name}.${call.hook})`);
      const next = `${String(args)}>${name}`;
      return async ? Promise.resolve(next) : next;
    },
    after: (call, result) => {
      trail.push(`${name}.after(${call.name})`);
      const next = `${String(result)}<${name}`;
      return async ? Promise.resolve(next) : next;
    },
  });

  it('runs before in priority order, after in reverse, sync and async alike', async () => {
    for (const async of [false, true]) {
      const trail: Trail = [];
      const engine = wrapped(
        (input) => {
          trail.push(`plugin(${String(input)})`);
          return `r(${String(input)})`;
        },
        [tracer('low', 1000, trail, async), tracer('high', 2000, trail, !async)],
      );
      expect(await engine.call('llm', 'complete', 'x')).toBe('r(x>high>low)<low<high');
      expect(trail).toEqual([
        'high.before(llm.openai.complete)',
        'low.before(llm.openai.complete)',
        'plugin(x>high>low)',
        'low.after(openai)',
        'high.after(openai)',
      ]);
    }
  });

  it('wraps plugin errors and skips after; passes what a middleware throws as it is', async () => {
    const trail: Trail = [];
    const failing = wrapped(() => boom('plugin broke'), [tracer('audit', 1000, trail)]);
    const error = await failing.call('llm', 'complete', 1).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'openai' });
    expect(trail).toEqual(['audit.before(llm.openai.complete)']);

    const refusal = new Error('denied by governance');
    let called = false;
    const refused = wrapped(() => {
      called = true;
      return 'never';
    }, [
      {
        name: 'gov',
        priority: 1000,
        kinds: ['*'],
        hooks: ['*'],
        before: () => Promise.reject(refusal),
      },
    ]);
    expect(await refused.call('llm', 'complete', 1).catch((e: unknown) => e)).toBe(refusal);
    expect(called).toBe(false);

    const afterError = new Error('after broke');
    const broken = wrapped(
      () => 'fine',
      [
        {
          name: 'post',
          priority: 1000,
          kinds: ['*'],
          hooks: ['*'],
          after: () => {
            throw afterError;
          },
        },
      ],
    );
    expect(await broken.call('llm', 'complete', 1).catch((e: unknown) => e)).toBe(afterError);
  });

  it('an empty result is KindUnknown, and after does not run', async () => {
    const trail: Trail = [];
    const engine = wrapped(() => null, [tracer('audit', 1000, trail)]);
    const error = await engine.call('llm', 'complete', 1).catch((e: unknown) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect(trail).toEqual(['audit.before(llm.openai.complete)']);
  });

  it('a before that throws synchronously rejects; the call does not throw', () => {
    const engine = wrapped(
      () => 'fine',
      [
        {
          name: 'gov',
          priority: 1000,
          kinds: ['*'],
          hooks: ['*'],
          before: () => {
            throw new Error('sync refusal');
          },
        },
      ],
    );
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = engine.call('llm', 'complete', 1);
    }).not.toThrow();
    return expect(pending).rejects.toThrow('sync refusal');
  });
});

describe.each(SHAPES)('hot path, chain and collect with middleware (%s results)', (shape) => {
  const audit = (trail: string[]): Middleware => ({
    name: 'audit',
    priority: 1000,
    kinds: ['*'],
    hooks: ['*'],
    before: (call, args) => {
      trail.push(`before(${call.name})`);
      return Promise.resolve(`${String(args)}+b`);
    },
    after: (call, result) => {
      trail.push(`after(${call.name})`);
      return { wrapped: result };
    },
  });

  it('wraps a whole chain once, the call named "*"', async () => {
    const trail: string[] = [];
    const engine = engineWith(
      'rewriter',
      { rewrite: { dispatch: 'chain' } },
      ['a', 'b'].map((n, i) =>
        raw(n, 'rewriter', { rewrite: (v) => `${String(v)}>${n}` }, shape, { priority: 9 - i }),
      ),
    );
    engine.setMiddleware([audit(trail)]);
    expect(await engine.call('rewriter', 'rewrite', 'x')).toEqual({ wrapped: 'x+b>a>b' });
    expect(trail).toEqual(['before(*)', 'after(*)']);
  });

  it('wraps a fail-fast collect once; a plugin failure skips after and names the plugin', async () => {
    const trail: string[] = [];
    const engine = engineWith('tool_provider', { list: { dispatch: 'broadcast_collect' } }, [
      raw('p0', 'tool_provider', { list: (x) => `${String(x)}0` }, shape, { priority: 2 }),
      raw('p1', 'tool_provider', { list: (x) => `${String(x)}1` }, shape, { priority: 1 }),
    ]);
    engine.setMiddleware([audit(trail)]);
    expect(await engine.call('tool_provider', 'list', 'x')).toEqual({
      wrapped: [
        { plugin: 'p0', value: 'x+b0' },
        { plugin: 'p1', value: 'x+b1' },
      ],
    });
    expect(trail).toEqual(['before(*)', 'after(*)']);

    const failing = engineWith('tool_provider', { list: { dispatch: 'broadcast_collect' } }, [
      raw('bad', 'tool_provider', { list: () => boom('no list') }, shape),
    ]);
    const failTrail: string[] = [];
    failing.setMiddleware([audit(failTrail)]);
    const error = await failing.call('tool_provider', 'list', 'x').catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'bad' });
    expect(failTrail).toEqual(['before(*)']);
  });
});

describe.each(SHAPES)('hot path, singleton firstresult over several (%s result)', (shape) => {
  const warnings: { message: string; fields: unknown }[] = [];
  const logger = {
    debug() {},
    info() {},
    warn: (message: string, fields?: unknown) => warnings.push({ message, fields }),
    error() {},
  };
  const plugins = (results: Record<string, Fn>) => {
    warnings.length = 0;
    return engineWith(
      'llm',
      { complete: {} },
      Object.entries(results).map(([name, fn], i) =>
        raw(name, 'llm', { complete: fn }, shape, { priority: 90 - i * 10 }),
      ),
      { logger },
    );
  };

  it('goes on after an empty result to the first non-empty one', async () => {
    const seen: string[] = [];
    const at = (name: string, value: unknown) => () => {
      seen.push(name);
      return value;
    };
    const engine = plugins({
      a: at('a', null),
      b: at('b', undefined),
      c: at('c', 'C'),
      d: at('d', 'D'),
    });
    expect(await engine.call('llm', 'complete', 1)).toBe('C');
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('stops at the first plugin with a result', async () => {
    const engine = plugins({ a: () => 'A', b: () => boom() });
    expect(await engine.call('llm', 'complete', 1)).toBe('A');
  });

  it('names the plugin that threw after an empty result', async () => {
    const engine = plugins({ a: () => null, b: () => boom() });
    const error = await engine.call('llm', 'complete', 1).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'b' });
  });

  it('skips a plugin that throws and returns the next result, logging the skip (ADR-0002 §1)', async () => {
    const engine = plugins({ a: () => boom('a broke'), b: () => 'B' });
    expect(await engine.call('llm', 'complete', 1)).toBe('B');
    expect(warnings).toEqual([
      {
        message: expect.stringContaining('trying the next one'),
        fields: expect.objectContaining({
          plugin: 'a',
          hook: 'complete',
          error: expect.stringContaining('a broke'),
        }),
      },
    ]);
  });

  it('throws the first error when no plugin gives a result', async () => {
    const both = plugins({ a: () => boom('first'), b: () => boom('second') });
    const error = await both.call('llm', 'complete', 1).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'a', message: expect.stringContaining('first') });
    const thenEmpty = plugins({ a: () => boom('only error'), b: () => null });
    const second = await thenEmpty.call('llm', 'complete', 1).catch((e: unknown) => e);
    expect(second).toMatchObject({ plugin: 'a' });
  });

  it('reports every tried plugin when none has a result', async () => {
    const engine = plugins({ a: () => null, b: () => undefined });
    const error = await engine.call('llm', 'complete', 1).catch((e: unknown) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect((error as Error).message).toContain('"a", "b"');
  });
});

describe.each(SHAPES)('hot path, chain (%s results)', (shape) => {
  const chain = (stages: Fn[], options: DispatchEngineOptions = {}) =>
    engineWith(
      'rewriter',
      { rewrite: { dispatch: 'chain' } },
      stages.map((fn, i) => raw(`s${i}`, 'rewriter', { rewrite: fn }, shape, { priority: 90 - i })),
      options,
    );
  const add =
    (suffix: string): Fn =>
    (input) =>
      `${String(input)}>${suffix}`;

  it('threads the value through every stage in order', async () => {
    expect(await chain([add('a'), add('b'), add('c')]).call('rewriter', 'rewrite', 'q')).toBe(
      'q>a>b>c',
    );
  });

  it('keeps the value when a stage returns undefined', async () => {
    expect(
      await chain([add('a'), () => undefined, add('c')]).call('rewriter', 'rewrite', 'q'),
    ).toBe('q>a>c');
  });

  it('stops on STOP_CHAIN with the input the stopping stage got', async () => {
    const seen: string[] = [];
    const logger = recordingLogger();
    const engine = chain(
      [
        add('a'),
        () => STOP_CHAIN,
        () => {
          seen.push('after');
          return 'no';
        },
      ],
      { logger },
    );
    expect(await engine.call('rewriter', 'rewrite', 'q')).toBe('q>a');
    expect(seen).toEqual([]);
    expect(logger.records).toEqual([
      expect.objectContaining({ level: 'debug', message: 'chain stopped by s1' }),
    ]);
  });

  it('stops with the value of { [STOP_CHAIN]: value }', async () => {
    const engine = chain([add('a'), () => stopChain('final'), () => boom()]);
    expect(await engine.call('rewriter', 'rewrite', 'q')).toBe('final');
  });

  it('wraps a stage error with the stage name', async () => {
    const engine = chain([add('a'), () => boom('stage failed'), add('c')]);
    const error = await engine.call('rewriter', 'rewrite', 'q').catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 's1', hook: 'rewrite' });
    expect((error as Error).message).toContain('stage failed');
  });

  it('gives every stage its own HookCall', async () => {
    const calls: HookCall[] = [];
    const record: Fn = (input, call) => {
      calls.push(call);
      return input;
    };
    await chain([record, record, record]).call('rewriter', 'rewrite', 'q');
    expect(calls.map((c) => c.name)).toEqual(['s0', 's1', 's2']);
    expect(new Set(calls).size).toBe(3);
    expect(calls.every((c) => c.signal.aborted === false)).toBe(true);
  });

  it('rejects, not hangs, when the logger throws on a stop', async () => {
    const logger = {
      ...recordingLogger(),
      debug: () => {
        throw new Error('logger broke');
      },
    };
    const engine = chain([add('a'), () => STOP_CHAIN], { logger });
    await expect(engine.call('rewriter', 'rewrite', 'q')).rejects.toThrow('logger broke');
  });
});

describe('hot path, chain over mixed handles', () => {
  it('runs synchronous and asynchronous stages in order', async () => {
    const stages = [
      raw('a', 'rewriter', { rewrite: (i) => `${String(i)}a` }, 'sync', { priority: 5 }),
      candidate(
        'b',
        'rewriter',
        { rewrite: (i) => `${String(i)}b` },
        { manifest: { priority: 4 } },
      ),
      raw('c', 'rewriter', { rewrite: (i) => `${String(i)}c` }, 'thenable', { priority: 3 }),
      raw('d', 'rewriter', { rewrite: (i) => `${String(i)}d` }, 'sync', { priority: 2 }),
      candidate(
        'e',
        'rewriter',
        { rewrite: (i) => `${String(i)}e` },
        { mode: 'slow', manifest: { priority: 1 } },
      ),
    ];
    const engine = engineWith('rewriter', { rewrite: { dispatch: 'chain' } }, stages);
    expect(await engine.call('rewriter', 'rewrite', '')).toBe('abcde');
  });

  it('runs a long synchronous chain without growing the stack', async () => {
    const stages = Array.from({ length: 5000 }, (_, i) =>
      raw(
        `s${String(i).padStart(4, '0')}`,
        'rewriter',
        { rewrite: (n) => (n as number) + 1 },
        'sync',
      ),
    );
    const engine = engineWith('rewriter', { rewrite: { dispatch: 'chain' } }, stages);
    expect(await engine.call('rewriter', 'rewrite', 0)).toBe(5000);
  });
});

describe.each(SHAPES)('hot path, broadcast_collect (%s results)', (shape) => {
  const collect = (fns: Fn[], options: DispatchEngineOptions = {}) =>
    engineWith(
      'tool_provider',
      { list: { dispatch: 'broadcast_collect' } },
      fns.map((fn, i) => raw(`p${i}`, 'tool_provider', { list: fn }, shape, { priority: 90 - i })),
      options,
    );

  it('returns every value in dispatch order with the plugin names', async () => {
    const entries = (await collect([() => 'a', () => null, () => 0]).call(
      'tool_provider',
      'list',
      1,
    )) as CollectEntry[];
    expect(entries).toEqual([
      { plugin: 'p0', value: 'a' },
      { plugin: 'p1', value: null },
      { plugin: 'p2', value: 0 },
    ]);
  });

  it('starts every plugin, fails with the first error, reports it once and aborts the others', async () => {
    const failures: string[] = [];
    const started: string[] = [];
    const signals: AbortSignal[] = [];
    const engine = collect(
      [
        (_i, call) => {
          started.push('p0');
          signals.push(call.signal);
          return 'a';
        },
        () => {
          started.push('p1');
          return boom('p1 failed');
        },
        (_i, call) => {
          started.push('p2');
          signals.push(call.signal);
          return 'c';
        },
      ],
      { onPluginFailure: (c) => failures.push(c.name) },
    );
    const error = await engine.call('tool_provider', 'list', 1).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'p1' });
    expect((error as Error).message).toContain('p1 failed');
    expect(started).toEqual(['p0', 'p1', 'p2']);
    expect(failures).toEqual(['p1']);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(signals[0]?.reason).toBe(error);
  });
});

describe('hot path, broadcast_collect edge cases', () => {
  it('returns an empty array when no plugin implements the hook', async () => {
    const engine = engineWith('tool_provider', { list: { dispatch: 'broadcast_collect' } }, []);
    const first = await engine.call('tool_provider', 'list', 1);
    const second = await engine.call('tool_provider', 'list', 1);
    expect(first).toEqual([]);
    expect(first).not.toBe(second);
  });

  it('keeps dispatch order when plugins finish in reverse', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const engine = engineWith(
      'tool_provider',
      { list: { dispatch: 'broadcast_collect' } },
      gates.map((gate, i) =>
        candidate(
          `p${i}`,
          'tool_provider',
          { list: () => gate.promise },
          { manifest: { priority: 9 - i } },
        ),
      ),
    );
    const pending = engine.call('tool_provider', 'list', 1);
    for (const [i, gate] of [...gates.entries()].reverse()) gate.resolve(i);
    expect(pluginsOf(await pending)).toEqual(['p0', 'p1', 'p2']);
  });

  it('reports only the first failure and a signal read later is already aborted', async () => {
    const failures: string[] = [];
    const late = deferred();
    let lateCall: HookCall | undefined;
    const engine = engineWith(
      'tool_provider',
      { list: { dispatch: 'broadcast_collect' } },
      [
        raw('p0', 'tool_provider', { list: () => Promise.reject(new Error('first')) }, 'promise', {
          priority: 3,
        }),
        raw(
          'p1',
          'tool_provider',
          {
            list: (_i, call) => {
              lateCall = call;
              return late.promise;
            },
          },
          'promise',
          { priority: 2 },
        ),
      ],
      { onPluginFailure: (c) => failures.push(c.name) },
    );
    const error = await engine.call('tool_provider', 'list', 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ plugin: 'p0' });
    late.reject(new Error('second'));
    await new Promise((r) => setTimeout(r, 0));
    expect(failures).toEqual(['p0']);
    expect(lateCall?.signal.aborted).toBe(true);
    expect(lateCall?.signal.reason).toBe(error);
  });
});

describe('plan cache in front of the hot path', () => {
  it('follows candidate, kind and middleware changes between calls', async () => {
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(kindSpec('llm', { complete: {}, embed: {} }));
    const plugin = (name: string) =>
      candidate(name, 'llm', { complete: () => `${name}:complete`, embed: () => `${name}:embed` });
    engine.setCandidates('llm', [plugin('one')]);
    expect(await engine.call('llm', 'complete', 1)).toBe('one:complete');
    expect(await engine.call('llm', 'embed', 1)).toBe('one:embed');
    expect(await engine.call('llm', 'complete', 1)).toBe('one:complete');
    engine.setCandidates('llm', [plugin('two')]);
    expect(await engine.call('llm', 'complete', 1)).toBe('two:complete');
    engine.setMiddleware([
      {
        name: 'mw',
        priority: 1000,
        kinds: ['*'],
        hooks: ['*'],
        after: (_c, r) => `[${String(r)}]`,
      },
    ]);
    expect(await engine.call('llm', 'complete', 1)).toBe('[two:complete]');
    engine.setMiddleware([]);
    engine.registerKind(kindSpec('llm', { complete: { dispatch: 'broadcast_collect' } }));
    expect(await engine.call('llm', 'complete', 1)).toEqual([
      { plugin: 'two', value: 'two:complete' },
    ]);
    const error = await engine.call('llm', 'embed', 1).catch((e: unknown) => e);
    expect(isKindUnknown(error)).toBe(true);
  });

  it('tells kinds apart that share a hook name', async () => {
    const engine = new DispatchEngine({ env: {} });
    for (const kind of ['a', 'b']) {
      engine.registerKind(kindSpec(kind, { run: {} }));
      engine.setCandidates(kind, [candidate(`${kind}-plugin`, kind, { run: () => kind })]);
    }
    expect(await engine.call('a', 'run', 1)).toBe('a');
    expect(await engine.call('b', 'run', 1)).toBe('b');
    expect(await engine.call('a', 'run', 1)).toBe('a');
  });

  it('takes the general path for an error policy override and per-call options', async () => {
    const plugins = [
      raw('ok', 'tool_provider', { list: () => 'fine' }, 'sync', { priority: 2 }),
      raw('bad', 'tool_provider', { list: () => boom() }, 'sync', { priority: 1 }),
    ];
    const engine = engineWith(
      'tool_provider',
      { list: { dispatch: 'broadcast_collect' } },
      plugins,
    );
    const failFast = await engine
      .callAs('broadcast_collect', 'tool_provider', 'list', 1)
      .catch((e: unknown) => e);
    expect(failFast).toMatchObject({ plugin: 'bad' });
    const dispatcher = new BroadcastCollectDispatcher('tool_provider');
    await expect(dispatcher.dispatchEntries(plugins, 'list', 1)).rejects.toMatchObject({
      plugin: 'bad',
    });
    const settled = await dispatcher.dispatchSettled(plugins, 'list', 1);
    expect(settled.results).toEqual([{ plugin: 'ok', value: 'fine' }]);
    expect(settled.errors?.errors.map((e) => e.plugin)).toEqual(['bad']);
    const seen: unknown[] = [];
    const withMeta = engineWith('llm', { complete: {} }, [
      raw('p', 'llm', { complete: (_i, call) => seen.push(call.metadata) }, 'sync'),
    ]);
    await withMeta.call('llm', 'complete', 1, { metadata: { trace: 't1' } });
    expect(seen).toEqual([{ trace: 't1' }]);
  });
});

describe.each(SHAPES)('hot path, singleton naming its target (%s result)', (shape) => {
  /** Two plugins of one kind; `b` ranks below `a`, `c` lacks the hook. */
  function pair(
    calls: string[],
    b: Fn = (input) => `b(${String(input)})`,
  ): { engine: DispatchEngine; candidates: DispatchCandidate[] } {
    const candidates = [
      raw(
        'a',
        'llm',
        {
          complete: (input) => {
            calls.push('a');
            return `a(${String(input)})`;
          },
        },
        shape,
        {
          priority: 10,
        },
      ),
      raw(
        'b',
        'llm',
        {
          complete: (input, call) => {
            calls.push('b');
            return b(input, call);
          },
        },
        shape,
        {
          priority: 5,
        },
      ),
      raw('c', 'llm', { other: () => 'c' }, shape),
    ];
    return { engine: engineWith('llm', { complete: {}, other: {} }, candidates), candidates };
  }

  /** The same call forced onto the general path (metadata is a per-call option). */
  const general = { metadata: {} };

  it('calls the named plugin only, again and again, as the general path does', async () => {
    const calls: string[] = [];
    const { engine } = pair(calls);
    for (let i = 0; i < 3; i++) {
      expect(await engine.call('llm', 'complete', i, { target: 'b' })).toBe(`b(${i})`);
    }
    expect(await engine.call('llm', 'complete', 9, { target: 'b', ...general })).toBe('b(9)');
    expect(calls).toEqual(['b', 'b', 'b', 'b']);
    expect(await engine.call('llm', 'complete', 1)).toBe('a(1)');
  });

  it('fails like the general path: no result, a thrown error, a target without the hook, an unknown target', async () => {
    const calls: string[] = [];
    const { engine } = pair(calls, (input) => (input === 'empty' ? null : boom('b broke')));
    for (const [input, target] of [
      ['empty', 'b'],
      ['x', 'b'],
      ['x', 'c'],
      ['x', 'ghost'],
    ] as const) {
      const hot = await engine.call('llm', 'complete', input, { target }).catch((e: unknown) => e);
      const slow = await engine
        .call('llm', 'complete', input, { target, ...general })
        .catch((e: unknown) => e);
      expect(hot).toBeInstanceOf(PluginRegistryError);
      expect((hot as PluginRegistryError).code).toBe((slow as PluginRegistryError).code);
      expect((hot as Error).message).toBe((slow as Error).message);
    }
    expect(
      isKindUnknown(
        await engine.call('llm', 'complete', 'empty', { target: 'b' }).catch((e: unknown) => e),
      ),
    ).toBe(true);
    expect(
      isPluginInvocationError(
        await engine.call('llm', 'complete', 'x', { target: 'b' }).catch((e: unknown) => e),
      ),
    ).toBe(true);
  });

  it('runs the middleware around the named plugin', async () => {
    const trail: string[] = [];
    const calls: string[] = [];
    const { engine } = pair(calls);
    engine.setMiddleware([
      {
        name: 'audit',
        priority: 1000,
        kinds: ['*'],
        hooks: ['*'],
        before: (call, args) => {
          trail.push(`before(${call.name})`);
          return `${String(args)}!`;
        },
        after: (call, result) => {
          trail.push(`after(${call.name})`);
          return `${String(result)}?`;
        },
      },
    ]);
    expect(await engine.call('llm', 'complete', 'x', { target: 'b' })).toBe('b(x!)?');
    expect(await engine.call('llm', 'complete', 'y', { target: 'b', ...general })).toBe('b(y!)?');
    expect(trail).toEqual(['before(b)', 'after(b)', 'before(b)', 'after(b)']);
  });

  it('forgets its callers when the candidates change', async () => {
    const calls: string[] = [];
    const { engine, candidates } = pair(calls);
    expect(await engine.call('llm', 'complete', 1, { target: 'b' })).toBe('b(1)');
    engine.setCandidates('llm', [
      candidates[0] as DispatchCandidate,
      raw('b', 'llm', { complete: () => 'new b' }, shape, { priority: 5 }),
    ]);
    expect(await engine.call('llm', 'complete', 1, { target: 'b' })).toBe('new b');
  });
});
