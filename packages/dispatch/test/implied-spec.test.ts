// Dispatcher classes handed linked candidates of a kind the host never
// registered a hookspec for (the docs' `new ChainDispatcher("query_rewriter")
// .dispatch(registry.getLoadedPlugins(), ...)` on a registry without
// `registerKind`): the route runs the hook as the dispatcher's class under an
// implied one-hook spec, through the host's engine (middleware, governance
// filter, in-flight tracking, timeouts, failure reports), without registering
// the kind; a later registerKind governs; a registered class still decides.
import {
  DispatchMismatch,
  type HookCall,
  isHookTimeout,
  isKindUnknown,
  isNoCapabilityMatch,
  isPluginInvocationError,
  isPluginRegistryError,
  type KindSpec,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  ChainDispatcher,
  createDispatchRoute,
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
  type InFlightCalls,
  isHookValidationError,
  linkCandidate,
  type Middleware,
  SingletonDispatcher,
} from '../src/index.js';
import { candidate, deferred, type HandleMode, kindSpec } from './helpers.js';

type Hooks = Record<string, (input: unknown, call: HookCall) => unknown>;

/** A host whose engine has no hookspec at all (until a test registers one). */
function host(options: DispatchEngineOptions & { middleware?: Middleware[] } = {}) {
  const calls: string[] = [];
  const engine = new DispatchEngine({ env: {}, ...options });
  if (options.middleware !== undefined) engine.setMiddleware(options.middleware);
  const published = new Map<string, DispatchCandidate[]>();
  const route = createDispatchRoute(engine, {
    owner: 'TestHost',
    callable: (kind) => (published.get(kind) ?? []).map((c) => c.name),
  });
  const plugin = (
    name: string,
    kind: string,
    hooks: Hooks,
    manifest: Record<string, unknown> = {},
    mode: HandleMode = 'plain',
  ): DispatchCandidate => {
    const recorded: Hooks = {};
    for (const [hook, fn] of Object.entries(hooks)) {
      recorded[hook] = (input, call) => {
        calls.push(`${name}.${hook}`);
        return fn(input, call);
      };
    }
    const c = linkCandidate(candidate(name, kind, recorded, { manifest, mode }), route);
    published.set(kind, [...(published.get(kind) ?? []), c]);
    engine.setCandidates(kind, published.get(kind) ?? []);
    return c;
  };
  const loaded = (): DispatchCandidate[] => [...published.values()].flat();
  return { engine, route, plugin, loaded, calls };
}

/** A middleware recording what it wraps and refusing `actor: mallory`. */
function recorder(seen: string[]): Middleware {
  return {
    name: 'audit',
    priority: 1000,
    kinds: ['*'],
    hooks: ['*'],
    before(call, args) {
      seen.push(`before ${call.kind}.${call.hook} ${call.name}`);
      if (call.metadata.actor === 'mallory') throw new Error(`audit refuses ${call.kind}`);
      return args;
    },
    after(call, result) {
      seen.push(`after ${call.kind}.${call.hook}`);
      return result;
    },
  };
}

/** The host of the five docs kinds, none of them registered. */
function docsHost(options: DispatchEngineOptions & { middleware?: Middleware[] } = {}) {
  const h = host(options);
  h.plugin(
    'stripe',
    'payment_provider',
    { charge: (i) => ({ tx: `stripe:${String(i)}` }) },
    {
      priority: 50,
    },
  );
  h.plugin(
    'internal',
    'payment_provider',
    { charge: () => ({ tx: 'internal' }) },
    {
      priority: 10,
    },
  );
  h.plugin('web', 'tool_provider', { list_tools: () => ['http_get'] }, { priority: 40 });
  h.plugin('fs', 'tool_provider', { list_tools: () => ['read_file'] }, { priority: 50 });
  h.plugin('normalizer', 'query_rewriter', { rewrite: (q) => String(q).trim() }, { priority: 90 });
  h.plugin('upper', 'query_rewriter', { rewrite: (q) => String(q).toUpperCase() });
  h.plugin(
    'tree-sitter',
    'chunker',
    { chunk: () => 'tree-sitter' },
    { capabilities: ['lang:python'] },
  );
  h.plugin('fixed', 'chunker', { chunk: () => 'fixed' }, { fallback: true });
  return h;
}

