import type { HookCall } from '@dagstack/plugin-api';
import { isPluginRegistryError, type PluginRegistryError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { type DispatchCandidate, DispatchEngine, type Middleware } from '../src/index.js';
import { candidate, type HandleMode, kindSpec, MODES } from './helpers.js';

const KIND = 'tool';

class PermissionDenied extends Error {}

function engineWith(candidates: DispatchCandidate[], middleware: Middleware[]): DispatchEngine {
  const engine = new DispatchEngine({ env: {} });
  engine.registerKind(
    kindSpec(KIND, {
      execute: { dispatch: 'singleton' },
      pick: { dispatch: 'capability' },
      rewrite: { dispatch: 'chain' },
      list: { dispatch: 'broadcast_collect' },
      notify: { dispatch: 'broadcast_notify' },
    }),
  );
  engine.registerKind(kindSpec('other', { execute: { dispatch: 'singleton' } }));
  engine.setCandidates(KIND, candidates);
  engine.setMiddleware(middleware);
  return engine;
}

function recorder(
  name: string,
  priority: number,
  log: string[],
  scope: Partial<Pick<Middleware, 'kinds' | 'hooks'>> = {},
): Middleware {
  return {
    name,
    priority,
    kinds: scope.kinds ?? ['*'],
    hooks: scope.hooks ?? ['*'],
    before: (call: HookCall, args: unknown) => {
      log.push(`before:${name}:${call.kind}.${call.name}.${call.hook}`);
      return args;
    },
    after: (_call: HookCall, result: unknown) => {
      log.push(`after:${name}`);
      return result;
    },
  };
}

describe.each(MODES)('middleware (%s handle)', (mode: HandleMode) => {
  const echo = (name: string, extra: Record<string, unknown> = {}): DispatchCandidate =>
    candidate(
      name,
      KIND,
      {
        execute: (input) => ({ by: name, input }),
        pick: () => name,
        rewrite: (input) => `${String(input)}>${name}`,
        list: () => name,
        notify: () => undefined,
      },
      { mode, manifest: extra },
    );

  it('runs before in priority order and after in reverse around a singleton', async () => {
    const log: string[] = [];
    const engine = engineWith(
      [echo('target')],
      [
        recorder('quota', 1000, log),
        recorder('governance', 2000, log),
        recorder('audit', 1000, log),
      ],
    );
    await engine.call(KIND, 'execute', {});
    expect(log).toEqual([
      'before:governance:tool.target.execute',
      'before:audit:tool.target.execute',
      'before:quota:tool.target.execute',
      'after:quota',
      'after:audit',
      'after:governance',
    ]);
  });

  it('lets before rewrite the args and after replace the result; undefined keeps them', async () => {
    const engine = engineWith(
      [echo('target')],
      [
        {
          name: 'rewriter',
          priority: 1500,
          kinds: ['*'],
          hooks: ['execute'],
          before: (_call, args) => ({ ...(args as object), enriched: true }),
          after: () => undefined,
        },
        {
          name: 'redactor',
          priority: 1000,
          kinds: [KIND],
          hooks: ['*'],
          before: async () => undefined,
          after: async (_call, result) => ({ ...(result as object), redacted: true }),
        },
      ],
    );
    expect(await engine.call(KIND, 'execute', { q: 1 })).toEqual({
      by: 'target',
      input: { q: 1, enriched: true },
      redacted: true,
    });
  });

  it('aborts the call when before throws; the error reaches the caller as thrown', async () => {
    const log: string[] = [];
    let called = false;
    const denied = new PermissionDenied('actor may not execute');
    const engine = engineWith(
      [
        candidate(
          'target',
          KIND,
          {
            execute: () => {
              called = true;
              return 1;
            },
          },
          { mode },
        ),
      ],
      [
        {
          name: 'governance',
          priority: 2000,
          kinds: ['*'],
          hooks: ['*'],
          before: (call) => {
            if (call.metadata.actor !== 'admin') throw denied;
            return undefined;
          },
        },
        recorder('quota', 1000, log),
      ],
    );
    await expect(engine.call(KIND, 'execute', {}, { metadata: { actor: 'guest' } })).rejects.toBe(
      denied,
    );
    expect(called).toBe(false);
    expect(log).toEqual([]);
    expect(await engine.call(KIND, 'execute', {}, { metadata: { actor: 'admin' } })).toBe(1);
  });

  it('only wraps the kinds and hooks it declares', async () => {
    const log: string[] = [];
    const engine = engineWith(
      [echo('target')],
      [
        recorder('scoped', 1000, log, { kinds: ['other'], hooks: ['*'] }),
        recorder('hook-only', 1001, log, { hooks: ['pick'] }),
      ],
    );
    await engine.call(KIND, 'execute', {});
    expect(log).toEqual([]);
    await engine.call(KIND, 'pick', {});
    expect(log).toEqual(['before:hook-only:tool.target.pick', 'after:hook-only']);
  });

  it('wraps chain, broadcast_collect and broadcast_notify once, with name "*"', async () => {
    const log: string[] = [];
    const engine = engineWith([echo('a'), echo('b')], [recorder('obs', 1000, log)]);
    expect(await engine.call(KIND, 'rewrite', 'q')).toBe('q>a>b');
    await engine.call(KIND, 'list', null);
    await engine.call(KIND, 'notify', null);
    await engine.settled();
    expect(log).toEqual([
      'before:obs:tool.*.rewrite',
      'after:obs',
      'before:obs:tool.*.list',
      'after:obs',
      'before:obs:tool.*.notify',
      'after:obs',
    ]);
  });

  it('wraps capability dispatch with the chosen plugin named', async () => {
    const log: string[] = [];
    const engine = engineWith(
      [
        echo('md', { supports_extensions: ['.md'] }),
        echo('other', { supports_extensions: ['.py'] }),
      ],
      [recorder('obs', 1000, log)],
    );
    expect(await engine.call(KIND, 'pick', { extension: '.md' })).toBe('md');
    expect(log[0]).toBe('before:obs:tool.md.pick');
  });

  it('gives middleware the call metadata', async () => {
    const seen: unknown[] = [];
    const engine = engineWith(
      [echo('target')],
      [
        {
          name: 'quota',
          priority: 1000,
          kinds: ['*'],
          hooks: ['*'],
          before: (call) => {
            seen.push(call.metadata.quota_budget);
            return undefined;
          },
        },
      ],
    );
    await engine.call(KIND, 'execute', {}, { metadata: { quota_budget: { tokens: 5 } } });
    expect(seen).toEqual([{ tokens: 5 }]);
  });

  it('picks up setMiddleware changes on the next call', async () => {
    const log: string[] = [];
    const engine = engineWith([echo('target')], []);
    await engine.call(KIND, 'execute', {});
    engine.setMiddleware([recorder('late', 1000, log)]);
    await engine.call(KIND, 'execute', {});
    expect(log).toHaveLength(2);
    engine.setMiddleware([]);
    await engine.call(KIND, 'execute', {});
    expect(log).toHaveLength(2);
  });
});

describe('middleware registration', () => {
  it('refuses middleware below priority 1000', () => {
    const engine = new DispatchEngine();
    let error: unknown;
    try {
      engine.setMiddleware([{ name: 'sneaky', priority: 999, kinds: ['*'], hooks: ['*'] }]);
    } catch (e) {
      error = e;
    }
    expect(isPluginRegistryError(error)).toBe(true);
    expect((error as PluginRegistryError).plugin).toBe('sneaky');
  });

  it('never treats chain_wrap plugins as business candidates', async () => {
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(kindSpec(KIND, { execute: {} }));
    engine.setCandidates(KIND, [
      candidate('biz', KIND, { execute: () => 'biz' }),
      candidate(
        'wrap',
        KIND,
        { execute: () => 'wrap' },
        {
          manifest: { priority: 1000, chain_wrap: { kinds: ['*'], hooks: ['*'] } },
        },
      ),
    ]);
    expect(await engine.call(KIND, 'execute', {})).toBe('biz');
  });
});
