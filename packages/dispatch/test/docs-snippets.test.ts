// The TypeScript snippets of the docs' dispatch pages (concepts/dispatch and
// guides/dispatchers/*), re-typed against this package. `registry.getLoadedPlugins()`
// is a local array of DispatchCandidate built from the docs' plugin classes.
import type { HookCall } from '@dagstack/plugin-api';
import { isPluginInvocationError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  ChainDispatcher,
  type DispatchCandidate,
  SingletonDispatcher,
} from '../src/index.js';
import { manifest } from './helpers.js';

function camel(hook: string): string {
  return hook.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * An in-process handle over a class instance, as the registry's in-process
 * runtime gives one: `list_tools` finds `list_tools` or `listTools`.
 */
function loaded(instance: object, fields: Record<string, unknown>): DispatchCandidate {
  const methods = new Set<string>();
  for (let proto = Object.getPrototypeOf(instance); proto !== Object.prototype; ) {
    for (const key of Object.getOwnPropertyNames(proto))
      if (key !== 'constructor') methods.add(key);
    proto = Object.getPrototypeOf(proto);
  }
  const table = instance as Record<string, (input: unknown, call: HookCall) => unknown>;
  const hooks = new Set<string>();
  for (const m of methods) {
    hooks.add(m);
    hooks.add(m.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  }
  const m = manifest(fields);
  return {
    name: m.name,
    kind: m.kind,
    manifest: m,
    instance,
    handle: {
      hooks,
      invoke: async (hook, input, call) => {
        const fn = table[hook] ?? table[camel(hook)];
        if (fn === undefined) throw new Error(`no method for ${hook}`);
        return fn.call(instance, input, call);
      },
    },
  };
}

describe('concepts/dispatch.mdx', () => {
  it('constructs the five dispatchers and calls the singleton', async () => {
    class OpenAiCompatible {
      complete(input: { prompt: string; temperature: number }): string {
        return `echo ${input.prompt} @${input.temperature}`;
      }
    }
    const plugins = [loaded(new OpenAiCompatible(), { name: 'openai_compatible', kind: 'llm' })];
    const registry = { getLoadedPlugins: (): DispatchCandidate[] => plugins };

    // Five dispatch classes — ADR-0002 §"Hook invocation semantics".
    const singleton = new SingletonDispatcher('llm');
    const broadcastCollect = new BroadcastCollectDispatcher('tool_provider');
    const broadcastNotify = new BroadcastNotifyDispatcher('lifecycle_listener');
    const chain = new ChainDispatcher('query_rewriter');
    const capability = new CapabilityDispatcher('chunker');

    const result = await singleton.dispatch(registry.getLoadedPlugins(), 'complete', {
      prompt: 'Hello',
      temperature: 0.7,
    });
    expect(result).toBe('echo Hello @0.7');
    expect(
      [broadcastCollect, broadcastNotify, chain, capability].map((d) => d.dispatchClass),
    ).toEqual(['broadcast_collect', 'broadcast_notify', 'chain', 'capability']);
  });
});

describe('guides/dispatchers/singleton.mdx', () => {
  type ChargeInput = { amountCents: number; currency: string; source: string };
  type ChargeOutput = { transactionId: string; provider: string };

  class StripeProvider {
    async charge(input: ChargeInput): Promise<ChargeOutput> {
      return { transactionId: `tx_stripe_${input.amountCents}`, provider: 'stripe' };
    }
  }
  class InternalProvider {
    async charge(input: ChargeInput): Promise<ChargeOutput> {
      return { transactionId: `tx_internal_${input.amountCents}`, provider: 'internal' };
    }
  }
  const plugins = [
    loaded(new StripeProvider(), { name: 'stripe', kind: 'payment_provider', priority: 50 }),
    loaded(new InternalProvider(), { name: 'internal', kind: 'payment_provider', priority: 10 }),
  ];
  const registry = { getLoadedPlugins: (): DispatchCandidate[] => plugins };

  it('dispatches to the highest-priority provider', async () => {
    const payment = new SingletonDispatcher<ChargeInput, ChargeOutput>('payment_provider');
    const result = await payment.dispatch(registry.getLoadedPlugins(), 'charge', {
      amountCents: 1999,
      currency: 'USD',
      source: 'tok_visa',
    });
    expect(result.transactionId).toBe('tx_stripe_1999');
  });

  it('picks a specific plugin explicitly through the loaded instance', async () => {
    const loadedInternal = registry.getLoadedPlugins().find((p) => p.manifest.name === 'internal');
    const directResult =
      await // biome-ignore lint/correctness/noUnsafeOptionalChaining: the docs' own snippet, kept as written.
      (loadedInternal?.instance as { charge: (i: ChargeInput) => Promise<ChargeOutput> }).charge({
        amountCents: 1999,
        currency: 'USD',
        source: 'tok_visa',
      });
    expect(directResult.provider).toBe('internal');
    // The same through dispatch: `target` is what registry.getPlugin(kind, name) uses.
    const payment = new SingletonDispatcher<ChargeInput, ChargeOutput>('payment_provider');
    const viaTarget = await payment.dispatch(
      registry.getLoadedPlugins(),
      'charge',
      { amountCents: 1, currency: 'USD', source: 'tok' },
      { target: 'internal' },
    );
    expect(viaTarget.provider).toBe('internal');
  });
});

describe('guides/dispatchers/broadcast-collect.mdx', () => {
  type Tool = { name: string; description: string };

  class FilesystemToolProvider {
    listTools(): Tool[] {
      return [
        { name: 'read_file', description: 'Read a file' },
        { name: 'write_file', description: 'Write a file' },
      ];
    }
  }
  class WebToolProvider {
    listTools(): Tool[] {
      return [
        { name: 'http_get', description: 'Fetch a URL' },
        { name: 'search', description: 'Search the web' },
      ];
    }
  }

  it('collects every provider in priority order and flattens', async () => {
    const plugins = [
      loaded(new WebToolProvider(), { name: 'web', kind: 'tool_provider', priority: 40 }),
      loaded(new FilesystemToolProvider(), {
        name: 'filesystem',
        kind: 'tool_provider',
        priority: 50,
      }),
    ];
    const registry = { getLoadedPlugins: (): DispatchCandidate[] => plugins };
    const configured: Tool[][] = [];
    const agent = { configure: (o: { tools: Tool[] }) => configured.push(o.tools) };

    type ToolDef = { name: string; description: string };

    const dispatcher = new BroadcastCollectDispatcher<unknown, ToolDef[]>('tool_provider');
    const toolsLists = await dispatcher.dispatch(registry.getLoadedPlugins(), 'list_tools', null);
    // toolsLists = [
    //   [{ name: "read_file", ... }, { name: "write_file", ... }],  // filesystem (priority=50)
    //   [{ name: "http_get", ... }, { name: "search", ... }],        // web (priority=40)
    // ]
    const allTools = toolsLists.flat();
    agent.configure({ tools: allTools });

    expect(configured[0]?.map((t) => t.name)).toEqual([
      'read_file',
      'write_file',
      'http_get',
      'search',
    ]);
  });

  it('any failing plugin aborts the call (fail-fast)', async () => {
    class Broken {
      listTools(): Tool[] {
        throw new Error('catalogue unavailable');
      }
    }
    const plugins = [
      loaded(new FilesystemToolProvider(), { name: 'filesystem', kind: 'tool_provider' }),
      loaded(new Broken(), { name: 'web', kind: 'tool_provider' }),
    ];
    const dispatcher = new BroadcastCollectDispatcher<unknown, Tool[]>('tool_provider');
    const error = await dispatcher.dispatch(plugins, 'list_tools', null).catch((e) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as { plugin?: string }).plugin).toBe('web');
  });
});

describe('guides/dispatchers/broadcast-notify.mdx', () => {
  type RequestEvent = { requestId: string; path: string; actor: string };
  type ErrorEvent = { requestId: string; code: string };
  type Counters = { inc(name: string, labels: Record<string, string>): void };
  type Request = { id: string; path: string; user: { id: string } };
  type Response = { status: number };

  it('notifies listeners around a request without blocking it', async () => {
    const counts: string[] = [];
    const lines: string[] = [];
    class MetricsExporter {
      private counters: Counters = { inc: (name) => counts.push(name) };
      onRequestStarted(event: RequestEvent): void {
        this.counters.inc('requests_started_total', { path: event.path });
      }
      onRequestFinished(): void {
        this.counters.inc('requests_finished_total', {});
      }
      onRequestFailed(event: ErrorEvent): void {
        this.counters.inc('requests_failed_total', { error_code: event.code });
      }
    }
    class AuditLogger {
      private logger = { info: (message: string) => lines.push(message) };
      onRequestStarted(event: { requestId: string; actor: string }): void {
        this.logger.info(`request started ${event.requestId} by ${event.actor}`);
      }
      onRequestFinished(event: { requestId: string; durationMs: number }): void {
        this.logger.info(`request finished ${event.requestId}`);
      }
    }
    const plugins = [
      loaded(new MetricsExporter(), { name: 'metrics-exporter', kind: 'lifecycle_listener' }),
      loaded(new AuditLogger(), { name: 'audit-logger', kind: 'lifecycle_listener' }),
    ];
    const registry = { getLoadedPlugins: (): DispatchCandidate[] => plugins };

    const notifier = new BroadcastNotifyDispatcher('lifecycle_listener');

    async function handleRequest(
      request: Request,
      process: (r: Request) => Promise<Response>,
    ): Promise<Response> {
      const startTime = Date.now();
      await notifier.dispatch(registry.getLoadedPlugins(), 'onRequestStarted', {
        requestId: request.id,
        path: request.path,
        actor: request.user.id,
      });
      try {
        const response = await process(request);
        await notifier.dispatch(registry.getLoadedPlugins(), 'onRequestFinished', {
          requestId: request.id,
          durationMs: Date.now() - startTime,
        });
        return response;
      } catch (exc) {
        await notifier.dispatch(registry.getLoadedPlugins(), 'onRequestFailed', {
          requestId: request.id,
          code: exc instanceof Error ? exc.constructor.name : String(exc),
        });
        throw exc;
      }
    }

    const request = { id: 'r-1', path: '/search', user: { id: 'acme-42' } };
    expect(await handleRequest(request, async () => ({ status: 200 }))).toEqual({ status: 200 });
    await expect(
      handleRequest(request, async () => {
        throw new RangeError('bad page');
      }),
    ).rejects.toThrow('bad page');
    await notifier.settled();
    expect(counts.sort()).toEqual([
      'requests_failed_total',
      'requests_finished_total',
      'requests_started_total',
      'requests_started_total',
    ]);
    // AuditLogger has no onRequestFailed: it is simply not called for that hook.
    expect(lines).toEqual([
      'request started r-1 by acme-42',
      'request finished r-1',
      'request started r-1 by acme-42',
    ]);
  });
});

describe('guides/dispatchers/chain.mdx', () => {
  type Query = { text: string; tenantId: string };

  class Normalizer {
    rewrite(query: Query): Query {
      return { ...query, text: query.text.toLowerCase().trim().replace(/\s+/g, ' ') };
    }
  }
  class Synonymizer {
    rewrite(query: Query): Query {
      return { ...query, text: query.text.replace('launch', 'start') };
    }
  }
  class TenantEnricher {
    rewrite(query: Query): Query {
      return { ...query, text: `${query.text} microservices typescript` };
    }
  }
  class Blacklist {
    private static readonly BANNED = ['delete_database', 'rm -rf'];
    async setup(): Promise<void> {}
    rewrite(query: Query): Query {
      const lower = query.text.toLowerCase();
      if (Blacklist.BANNED.some((bad) => lower.includes(bad))) {
        throw new Error('Query blocked by blacklist');
      }
      return query;
    }
  }
  const plugins = [
    loaded(new TenantEnricher(), { name: 'tenant-enricher', kind: 'query_rewriter', priority: 10 }),
    loaded(new Normalizer(), { name: 'normalizer', kind: 'query_rewriter', priority: 90 }),
    loaded(new Synonymizer(), { name: 'synonymizer', kind: 'query_rewriter', priority: 50 }),
  ];
  const registry = { getLoadedPlugins: (): DispatchCandidate[] => plugins };

  it('threads the query through normalizer, synonymizer, tenant-enricher', async () => {
    const dispatcher = new ChainDispatcher<Query>('query_rewriter');
    const original: Query = { text: '  How to LAUNCH dagstack?  ', tenantId: 'acme-corp' };
    const rewritten = await dispatcher.dispatch(registry.getLoadedPlugins(), 'rewrite', original);
    // After normalizer:      { text: "how to launch dagstack?", tenantId: "..." }
    // After synonymizer:     { text: "how to start dagstack?",  ... }
    // After tenant-enricher: { text: "how to start dagstack? microservices typescript", ... }
    expect(rewritten).toEqual({
      text: 'how to start dagstack? microservices typescript',
      tenantId: 'acme-corp',
    });
  });

  it('aborts through a throwing Blacklist; callers wrap dispatch() in try/catch', async () => {
    const dispatcher = new ChainDispatcher<Query>('query_rewriter');
    const withBlacklist = [
      ...registry.getLoadedPlugins(),
      loaded(new Blacklist(), { name: 'blacklist', kind: 'query_rewriter', tryfirst: true }),
    ];
    let blocked: unknown;
    try {
      await dispatcher.dispatch(withBlacklist, 'rewrite', {
        text: 'please rm -rf /',
        tenantId: 'acme-corp',
      });
    } catch (error) {
      blocked = error;
    }
    expect(isPluginInvocationError(blocked)).toBe(true);
    expect((blocked as Error).message).toContain('Query blocked by blacklist');
  });
});

describe('guides/dispatchers/capability.mdx', () => {
  // As the docs have it: `capabilities` is not part of the payload type, the
  // dispatcher accepts it beside (CapabilityRequest).
  type ChunkPayload = { language?: string; extension?: string; content: string };
  type ChunkResult = { chunks: string[] };

  class TreeSitterChunker {
    chunk(input: ChunkInput): ChunkResult {
      return { chunks: input.content.split('\n').filter((l) => l.startsWith('def ')) };
    }
  }
  type ChunkInput = { content: string };
  class FixedChunker {
    chunk(input: ChunkInput): ChunkResult {
      return { chunks: [input.content.slice(0, 4)] };
    }
  }
  const plugins = [
    loaded(new TreeSitterChunker(), {
      name: 'tree-sitter',
      kind: 'chunker',
      priority: 50,
      supports_languages: ['typescript', 'javascript', 'python'],
      supports_extensions: ['.ts', '.js', '.py'],
      capabilities: ['lang:python'],
    }),
    loaded(new FixedChunker(), { name: 'fixed', kind: 'chunker', fallback: true }),
  ];
  const registry = { getLoadedPlugins: (): DispatchCandidate[] => plugins };

  it('routes Python to tree-sitter and Markdown to the fallback', async () => {
    const dispatcher = new CapabilityDispatcher<ChunkPayload, ChunkResult>('chunker');

    // Python file → tree-sitter wins (declares capability "lang:python")
    const result = await dispatcher.dispatch(registry.getLoadedPlugins(), 'chunk', {
      language: 'python',
      content: 'def hello(): ...',
      capabilities: { required: ['lang:python'] },
    });

    // Markdown file → falls back to the `fallback: true` plugin
    const fallbackResult = await dispatcher.dispatch(registry.getLoadedPlugins(), 'chunk', {
      extension: '.md',
      content: '# Hello\n...',
      capabilities: { required: [] },
    });

    expect(result).toEqual({ chunks: ['def hello(): ...'] });
    expect(fallbackResult).toEqual({ chunks: ['# He'] });
  });
});
