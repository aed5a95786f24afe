// The dispatcher typing the docs' TypeScript tabs rely on (concepts/dispatch,
// guides/dispatchers/*, guides/testing, intro): result types per class, the
// capability routing fields beside the payload type, and `instance`.
import { describe, expectTypeOf, it } from 'vitest';
import {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  type CapabilityInput,
  type CapabilityRequest,
  ChainDispatcher,
  type DispatchCandidate,
  SingletonDispatcher,
} from '../src/index.js';

declare const registry: { getLoadedPlugins(): DispatchCandidate[] };
declare const plugins: readonly DispatchCandidate[];

type ChargeInput = { amountCents: number; currency: string; source: string };
type ChargeOutput = { transactionId: string };

describe('dispatch result types (docs snippets)', () => {
  it('singleton: typed and untyped', () => {
    const payment = new SingletonDispatcher<ChargeInput, ChargeOutput>('payment_provider');
    expectTypeOf(
      payment.dispatch(registry.getLoadedPlugins(), 'charge', {
        amountCents: 1999,
        currency: 'USD',
        source: 'tok_visa',
      }),
    ).toEqualTypeOf<Promise<ChargeOutput>>();
    // @ts-expect-error the input type is checked
    void payment.dispatch(plugins, 'charge', { amountCents: '1999' });
    const untyped = new SingletonDispatcher('payment_provider');
    expectTypeOf(
      untyped.dispatch(plugins, 'complete', { prompt: 'Hello', temperature: 0.7 }),
    ).toEqualTypeOf<Promise<unknown>>();
    const echo = new SingletonDispatcher<{ msg: string }, { echoed: string }>('tool');
    expectTypeOf(echo.dispatch(plugins, 'execute', { msg: 'hi' })).resolves.toEqualTypeOf<{
      echoed: string;
    }>();
  });

  it('broadcast_collect: one value per plugin', () => {
    type ToolDef = { name: string; description: string };
    const tools = new BroadcastCollectDispatcher<unknown, ToolDef[]>('tool_provider');
    const lists = tools.dispatch(plugins, 'list_tools', null);
    expectTypeOf(lists).toEqualTypeOf<Promise<ToolDef[][]>>();
    expectTypeOf<Awaited<typeof lists>>().toEqualTypeOf<ToolDef[][]>();
  });

  it('chain: the value type in and out', () => {
    type Query = { text: string; tenantId: string };
    const chain = new ChainDispatcher<Query>('query_rewriter');
    const original: Query = { text: 'q', tenantId: 't' };
    expectTypeOf(chain.dispatch(plugins, 'rewrite', original)).toEqualTypeOf<Promise<Query>>();
  });

  it('broadcast_notify: void, any event', () => {
    const notifier = new BroadcastNotifyDispatcher('lifecycle_listener');
    expectTypeOf(
      notifier.dispatch(plugins, 'onRequestStarted', { requestId: 'r', path: '/', actor: 'a' }),
    ).toEqualTypeOf<Promise<void>>();
  });

  it('capability: the routing fields ride beside the payload type', () => {
    type ChunkPayload = { language?: string; extension?: string; content: string };
    type ChunkResult = { chunks: string[] };
    const chunker = new CapabilityDispatcher<ChunkPayload, ChunkResult>('chunker');
    expectTypeOf(
      chunker.dispatch(plugins, 'chunk', {
        language: 'python',
        content: 'def hello(): ...',
        capabilities: { required: ['lang:python'] },
      }),
    ).toEqualTypeOf<Promise<ChunkResult>>();
    void chunker.dispatch(plugins, 'chunk', {
      extension: '.md',
      content: '# Hello',
      capabilities: { required: [] },
    });
    void chunker.dispatch(plugins, 'chunk', { content: 'x', capabilities: ['lang:python'] });
    void chunker.dispatch(plugins, 'chunk', { content: 'x', mimeType: 'text/x-python' });
    // @ts-expect-error the payload's own fields are still required
    void chunker.dispatch(plugins, 'chunk', { language: 'python' });
    // @ts-expect-error unknown fields are still excess properties
    void chunker.dispatch(plugins, 'chunk', { content: 'x', capability: ['lang:python'] });
    // @ts-expect-error capability tags are strings
    void chunker.dispatch(plugins, 'chunk', { content: 'x', capabilities: { required: [1] } });

    // Untyped and non-object inputs are left as they are (route with `selector`).
    void new CapabilityDispatcher('chunker').dispatch(plugins, 'chunk', null);
    void new CapabilityDispatcher<string, string>('chunker').dispatch(plugins, 'chunk', 'x', {
      selector: { extension: '.py' },
    });
    expectTypeOf<CapabilityInput<unknown>>().toEqualTypeOf<unknown>();
    expectTypeOf<CapabilityInput<string>>().toEqualTypeOf<string>();
    expectTypeOf<CapabilityInput<ChunkPayload>>().toEqualTypeOf<ChunkPayload & CapabilityRequest>();
  });
});

describe('DispatchCandidate.instance', () => {
  it('is an optional object (the docs reach an in-process plugin through it)', () => {
    expectTypeOf<DispatchCandidate['instance']>().toEqualTypeOf<object | undefined>();
    const loaded = registry.getLoadedPlugins().find((p) => p.manifest.name === 'internal');
    const charge =
      // biome-ignore lint/correctness/noUnsafeOptionalChaining: the docs' own snippet, kept as written.
      (loaded?.instance as { charge: (i: ChargeInput) => Promise<ChargeOutput> }).charge;
    expectTypeOf(charge).returns.resolves.toEqualTypeOf<ChargeOutput>();
  });
});
