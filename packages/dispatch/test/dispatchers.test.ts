import { DispatchMismatch, isKindUnknown, PluginRegistryError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  ChainDispatcher,
  SingletonDispatcher,
} from '../src/index.js';
import { candidate, deferred, kindSpec, pluginsOf } from './helpers.js';

describe('spec-named dispatchers', () => {
  it('ignore plugins of other kinds and follow changes of the list', async () => {
    const dispatcher = new SingletonDispatcher<null, string>('llm', { env: {} });
    const a = candidate('a', 'llm', { complete: () => 'a' }, { manifest: { priority: 1 } });
    const b = candidate('b', 'llm', { complete: () => 'b' }, { manifest: { priority: 2 } });
    const tool = candidate(
      'zzz',
      'tool',
      { complete: () => 'tool' },
      { manifest: { priority: 99 } },
    );
    expect(await dispatcher.dispatch([a, tool], 'complete', null)).toBe('a');
    expect(await dispatcher.dispatch([a, tool], 'complete', null)).toBe('a');
    expect(await dispatcher.dispatch([a, b, tool], 'complete', null)).toBe('b');
    expect(await dispatcher.dispatch([a], 'complete', null)).toBe('a');
  });

  it('check the hookspec when one is given: DispatchMismatch and KindUnknown', async () => {
    const spec = kindSpec('query_rewriter', {
      rewrite: { dispatch: 'chain' },
      describe: { dispatch: 'broadcast_collect' },
    });
    const chain = new ChainDispatcher<string>('query_rewriter', { spec, env: {} });
    const plugin = candidate('up', 'query_rewriter', {
      rewrite: (q) => String(q).toUpperCase(),
      describe: () => 'up',
    });
    expect(await chain.dispatch([plugin], 'rewrite', 'q')).toBe('Q');
    const mismatch = await chain.dispatch([plugin], 'describe', 'q').catch((e) => e);
    expect(mismatch).toBeInstanceOf(DispatchMismatch);
    expect((mismatch as DispatchMismatch).expected).toBe('broadcast_collect');
    expect((mismatch as DispatchMismatch).actual).toBe('chain');
    await expect(chain.dispatch([plugin], 'nope', 'q')).rejects.toSatisfy(isKindUnknown);
    expect(() => new ChainDispatcher('other', { spec })).toThrow(PluginRegistryError);
  });

  it('broadcast_collect offers values, entries and a best-effort form', async () => {
    const dispatcher = new BroadcastCollectDispatcher<null, string>('tool_provider');
    const ok = candidate(
      'ok',
      'tool_provider',
      { list: () => 'ok' },
      { manifest: { priority: 2 } },
    );
    const bad = candidate('bad', 'tool_provider', {
      list: () => {
        throw new Error('nope');
      },
    });
    expect(await dispatcher.dispatch([ok], 'list', null)).toEqual(['ok']);
    expect(pluginsOf(await dispatcher.dispatchEntries([ok], 'list', null))).toEqual(['ok']);
    const settled = await dispatcher.dispatchSettled([ok, bad], 'list', null);
    expect(settled.results).toEqual([{ plugin: 'ok', value: 'ok' }]);
    expect(settled.errors?.errors.map((e) => e.plugin)).toEqual(['bad']);
    await expect(dispatcher.dispatch([ok, bad], 'list', null)).rejects.toThrow('nope');
  });

  it('broadcast_notify resolves at once and exposes settled()', async () => {
    const gate = deferred<void>();
    let done = false;
    const notifier = new BroadcastNotifyDispatcher('events');
    const listener = candidate('l', 'events', {
      on: async () => {
        await gate.promise;
        done = true;
      },
    });
    await notifier.dispatch([listener], 'on', {});
    expect(done).toBe(false);
    expect(notifier.inFlightNotifications()).toBe(1);
    gate.resolve();
    await notifier.settled();
    expect(done).toBe(true);
  });

  it('apply middleware given in the options', async () => {
    const log: string[] = [];
    const dispatcher = new CapabilityDispatcher<{ extension: string }, string>('chunker', {
      middleware: [
        {
          name: 'audit',
          priority: 1000,
          kinds: ['chunker'],
          hooks: ['*'],
          before: (call) => {
            log.push(call.name);
            return undefined;
          },
        },
      ],
    });
    const md = candidate(
      'md',
      'chunker',
      { chunk: () => 'md' },
      {
        manifest: { supports_extensions: ['.md'] },
      },
    );
    expect(await dispatcher.dispatch([md], 'chunk', { extension: '.md' })).toBe('md');
    expect(log).toEqual(['md']);
  });
});
