// Resources, prompts, completions and logging of third-party MCP servers
// passed through the gateway: unchanged in front of one server, merged and
// routed in front of several, subscriptions and log levels shared correctly
// between gateway sessions. Third-party servers are the SDK's McpServer and
// Server; clients are the SDK's stock Client.
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  ReadResourceRequestSchema,
  ResourceUpdatedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  ToolListChangedNotificationSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { WireSession } from '../src/index.js';
import { closeAll, gateway, loadPlain, RAW, standIn, until } from './gateway-fixture.js';

afterEach(closeAll);

/** A third-party server with resources, a template, a prompt, completions and logging. */
function docsServer(name: string) {
  const seen = {
    subscribed: [] as string[],
    unsubscribed: [] as string[],
    levels: [] as string[],
  };
  const mcp = new McpServer(
    { name, version: '1.0.0' },
    {
      capabilities: { logging: {}, resources: { subscribe: true } },
      instructions: `${name}: read the readme first`,
    },
  );
  mcp.registerTool('noop', { description: 'does nothing' }, async () => ({ content: [] }));
  mcp.registerResource(
    'readme',
    `${name}://readme`,
    { title: 'Read me', mimeType: 'text/markdown' },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: `# ${name}` }],
    }),
  );
  mcp.registerResource(
    'user',
    new ResourceTemplate(`${name}://users/{id}`, {
      list: undefined,
      complete: { id: (value) => ['1', '2', '10'].filter((id) => id.startsWith(value)) },
    }),
    { description: 'one user' },
    async (uri, { id }) => ({
      contents: [{ uri: uri.href, text: `user ${String(id)} of ${name}` }],
    }),
  );
  mcp.registerPrompt(
    'greet',
    {
      title: 'Greet',
      description: 'Say hello to someone',
      argsSchema: {
        who: completable(z.string(), (value) =>
          ['Ada', 'Alan', 'Bob'].filter((w) => w.startsWith(value)),
        ),
      },
    },
    ({ who }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `${name} greets ${who}` } }],
    }),
  );
  mcp.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    seen.subscribed.push(request.params.uri);
    return {};
  });
  mcp.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    seen.unsubscribed.push(request.params.uri);
    return {};
  });
  // Record the level; this server then sends every message (the gateway filters).
  mcp.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    seen.levels.push(request.params.level);
    return {};
  });
  return { mcp, seen };
}

/** A low-level server listing `count` resources `page` at a time; reads any URI. */
function pagedServer(name: string, count: number, page: number): Server {
  const server = new Server(
    { name, version: '1.0.0' },
    { capabilities: { tools: {}, resources: {} } },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }));
  server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [] }));
  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const from = Number(request.params?.cursor ?? 0);
    const resources = Array.from({ length: count }, (_, i) => ({
      uri: `${name}://item/${i + 1}`,
      name: `item ${i + 1}`,
    })).slice(from, from + page);
    return {
      resources,
      ...(from + page < count ? { nextCursor: String(from + page) } : {}),
    };
  });
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => ({
    contents: [{ uri: request.params.uri, text: `${name} has ${request.params.uri}` }],
  }));
  return server;
}

/** The same request straight to the third-party server, for comparison. */
function direct(session: WireSession, method: string, params: Record<string, unknown> = {}) {
  return session.request({ method, params });
}

