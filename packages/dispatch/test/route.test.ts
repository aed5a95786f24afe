// Dispatcher classes handed candidates linked to a host's call path
// (linkCandidate / createDispatchRoute): they call through the host's engine
// (its middleware, governance filter, routing policy, validation and failure
// reports), refuse lists they cannot honour with DispatchRouteConflict, and
// keep calling hand-built candidates with their own engine.
import {
  DispatchMismatch,
  type HookCall,
  isKindUnknown,
  isPluginError,
  PluginRegistryError,
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
  type DispatchRoute,
  type DispatchRouteConflict,
  isDispatchRouteConflict,
  linkCandidate,
  type Middleware,
  SingletonDispatcher,
} from '../src/index.js';
import { candidate, deferred, kindSpec } from './helpers.js';

/** A host: an engine with the kinds below, its candidates linked to its route. */
function host(
  options: DispatchEngineOptions & { middleware?: Middleware[]; owner?: string } = {},
  divert?: Parameters<typeof createDispatchRoute>[1]['divert'],
) {
  const calls: string[] = [];
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(kindSpec('llm', { complete: { dispatch: 'singleton' } }));
  engine.registerKind(
    kindSpec('catalog', {
      list: { dispatch: 'broadcast_collect' },
      describe: { dispatch: 'singleton' },
    }),
  );
  engine.registerKind(kindSpec('events', { done: { dispatch: 'broadcast_notify' } }));
  engine.registerKind(kindSpec('pipeline', { refine: { dispatch: 'chain' } }));
  engine.registerKind(kindSpec('files', { open: { dispatch: 'capability' } }));
  if (options.middleware !== undefined) engine.setMiddleware(options.middleware);
  const published = new Map<string, DispatchCandidate[]>();
  const route = createDispatchRoute(engine, {
    owner: options.owner ?? 'TestHost',
    callable: (kind) => (published.get(kind) ?? []).map((c) => c.name),
    ...(divert === undefined ? {} : { divert }),
  });
  const plugin = (
    name: string,
    kind: string,
    hooks: Record<string, (input: unknown, call: HookCall) => unknown>,
    manifest: Record<string, unknown> = {},
  ): DispatchCandidate => {
    const recorded: Record<string, (input: unknown, call: HookCall) => unknown> = {};
    for (const [hook, fn] of Object.entries(hooks)) {
      recorded[hook] = (input, call) => {
        calls.push(`${name}.${hook}`);
        return fn(input, call);
      };
    }
    const c = linkCandidate(candidate(name, kind, recorded, { manifest }), route);
    published.set(kind, [...(published.get(kind) ?? []), c]);
    engine.setCandidates(kind, published.get(kind) ?? []);
    return c;
  };
  const loaded = (): DispatchCandidate[] => [...published.values()].flat();
  return { engine, route, plugin, loaded, calls };
}

const refuse: Middleware = {
  name: 'gate',
  priority: 1000,
  kinds: ['*'],
  hooks: ['*'],
  before(call) {
    if (call.metadata.actor === 'mallory')
      throw new Error(`gate refuses ${call.kind}.${call.hook}`);
    return undefined;
  },
};