describe('a kind the host has no hookspec for runs as the dispatcher’s class', () => {
  it('each of the five classes works through the route, and the kind stays unregistered', async () => {
    const h = docsHost();
    const notified: unknown[] = [];
    h.plugin('metrics', 'lifecycle_listener', { on_started: (e) => void notified.push(e) });

    expect(
      await new SingletonDispatcher('payment_provider').dispatch(h.loaded(), 'charge', 7),
    ).toEqual({ tx: 'stripe:7' });
    const tools = new BroadcastCollectDispatcher<unknown, string[]>('tool_provider');
    expect(await tools.dispatch(h.loaded(), 'list_tools', null)).toEqual([
      ['read_file'],
      ['http_get'],
    ]);
    expect(await tools.dispatchEntries(h.loaded(), 'list_tools', null)).toEqual([
      { plugin: 'fs', value: ['read_file'] },
      { plugin: 'web', value: ['http_get'] },
    ]);
    const settled = await tools.dispatchSettled(h.loaded(), 'list_tools', null);
    expect(settled.results.map((e) => e.plugin)).toEqual(['fs', 'web']);
    expect(settled.errors).toBeUndefined();
    const notify = new BroadcastNotifyDispatcher('lifecycle_listener');
    await notify.dispatch(h.loaded(), 'on_started', { id: 1 });
    await notify.settled();
    expect(notified).toEqual([{ id: 1 }]);
    expect(
      await new ChainDispatcher<string>('query_rewriter').dispatch(h.loaded(), 'rewrite', ' q '),
    ).toBe('Q');
    const chunker = new CapabilityDispatcher<{ content: string }, string>('chunker');
    expect(
      await chunker.dispatch(h.loaded(), 'chunk', {
        content: 'def f(): ...',
        capabilities: { required: ['lang:python'] },
      }),
    ).toBe('tree-sitter');
    expect(
      await chunker.dispatch(h.loaded(), 'chunk', {
        content: '# md',
        capabilities: { required: ['lang:markdown'] },
      }),
    ).toBe('fixed');

    // Nothing was registered: the host's own call of the kind is still KindUnknown,
    // also right after a dispatcher call of the same (kind, hook).
    await new SingletonDispatcher('payment_provider').dispatch(h.loaded(), 'charge', 1);
    await expect(h.engine.call('payment_provider', 'charge', 1)).rejects.toSatisfy(isKindUnknown);
    await expect(h.engine.callAs('singleton', 'payment_provider', 'charge', 1)).rejects.toSatisfy(
      isKindUnknown,
    );
    expect(h.engine.verify()).toEqual([]);
  });

  it('the same hook called by two classes gets each class’s own semantics', async () => {
    const h = host();
    h.plugin('a', 'thing', { get: () => 'a' }, { priority: 2 });
    h.plugin('b', 'thing', { get: () => 'b' }, { priority: 1 });
    expect(await new SingletonDispatcher('thing').dispatch(h.loaded(), 'get', 0)).toBe('a');
    expect(await new BroadcastCollectDispatcher('thing').dispatch(h.loaded(), 'get', 0)).toEqual([
      'a',
      'b',
    ]);
    expect(await new SingletonDispatcher('thing').dispatch(h.loaded(), 'get', 0)).toBe('a');
  });

  it('a kind without hookspec and without candidates is the engine’s “no plugin”, per class', async () => {
    const h = host();
    h.plugin('x', 'other', { go: () => 'x' });
    await expect(
      new SingletonDispatcher('search').dispatch(h.loaded(), 'find', null),
    ).rejects.toSatisfy(isKindUnknown);
    const error = await new SingletonDispatcher('search')
      .dispatch(h.loaded(), 'find', null)
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/no callable plugin implements singleton hook "find"/);
    expect(await new BroadcastCollectDispatcher('search').dispatch(h.loaded(), 'find', 1)).toEqual(
      [],
    );
    await expect(
      new CapabilityDispatcher('search').dispatch(h.loaded(), 'find', {}),
    ).rejects.toSatisfy(isNoCapabilityMatch);
    expect(h.calls).toEqual([]);
  });

  it('refuses a route call naming a class that is not a dispatch class', async () => {
    const h = host();
    h.plugin('a', 'thing', { get: () => 'a' });
    const error = await h.route
      .call({
        dispatchClass: 'firstresult' as never,
        kind: 'thing',
        hook: 'get',
        input: null,
        options: {},
        policy: undefined,
      })
      .catch((e: unknown) => e);
    expect(isPluginRegistryError(error)).toBe(true);
    expect((error as Error).message).toMatch(/unknown dispatch class "firstresult"/);
    expect(h.calls).toEqual([]);
  });
});

