// A middleware's governance filter (ADR-0005 §4: "the governance product
// registers the filter through chain middleware"): `Middleware.filter` runs
// after the engine's `governanceFilter`, in middleware priority order, each
// given what the previous allowed, on every dispatch class and on the
// explicit-target path; a hook with such middleware leaves the hot path.
import { isKindUnknown, isNoCapabilityMatch, isPluginUnavailable } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
  type Middleware,
} from '../src/index.js';
import { candidate, kindSpec, pluginsOf } from './helpers.js';

const KIND = 'tool';

function engineWith(
  middleware: Middleware[],
  options: DispatchEngineOptions = {},
): { engine: DispatchEngine; called: string[] } {
  const called: string[] = [];
  const plugin = (name: string, priority: number, extra: Record<string, unknown> = {}) =>
    candidate(
      name,
      KIND,
      {
        execute: () => {
          called.push(name);
          return name;
        },
        list: () => {
          called.push(name);
          return name;
        },
        refine: (input) => {
          called.push(name);
          return `${String(input)}>${name}`;
        },
        open: () => {
          called.push(name);
          return name;
        },
      },
      { manifest: { priority, ...extra } },
    );
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(
    kindSpec(KIND, {
      execute: { dispatch: 'singleton' },
      list: { dispatch: 'broadcast_collect' },
      refine: { dispatch: 'chain' },
      open: { dispatch: 'capability' },
    }),
  );
  engine.setCandidates(KIND, [
    plugin('a', 30, { supports_extensions: ['.py'] }),
    plugin('b', 20, { supports_extensions: ['.py'] }),
    plugin('c', 10, { fallback: true }),
  ]);
  engine.setMiddleware(middleware);
  return { engine, called };
}

/** Middleware whose filter drops `drop` and records the names it was given. */
function dropping(name: string, priority: number, drop: string[], seen: string[][]): Middleware {
  return {
    name,
    priority,
    kinds: ['*'],
    hooks: ['*'],
    filter: (_kind, _hook, candidates) => {
      seen.push([name, ...candidates.map((c) => c.name)]);
      return candidates.filter((c) => !drop.includes(c.name));
    },
  };
}

describe('Middleware.filter', () => {
  it('singleton: the top plugin the filter drops is not called; the next one is', async () => {
    const seen: string[][] = [];
    const { engine, called } = engineWith([dropping('gov', 1000, ['a'], seen)]);
    await expect(engine.call(KIND, 'execute', {})).resolves.toBe('b');
    expect(called).toEqual(['b']);
    expect(seen).toEqual([['gov', 'a', 'b', 'c']]);
  });

  it("runs after the host's filter, then by priority, each seeing what the previous allowed", async () => {
    const seen: string[][] = [];
    const { engine, called } = engineWith(
      [dropping('inner', 1000, ['b'], seen), dropping('outer', 2000, ['a'], seen)],
      {
        governanceFilter: (_k, _h, candidates) => {
          seen.push(['host', ...candidates.map((c) => c.name)]);
          return candidates.filter((c) => c.name !== 'c');
        },
      },
    );
    const out = await engine.call(KIND, 'list', {});
    expect(pluginsOf(out)).toEqual([]);
    expect(called).toEqual([]);
    expect(seen).toEqual([
      ['host', 'a', 'b', 'c'],
      ['outer', 'a', 'b'],
      ['inner', 'b'],
    ]);
  });

  it('broadcast_collect and chain call only the allowed plugins, in dispatch order', async () => {
    const { engine, called } = engineWith([dropping('gov', 1000, ['b'], [])]);
    expect(pluginsOf(await engine.call(KIND, 'list', {}))).toEqual(['a', 'c']);
    await expect(engine.call(KIND, 'refine', 'in')).resolves.toBe('in>a>c');
    expect(called).toEqual(['a', 'c', 'a', 'c']);
  });

  it('capability: the filter decides among the matches, then the fallback', async () => {
    const { engine } = engineWith([dropping('gov', 1000, ['a'], [])]);
    await expect(engine.call(KIND, 'open', { extension: '.py' })).resolves.toBe('b');
    const strict = engineWith([dropping('gov', 1000, ['a', 'b', 'c'], [])]).engine;
    const error = await strict.call(KIND, 'open', { extension: '.py' }).catch((e: unknown) => e);
    expect(isNoCapabilityMatch(error)).toBe(true);
    expect((error as Error).message).toContain('not allowed by the governance filter');
  });

  it('a target the filter drops is PluginUnavailable; nobody allowed is KindUnknown', async () => {
    const { engine, called } = engineWith([dropping('gov', 1000, ['a', 'b', 'c'], [])]);
    const error = await engine.call(KIND, 'execute', {}, { target: 'a' }).catch((e: unknown) => e);
    expect(isPluginUnavailable(error)).toBe(true);
    expect((error as Error).message).toContain('governance filter');
    expect(isKindUnknown(await engine.call(KIND, 'execute', {}).catch((e: unknown) => e))).toBe(
      true,
    );
    expect(called).toEqual([]);
  });

  it('decides per call from the metadata (the hot path does not skip it)', async () => {
    const byTenant: Middleware = {
      name: 'tenancy',
      priority: 1000,
      kinds: ['*'],
      hooks: ['*'],
      filter: (_k, _h, candidates, call) =>
        call.metadata.tenant_id === 'acme' ? candidates : candidates.filter((c) => c.name === 'c'),
    };
    const { engine } = engineWith([byTenant]);
    // No per-call options at all: calls the hot path would serve.
    expect(pluginsOf(await engine.call(KIND, 'list', {}))).toEqual(['c']);
    await expect(engine.call(KIND, 'refine', 'in')).resolves.toBe('in>c');
    await expect(engine.call(KIND, 'execute', {})).resolves.toBe('c');
    expect(
      pluginsOf(await engine.call(KIND, 'list', {}, { metadata: { tenant_id: 'acme' } })),
    ).toEqual(['a', 'b', 'c']);
    await expect(
      engine.call(KIND, 'execute', {}, { metadata: { tenant_id: 'acme' } }),
    ).resolves.toBe('a');
    // A target alone has a hot caller of its own (singleton).
    const error = await engine.call(KIND, 'execute', {}, { target: 'a' }).catch((e: unknown) => e);
    expect(isPluginUnavailable(error)).toBe(true);
  });

  it('applies only to the kinds and hooks the middleware wraps', async () => {
    const seen: string[][] = [];
    const scoped: Middleware = { ...dropping('gov', 1000, ['a'], seen), hooks: ['list'] };
    const { engine } = engineWith([scoped]);
    await expect(engine.call(KIND, 'execute', {})).resolves.toBe('a');
    expect(pluginsOf(await engine.call(KIND, 'list', {}))).toEqual(['b', 'c']);
    expect(seen).toEqual([['gov', 'a', 'b', 'c']]);
  });

  it('ignores what is not a candidate of the call', async () => {
    const stranger: DispatchCandidate = candidate('x', KIND, { execute: () => 'x' });
    const { engine } = engineWith([
      {
        name: 'gov',
        priority: 1000,
        kinds: ['*'],
        hooks: ['*'],
        filter: (_k, _h, candidates) => [stranger, ...candidates.filter((c) => c.name === 'b')],
      },
    ]);
    await expect(engine.call(KIND, 'execute', {})).resolves.toBe('b');
  });
});