describe('in front of one server the gateway is transparent', () => {
  it('announces what the server announces and passes every request through unchanged', async () => {
    const docs = docsServer('docs');
    const { session } = await loadPlain('docs', docs.mcp);
    const { client } = await gateway(standIn({ docs: session }));
    expect(client.getServerCapabilities()).toMatchObject({
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    });
    expect(client.getInstructions()).toBe('docs: read the readme first');
    const same = async (method: string, params: Record<string, unknown> = {}) => {
      const through = await client.request({ method, params } as never, RAW);
      expect(through).toEqual(await direct(session, method, params));
      return through as Record<string, unknown>;
    };
    const listed = await same('resources/list');
    expect(listed.resources).toEqual([
      { uri: 'docs://readme', name: 'readme', title: 'Read me', mimeType: 'text/markdown' },
    ]);
    await same('resources/templates/list');
    const readme = await same('resources/read', { uri: 'docs://readme' });
    expect(readme.contents).toEqual([
      { uri: 'docs://readme', mimeType: 'text/markdown', text: '# docs' },
    ]);
    await same('resources/read', { uri: 'docs://users/7' });
    const prompts = await same('prompts/list');
    expect((prompts.prompts as { name: string }[]).map((p) => p.name)).toEqual(['greet']);
    const prompt = await same('prompts/get', { name: 'greet', arguments: { who: 'Ada' } });
    expect(prompt.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'docs greets Ada' } },
    ]);
    const names = await same('completion/complete', {
      ref: { type: 'ref/prompt', name: 'greet' },
      argument: { name: 'who', value: 'A' },
    });
    expect((names.completion as { values: string[] }).values).toEqual(['Ada', 'Alan']);
    const ids = await same('completion/complete', {
      ref: { type: 'ref/resource', uri: 'docs://users/{id}' },
      argument: { name: 'id', value: '1' },
    });
    expect((ids.completion as { values: string[] }).values).toEqual(['1', '10']);
    // A server error arrives with its code, message and data as sent.
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: { code: number; message: string; data: unknown }) => ({
          code: error.code,
          message: error.message,
          data: error.data,
        }),
      );
    const through = await failure(client.readResource({ uri: 'docs://nothing' }));
    expect(through?.message).toMatch(/Resource docs:\/\/nothing not found/);
    expect(through).toEqual(
      await failure(direct(session, 'resources/read', { uri: 'docs://nothing' })),
    );
  });

  it('in front of a tools-only server it announces no resources, prompts or logging', async () => {
    const { session } = await loadPlain('bare', pagedServer('bare', 0, 1));
    const server = new Server(
      { name: 'tools-only', version: '1' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }));
    const { session: toolsOnly } = await loadPlain('plain', server);
    const { client } = await gateway(standIn({ plain: toolsOnly }));
    expect(client.getServerCapabilities()).toEqual({ tools: {} });
    await expect(client.listResources()).rejects.toThrow(/Method not found/);
    await expect(client.listPrompts()).rejects.toThrow(/Method not found/);
    // And a registry without peers() serves tools only, as before.
    const { client: noPeers } = await gateway(standIn({ bare: session }, { peers: false }));
    expect(noPeers.getServerCapabilities()).toEqual({ tools: {} });
  });

  it('log messages reach the client at the level it set; resource updates only for what it subscribed', async () => {
    const docs = docsServer('docs');
    const { session } = await loadPlain('docs', docs.mcp);
    const { client } = await gateway(standIn({ docs: session }));
    const logs: unknown[] = [];
    const updates: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params.data);
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client.setLoggingLevel('warning');
    expect(docs.seen.levels).toEqual(['warning']);
    await docs.mcp.server.sendLoggingMessage({ level: 'info', data: 'too chatty' });
    await docs.mcp.server.sendLoggingMessage({ level: 'error', data: 'disk full' });
    await until(() => logs.length > 0);
    expect(logs).toEqual(['disk full']);
    await client.subscribeResource({ uri: 'docs://readme' });
    expect(docs.seen.subscribed).toEqual(['docs://readme']);
    await docs.mcp.server.sendResourceUpdated({ uri: 'docs://users/1' });
    await docs.mcp.server.sendResourceUpdated({ uri: 'docs://readme' });
    await until(() => updates.length > 0);
    expect(updates).toEqual(['docs://readme']);
    await client.unsubscribeResource({ uri: 'docs://readme' });
    expect(docs.seen.unsubscribed).toEqual(['docs://readme']);
  });

  it('gateway sessions share the server: subscriptions are counted, the most verbose level wins, a closed session lets go', async () => {
    const docs = docsServer('docs');
    const { session } = await loadPlain('docs', docs.mcp);
    const registry = standIn({ docs: session });
    const open = async () => {
      const { client } = await gateway(registry);
      const logs: unknown[] = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        logs.push(n.params.data);
      });
      return { client, logs };
    };
    const a = await open();
    const b = await open();
    await a.client.setLoggingLevel('debug');
    await b.client.setLoggingLevel('error');
    // The server keeps sending what the most verbose session wants.
    expect(docs.seen.levels).toEqual(['debug']);
    await docs.mcp.server.sendLoggingMessage({ level: 'info', data: 'fyi' });
    await docs.mcp.server.sendLoggingMessage({ level: 'critical', data: 'fire' });
    await until(() => a.logs.length === 2 && b.logs.length === 1);
    expect(a.logs).toEqual(['fyi', 'fire']);
    expect(b.logs).toEqual(['fire']);
    await a.client.subscribeResource({ uri: 'docs://readme' });
    await b.client.subscribeResource({ uri: 'docs://readme' });
    expect(docs.seen.subscribed).toEqual(['docs://readme']);
    // A lets go while B holds it: the server keeps the subscription.
    await a.client.unsubscribeResource({ uri: 'docs://readme' });
    expect(docs.seen.unsubscribed).toEqual([]);
    await a.client.subscribeResource({ uri: 'docs://readme' });
    expect(docs.seen.subscribed).toEqual(['docs://readme']);
    await a.client.close();
    await b.client.unsubscribeResource({ uri: 'docs://readme' });
    expect(docs.seen.unsubscribed).toEqual(['docs://readme']);
    // B closing with a subscription held releases it upstream.
    await b.client.subscribeResource({ uri: 'docs://users/2' });
    await b.client.close();
    await until(() => docs.seen.unsubscribed.length === 2);
    expect(docs.seen.unsubscribed).toEqual(['docs://readme', 'docs://users/2']);
  });

  it("a server's tools/list_changed reaches the client and the new tool is listed", async () => {
    const docs = docsServer('docs');
    const { session } = await loadPlain('docs', docs.mcp);
    const { client } = await gateway(standIn({ docs: session }), {}, { dispatchTools: false });
    const names = async () => (await client.listTools()).tools.map((t) => t.name);
    expect(await names()).toEqual(['tool.docs.execute.noop']);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    docs.mcp.registerTool('later', { description: 'added later' }, async () => ({ content: [] }));
    await until(() => changed === 1);
    expect(await names()).toEqual(['tool.docs.execute.noop', 'tool.docs.execute.later']);
  });
});