describe('the host engine’s policies apply to the implied calls', () => {
  it('middleware wraps every class, and a refusal holds with no plugin called', async () => {
    const seen: string[] = [];
    const h = docsHost({ middleware: [recorder(seen)] });
    h.plugin('metrics', 'lifecycle_listener', { on_started: () => undefined });
    const denied = { metadata: { actor: 'mallory' } };
    const attempts: Promise<unknown>[] = [
      new SingletonDispatcher('payment_provider').dispatch(h.loaded(), 'charge', 1, denied),
      new BroadcastCollectDispatcher('tool_provider').dispatch(h.loaded(), 'list_tools', 1, denied),
      new BroadcastCollectDispatcher('tool_provider').dispatchSettled(
        h.loaded(),
        'list_tools',
        1,
        denied,
      ),
      new BroadcastNotifyDispatcher('lifecycle_listener').dispatch(
        h.loaded(),
        'on_started',
        1,
        denied,
      ),
      new ChainDispatcher('query_rewriter').dispatch(h.loaded(), 'rewrite', 'q', denied),
      new CapabilityDispatcher('chunker').dispatch(h.loaded(), 'chunk', {}, denied),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toThrow(/audit refuses/);
    expect(h.calls).toEqual([]);

    seen.length = 0;
    // Without per-call options (the hot path) and with them (the general path).
    await new SingletonDispatcher('payment_provider').dispatch(h.loaded(), 'charge', 1);
    await new ChainDispatcher('query_rewriter').dispatch(h.loaded(), 'rewrite', 'q', {
      metadata: { actor: 'alice' },
    });
    await new CapabilityDispatcher('chunker').dispatch(h.loaded(), 'chunk', {});
    expect(seen).toEqual([
      'before payment_provider.charge stripe',
      'after payment_provider.charge',
      'before query_rewriter.rewrite *',
      'after query_rewriter.rewrite',
      'before chunker.chunk fixed',
      'after chunker.chunk',
    ]);
  });

  it('the governance filter narrows, failures are reported, timeouts hold', async () => {
    const failures: string[] = [];
    const h = host({
      governanceFilter: (_k, _h, list, call) =>
        call.metadata.tenant === 'acme' ? list.filter((c) => c.name !== 'big') : list,
      onPluginFailure: (c) => failures.push(c.name),
      defaultTimeoutMs: 50,
    });
    h.plugin('big', 'llm', { complete: () => 'big' }, { priority: 90 });
    h.plugin('small', 'llm', { complete: () => 'small' }, { priority: 10 });
    h.plugin('ok', 'catalog', { list: () => 'ok' }, { priority: 2 });
    h.plugin('bad', 'catalog', {
      list: () => {
        throw new Error('broken');
      },
    });
    h.plugin('hang', 'slowpoke', { wait: () => new Promise(() => {}) });
    const llm = new SingletonDispatcher<null, string>('llm');
    expect(await llm.dispatch(h.loaded(), 'complete', null)).toBe('big');
    expect(await llm.dispatch(h.loaded(), 'complete', null, { metadata: { tenant: 'acme' } })).toBe(
      'small',
    );
    const catalog = new BroadcastCollectDispatcher('catalog');
    const settled = await catalog.dispatchSettled(h.loaded(), 'list', null);
    expect(settled.results.map((e) => e.plugin)).toEqual(['ok']);
    expect(settled.errors?.errors.map((e) => e.plugin)).toEqual(['bad']);
    await expect(catalog.dispatch(h.loaded(), 'list', null)).rejects.toSatisfy(
      isPluginInvocationError,
    );
    expect(failures).toEqual(['bad', 'bad']);
    await expect(
      new SingletonDispatcher('slowpoke').dispatch(h.loaded(), 'wait', null),
    ).rejects.toSatisfy(isHookTimeout);
  });

  it('calls are listed in the plugin’s in-flight calls while they run', async () => {
    const h = host();
    const gate = deferred<string>();
    const c = h.plugin('slow', 'llm', { complete: () => gate.promise }, {}, 'tracked');
    const list = c.inFlight as InFlightCalls;
    const pending = new SingletonDispatcher('llm').dispatch(h.loaded(), 'complete', null);
    expect(list.toArray().map((op) => op.hook)).toEqual(['complete']);
    gate.resolve('done');
    expect(await pending).toBe('done');
    expect(list.size).toBe(0);
  });
});

describe('a later registerKind governs', () => {
  const searchSpec = (find: Partial<KindSpec['hooks'][number]>): KindSpec =>
    kindSpec('search', { find });

  it('the hookspec’s class decides after registerKind: the earlier implied class is a mismatch', async () => {
    const h = host();
    h.plugin('a', 'search', { find: () => 'a', index: () => 'indexed' }, { priority: 2 });
    h.plugin('b', 'search', { find: () => 'b' }, { priority: 1 });
    const singleton = new SingletonDispatcher('search');
    expect(await singleton.dispatch(h.loaded(), 'find', null)).toBe('a');

    h.engine.registerKind(searchSpec({ dispatch: 'broadcast_collect' }));
    const mismatch = await singleton.dispatch(h.loaded(), 'find', null).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(DispatchMismatch);
    expect((mismatch as DispatchMismatch).expected).toBe('broadcast_collect');
    expect(await new BroadcastCollectDispatcher('search').dispatch(h.loaded(), 'find', 1)).toEqual([
      'a',
      'b',
    ]);
    // A hook the registered hookspec does not declare still runs as the dispatcher's class.
    expect(await singleton.dispatch(h.loaded(), 'index', null)).toBe('indexed');
    // And the host's own call now knows the kind.
    expect(await h.engine.call('search', 'find', 1)).toEqual([
      { plugin: 'a', value: 'a' },
      { plugin: 'b', value: 'b' },
    ]);
  });

  it('the hookspec’s schemas apply after registerKind, not before', async () => {
    const h = host({ validate: true });
    h.plugin('a', 'search', { find: (q) => `found ${JSON.stringify(q)}` });
    const find = new SingletonDispatcher('search');
    // No hookspec: no schema, any input.
    expect(await find.dispatch(h.loaded(), 'find', 42)).toBe('found 42');
    h.engine.registerKind(
      searchSpec({
        dispatch: 'singleton',
        input_schema: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } },
      }),
    );
    await expect(find.dispatch(h.loaded(), 'find', 42)).rejects.toSatisfy(isHookValidationError);
    expect(await find.dispatch(h.loaded(), 'find', { q: 'x' })).toBe('found {"q":"x"}');
    expect(h.calls).toEqual(['a.find', 'a.find']);
  });

  it('a registered class differing from the dispatcher’s is DispatchMismatch, never run as implied', async () => {
    const h = host();
    h.engine.registerKind(
      kindSpec('query_rewriter', {
        rewrite: { dispatch: 'chain' },
        score: { dispatch: 'singleton' },
      }),
    );
    h.plugin('n', 'query_rewriter', { rewrite: (q) => q, score: () => 1 });
    for (const attempt of [
      new SingletonDispatcher('query_rewriter').dispatch(h.loaded(), 'rewrite', 'q'),
      new BroadcastCollectDispatcher('query_rewriter').dispatch(h.loaded(), 'rewrite', 'q'),
      new BroadcastNotifyDispatcher('query_rewriter').dispatch(h.loaded(), 'rewrite', 'q'),
      new CapabilityDispatcher('query_rewriter').dispatch(h.loaded(), 'rewrite', 'q'),
      new ChainDispatcher('query_rewriter').dispatch(h.loaded(), 'score', 'q'),
    ]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DispatchMismatch);
    }
    expect(h.calls).toEqual([]);
    expect(await new ChainDispatcher('query_rewriter').dispatch(h.loaded(), 'rewrite', 'q')).toBe(
      'q',
    );
  });
});