describe('dispatchers handed linked candidates call through the host', () => {
  it('every class applies the host middleware: a refusal holds and no plugin runs', async () => {
    const h = host({ middleware: [refuse] });
    h.plugin('a', 'llm', { complete: () => 'a' });
    h.plugin('c', 'catalog', { list: () => 'c' });
    h.plugin('e', 'events', { done: () => undefined });
    h.plugin('p', 'pipeline', { refine: (q) => `${q}!` });
    h.plugin('f', 'files', { open: () => 'f' }, { fallback: true });
    const denied = { metadata: { actor: 'mallory' } };
    const attempts: Promise<unknown>[] = [
      new SingletonDispatcher('llm').dispatch(h.loaded(), 'complete', null, denied),
      new BroadcastCollectDispatcher('catalog').dispatch(h.loaded(), 'list', null, denied),
      new BroadcastCollectDispatcher('catalog').dispatchEntries(h.loaded(), 'list', null, denied),
      new BroadcastCollectDispatcher('catalog').dispatchSettled(h.loaded(), 'list', null, denied),
      new BroadcastNotifyDispatcher('events').dispatch(h.loaded(), 'done', null, denied),
      new ChainDispatcher('pipeline').dispatch(h.loaded(), 'refine', 'q', denied),
      new CapabilityDispatcher('files').dispatch(h.loaded(), 'open', {}, denied),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toThrow(/gate refuses/);
    expect(h.calls).toEqual([]);
    // The same dispatchers let an allowed caller through the same middleware.
    expect(await new SingletonDispatcher('llm').dispatch(h.loaded(), 'complete', null)).toBe('a');
    expect(await new ChainDispatcher('pipeline').dispatch(h.loaded(), 'refine', 'q')).toBe('q!');
    expect(h.calls).toEqual(['a.complete', 'p.refine']);
  });

  it('the host governance filter and routing policy choose, not the dispatcher', async () => {
    const h = host({
      governanceFilter: (_k, _h, candidates, call) =>
        call.metadata.tenant_id === 'acme'
          ? candidates.filter((c) => c.name !== 'big')
          : candidates,
      routingPolicy: (_k, _h, _c, call) => (call.metadata.pick === 'small' ? 'small' : undefined),
    });
    h.plugin('big', 'llm', { complete: () => 'big' }, { priority: 90 });
    h.plugin('small', 'llm', { complete: () => 'small' }, { priority: 10 });
    h.plugin('x', 'catalog', { list: () => 'x' });
    h.plugin('big', 'catalog', { list: () => 'big' });
    const llm = new SingletonDispatcher<null, string>('llm');
    expect(await llm.dispatch(h.loaded(), 'complete', null)).toBe('big');
    expect(
      await llm.dispatch(h.loaded(), 'complete', null, { metadata: { tenant_id: 'acme' } }),
    ).toBe('small');
    expect(await llm.dispatch(h.loaded(), 'complete', null, { metadata: { pick: 'small' } })).toBe(
      'small',
    );
    const catalog = new BroadcastCollectDispatcher<null, string>('catalog');
    expect(
      await catalog.dispatch(h.loaded(), 'list', null, { metadata: { tenant_id: 'acme' } }),
    ).toEqual(['x']);
  });

  it('plugin failures reach the host (onPluginFailure) and the error policy stays the dispatcher’s', async () => {
    const failures: string[] = [];
    const h = host({ onPluginFailure: (c) => failures.push(c.name) });
    h.plugin('ok', 'catalog', { list: () => 'ok' }, { priority: 2 });
    h.plugin('bad', 'catalog', {
      list: () => {
        throw new Error('broken');
      },
    });
    const catalog = new BroadcastCollectDispatcher<null, string>('catalog');
    const settled = await catalog.dispatchSettled(h.loaded(), 'list', null);
    expect(settled.results).toEqual([{ plugin: 'ok', value: 'ok' }]);
    expect(settled.errors?.errors.map((e) => e.plugin)).toEqual(['bad']);
    await expect(catalog.dispatch(h.loaded(), 'list', null)).rejects.toSatisfy(isPluginError);
    expect(failures).toEqual(['bad', 'bad']);
  });

  it('the host hookspec decides the class: DispatchMismatch comes from it', async () => {
    const h = host();
    h.plugin('c', 'catalog', { list: () => 'c', describe: () => 'c' });
    const mismatch = await new SingletonDispatcher('catalog')
      .dispatch(h.loaded(), 'list', null)
      .catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(DispatchMismatch);
    expect((mismatch as DispatchMismatch).expected).toBe('broadcast_collect');
    expect(await new SingletonDispatcher('catalog').dispatch(h.loaded(), 'describe', null)).toBe(
      'c',
    );
    // A kind the host has no hookspec for runs as the dispatcher's class
    // (implied spec, see implied-spec.test.ts); with no plugin of it, the
    // host's engine has nothing to call.
    const unknown = new SingletonDispatcher('search');
    await expect(unknown.dispatch(h.loaded(), 'find', null)).rejects.toThrow(
      /no callable plugin implements singleton hook "find"/,
    );
    h.plugin('s', 'search', { find: () => 's' });
    expect(await unknown.dispatch(h.loaded(), 'find', null)).toBe('s');
    await expect(h.engine.call('search', 'find', null)).rejects.toSatisfy(isKindUnknown);
    expect(h.calls).toEqual(['c.describe', 's.find']);
  });

  it('diverts singleton calls the host routes itself, and only those', async () => {
    const diverted: string[] = [];
    const h = host({}, (kind, hook) =>
      kind === 'llm' && hook === 'complete'
        ? async (input) => {
            diverted.push(String(input));
            return 'diverted';
          }
        : undefined,
    );
    h.plugin('a', 'llm', { complete: () => 'a' });
    h.plugin('c', 'catalog', { list: () => 'c' });
    expect(await new SingletonDispatcher('llm').dispatch(h.loaded(), 'complete', 'in')).toBe(
      'diverted',
    );
    expect(await new BroadcastCollectDispatcher('catalog').dispatch(h.loaded(), 'list', 1)).toEqual(
      ['c'],
    );
    expect(diverted).toEqual(['in']);
    expect(h.calls).toEqual(['c.list']);
  });

  it('BroadcastNotifyDispatcher.settled() waits for the handlers it started through the host', async () => {
    const h = host();
    const gate = deferred<void>();
    let finished = false;
    h.plugin('slow', 'events', {
      done: async () => {
        await gate.promise;
        finished = true;
      },
    });
    const notify = new BroadcastNotifyDispatcher('events');
    await notify.dispatch(h.loaded(), 'done', null);
    expect(notify.inFlightNotifications()).toBe(1);
    const waited = notify.settled().then(() => finished);
    gate.resolve();
    expect(await waited).toBe(true);
    expect(notify.inFlightNotifications()).toBe(0);
  });
});

describe('lists a dispatcher refuses (DispatchRouteConflict, nothing called)', () => {
  const conflictOf = async (attempt: Promise<unknown>): Promise<DispatchRouteConflict> => {
    const error = await attempt.catch((e: unknown) => e);
    expect(isDispatchRouteConflict(error)).toBe(true);
    expect(error).toBeInstanceOf(PluginRegistryError);
    return error as DispatchRouteConflict;
  };

  it('a dispatcher built with its own policies (they would be dropped)', async () => {
    const h = host();
    h.plugin('a', 'llm', { complete: () => 'a' });
    const own = new SingletonDispatcher('llm', {
      env: {},
      middleware: [refuse],
      governanceFilter: (_k, _h, c) => c,
      validate: true,
    });
    const error = await conflictOf(own.dispatch(h.loaded(), 'complete', null));
    expect(error.reason).toBe('own_policies');
    expect(error.names).toEqual(['middleware', 'governanceFilter', 'validate', 'env']);
    expect(error.kind).toBe('llm');
    expect(error.hook).toBe('complete');
    expect(error.hint).toMatch(/registry/);
    // A spec and a logger are not policies: they are fine.
    const spec = kindSpec('llm', { complete: { dispatch: 'singleton' } });
    expect(await new SingletonDispatcher('llm', { spec }).dispatch(h.loaded(), 'complete', 1)).toBe(
      'a',
    );
    expect(h.calls).toEqual(['a.complete']);
  });

  it('a list that leaves out plugins the host can call', async () => {
    const h = host();
    h.plugin('big', 'llm', { complete: () => 'big' }, { priority: 90 });
    h.plugin('small', 'llm', { complete: () => 'small' }, { priority: 10 });
    const only = h.loaded().filter((c) => c.name === 'small');
    const error = await conflictOf(new SingletonDispatcher('llm').dispatch(only, 'complete', 1));
    expect(error.reason).toBe('partial_list');
    expect(error.names).toEqual(['big']);
    expect(error.plugin).toBe('big');
    // Other kinds may be left out; the host's plugins of this kind may not.
    const llmOnly = h.loaded().filter((c) => c.kind === 'llm');
    expect(await new SingletonDispatcher('llm').dispatch(llmOnly, 'complete', 1)).toBe('big');
    expect(h.calls).toEqual(['big.complete']);
  });

  it('plugins of two hosts, and host plugins mixed with hand-built candidates', async () => {
    const one = host({ owner: 'first' });
    const two = host({ owner: 'second' });
    one.plugin('a', 'llm', { complete: () => 'a' });
    two.plugin('b', 'llm', { complete: () => 'b' });
    const several = await conflictOf(
      new SingletonDispatcher('llm').dispatch([...one.loaded(), ...two.loaded()], 'complete', 1),
    );
    expect(several.reason).toBe('several_hosts');
    expect(several.names).toEqual(['first', 'second']);
    const loose = candidate('loose', 'llm', { complete: () => 'loose' });
    const mixed = await conflictOf(
      new SingletonDispatcher('llm').dispatch([...one.loaded(), loose], 'complete', 1),
    );
    expect(mixed.reason).toBe('mixed_list');
    expect(mixed.names).toEqual(['loose']);
    // A hand-built candidate of another kind is ignored, as always.
    const other = candidate('other', 'catalog', { list: () => 'other' });
    expect(
      await new SingletonDispatcher('llm').dispatch([...one.loaded(), other], 'complete', 1),
    ).toBe('a');
    expect([...one.calls, ...two.calls]).toEqual(['a.complete']);
  });

  it('a spread copy of a linked candidate loses the link and is refused, not called directly', async () => {
    const h = host({ middleware: [refuse] });
    const linked = h.plugin('a', 'llm', { complete: () => 'a' });
    const copy = { ...linked };
    expect(Object.keys(copy)).toEqual(Object.keys(linked));
    const error = await conflictOf(
      new SingletonDispatcher('llm').dispatch([copy], 'complete', 1, {
        metadata: { actor: 'mallory' },
      }),
    );
    expect(error.reason).toBe('copied_candidate');
    expect(error.plugin).toBe('a');
    expect(h.calls).toEqual([]);
  });
});

describe('hand-built candidates and linkCandidate', () => {
  it('hand-built candidates are called by the dispatcher itself, with its own options only', async () => {
    const h = host({ middleware: [refuse] });
    h.plugin('a', 'llm', { complete: () => 'linked' });
    const seen: string[] = [];
    const own = candidate('own', 'llm', {
      complete: (_input, call) => {
        seen.push(String(call.metadata.actor));
        return 'own';
      },
    });
    // The host's middleware does not apply: these candidates do not come from it.
    const result = await new SingletonDispatcher('llm', { env: {} }).dispatch(
      [own],
      'complete',
      1,
      {
        metadata: { actor: 'mallory' },
      },
    );
    expect(result).toBe('own');
    expect(seen).toEqual(['mallory']);
    // The dispatcher's own middleware does.
    const guarded = new SingletonDispatcher('llm', { env: {}, middleware: [refuse] });
    await expect(
      guarded.dispatch([own], 'complete', 1, { metadata: { actor: 'mallory' } }),
    ).rejects.toThrow(/gate refuses/);
    expect(h.calls).toEqual([]);
  });

  it('links once, invisibly, and refuses a second host or a frozen candidate', () => {
    const engine = new DispatchEngine();
    const route = createDispatchRoute(engine, { owner: 'one', callable: () => [] });
    const other: DispatchRoute = createDispatchRoute(engine, { owner: 'two', callable: () => [] });
    const c = candidate('a', 'llm', { complete: () => 'a' });
    expect(linkCandidate(c, route)).toBe(c);
    expect(linkCandidate(c, route)).toBe(c);
    expect(Object.keys(c)).toEqual(['name', 'kind', 'manifest', 'handle']);
    expect(JSON.stringify(Object.getOwnPropertySymbols(c).map(String))).toContain(
      'dagstack.plugin-system.dispatch-route',
    );
    expect(() => linkCandidate(c, other)).toThrow(/already linked to the call path of one/);
    const frozen = Object.freeze(candidate('b', 'llm', { complete: () => 'b' }));
    let error: unknown;
    try {
      linkCandidate(frozen, route);
    } catch (e) {
      error = e;
    }
    expect(isPluginError(error)).toBe(true);
    expect((error as PluginRegistryError).plugin).toBe('b');
    expect((error as PluginRegistryError).hint).toMatch(/before freezing/);
  });
});