describe('in front of several servers', () => {
  it('prompt names are unique per plugin and reach their own server', async () => {
    const alpha = docsServer('alpha');
    const beta = docsServer('beta');
    const { session: a } = await loadPlain('alpha', alpha.mcp);
    const { session: b } = await loadPlain('beta', beta.mcp);
    const { client } = await gateway(standIn({ beta: b, alpha: a }));
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['alpha.greet', 'beta.greet']);
    expect(prompts[1]).toMatchObject({ title: 'Greet', description: 'Say hello to someone' });
    const got = await client.getPrompt({ name: 'beta.greet', arguments: { who: 'Ada' } });
    expect(got.messages[0]?.content).toEqual({ type: 'text', text: 'beta greets Ada' });
    const done = await client.complete({
      ref: { type: 'ref/prompt', name: 'alpha.greet' },
      argument: { name: 'who', value: 'B' },
    });
    expect(done.completion.values).toEqual(['Bob']);
    await expect(client.getPrompt({ name: 'greet' })).rejects.toThrow(/Prompt greet not found/);
    expect(client.getInstructions()).toBe(
      '## beta\n\nbeta: read the readme first\n\n## alpha\n\nalpha: read the readme first',
    );
  });

  it('resource lists are merged page by page and reads go to the server that has the URI', async () => {
    const alpha = docsServer('alpha');
    const { session: a } = await loadPlain('alpha', alpha.mcp);
    const { session: g } = await loadPlain('gamma', pagedServer('gamma', 3, 2));
    const { client } = await gateway(standIn({ alpha: a, gamma: g }));
    // Only alpha offers prompts: its names stay as they are.
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['greet']);
    const first = await client.listResources();
    expect(first.resources.map((r) => r.uri)).toEqual([
      'alpha://readme',
      'gamma://item/1',
      'gamma://item/2',
    ]);
    expect(first.nextCursor).toBeTypeOf('string');
    const second = await client.listResources({ cursor: first.nextCursor });
    expect(second.resources.map((r) => r.uri)).toEqual(['gamma://item/3']);
    expect(second.nextCursor).toBeUndefined();
    const item = await client.readResource({ uri: 'gamma://item/3' });
    expect(item.contents[0]).toMatchObject({ text: 'gamma has gamma://item/3' });
    const readme = await client.readResource({ uri: 'alpha://readme' });
    expect(readme.contents[0]).toMatchObject({ text: '# alpha' });
    // Not listed, but alpha's template matches it.
    await client.listResourceTemplates();
    const user = await client.readResource({ uri: 'alpha://users/5' });
    expect(user.contents[0]).toMatchObject({ text: 'user 5 of alpha' });
    // Listed nowhere: the first server that has it.
    const other = await client.readResource({ uri: 'gamma://elsewhere' });
    expect(other.contents[0]).toMatchObject({ text: 'gamma has gamma://elsewhere' });
    await expect(client.listResources({ cursor: 'garbage' })).rejects.toThrow(/invalid cursor/);
  });
});
