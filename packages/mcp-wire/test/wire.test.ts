// Both halves of the wire over the SDK's in-memory transport: a plugin served
// by createPluginServer, a host WireSession, and a third-party McpServer.
import {
  isPluginInvocationError,
  isPluginLoadError,
  type KindSpec,
  type PluginContext,
  type PluginManifest,
  PluginUnavailable,
} from '@dagstack/plugin-api';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  createPluginServer,
  createWireClient,
  openWireSession,
  setupParamsFrom,
  type WireSession,
} from '../src/index.js';

const KIND: KindSpec = {
  kind: 'demo',
  kind_api_version: '1.0.0',
  hooks: [
    { name: 'greet', dispatch: 'singleton', mcp_exposed: true },
    { name: 'stream', dispatch: 'singleton', mcp_exposed: false },
  ],
};
const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [
    { name: 'get_schema', dispatch: 'broadcast_collect', mcp_exposed: false },
    {
      name: 'execute',
      dispatch: 'singleton',
      mcp_exposed: true,
      mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
    },
  ],
};

function manifest(name: string, kind: string): PluginManifest {
  return {
    schema_version: '1',
    name,
    kind,
    kind_api_version: '1',
    core_version: '>=0.1.0',
    runtime: ['mcp_stdio'],
    authors: [],
    capabilities: [],
    priority: 0,
    depends_on: [],
    tryfirst: false,
    trylast: false,
    startup_timeout_sec: 30,
    teardown_timeout_sec: 15,
    health_interval_sec: 30,
    supports_languages: [],
    supports_extensions: [],
    supports_mime_types: [],
    supports: {},
    fallback: false,
    execution_model: 'async',
    in_process_only: false,
    resources: { required: [], optional: ['region', 'clock'] },
    unit_of_work: {
      declared: false,
      partition_key: null,
      estimated_duration_sec: null,
      idempotency_mode: 'none',
      checkpointable: false,
      content_hash: [],
    },
    metadata: {},
    source: 'inline',
  };
}

async function connect(server: { connect(t: InMemoryTransport): Promise<void> }) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = createWireClient();
  await client.connect(clientSide);
  return client;
}

const call = (hook: string) => ({
  kind: 'demo',
  name: 'g',
  hook,
  metadata: { tenant_id: 't' },
  signal: new AbortController().signal,
});

describe('a dagstack plugin server and a host session', () => {
  it('negotiates the capability, sets up with canonical JSON, calls, tears down', async () => {
    const seen: Record<string, unknown> = {};
    const plugin = {
      setup(ctx: PluginContext) {
        seen.config = ctx.config;
        seen.region = ctx.resources.get('region');
        seen.metadata = ctx.metadata;
      },
      greet(input: { who: string }, c: { metadata: unknown }) {
        return { hello: input.who, metadata: c.metadata };
      },
      teardown() {
        seen.tornDown = true;
        return false;
      },
    };
    const served = createPluginServer(plugin, KIND, { name: 'g' });
    const client = await connect(served.server);
    const session = openWireSession({ client, manifest: manifest('g', 'demo'), kindSpec: KIND });
    expect(session.mode).toBe('dagstack');
    expect(session.capability).toMatchObject({ wire_version: '1', plugin: 'g', hooks: ['greet'] });
    const ctx = {
      config: { b: 2, a: { z: 1, y: [1] } },
      metadata: { request_id: 'r-setup' },
      resources: {
        has: (n: string) => n === 'region' || n === 'clock',
        get: (n: string) => (n === 'region' ? 'eu-1' : { now: () => 0 }),
        names: () => ['clock', 'region'],
      },
    } as unknown as PluginContext;
    const params = setupParamsFrom(manifest('g', 'demo'), ctx);
    expect(params.config).toBe('{"a":{"y":[1],"z":1},"b":2}');
    expect(params.resources).toEqual({ region: 'eu-1' });
    expect(params.resources_unavailable).toEqual(['clock']);
    await session.setup(params);
    expect(seen).toEqual({
      config: { a: { y: [1], z: 1 }, b: 2 },
      region: 'eu-1',
      metadata: { request_id: 'r-setup' },
    });
    await expect(session.invoke('greet', { who: 'w' }, call('greet'))).resolves.toEqual({
      hello: 'w',
      metadata: { tenant_id: 't' },
    });
    await expect(session.health()).resolves.toEqual({ status: 'ok' });
    await expect(session.teardown()).resolves.toBe(false);
    expect(seen.tornDown).toBe(true);
    await client.close();
  });

  it('refuses a server that serves an mcp_exposed: false hook, or names another plugin', async () => {
    const both = createPluginServer({ greet: () => 1, stream: () => 2 }, KIND, { name: 'g' });
    const error = (() => {
      try {
        return openWireSession({ client: undefined as never, manifest: manifest('g', 'demo') });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    const client = await connect(both.server);
    expect(() =>
      openWireSession({ client, manifest: manifest('g', 'demo'), kindSpec: KIND }),
    ).toThrow(/"stream", marked mcp_exposed: false/);
    expect(() =>
      openWireSession({ client, manifest: manifest('other', 'demo'), kindSpec: KIND }),
    ).toThrow(/says it is "g"/);
    await client.close();
  });

  it('serves the tool kind as one tool per function, answering get_schema from tools/list', async () => {
    const plugin = {
      get_schema: () => [
        { name: 'up', description: 'Upper-case.', parameters: { type: 'object' } },
      ],
      execute: (input: { function: string; args: { s: string } }) => ({
        result: input.args.s.toUpperCase(),
      }),
    };
    const served = createPluginServer(plugin, TOOL, { name: 'txt' });
    const client = await connect(served.server);
    const session: WireSession = openWireSession({
      client,
      manifest: manifest('txt', 'tool'),
      kindSpec: TOOL,
    });
    expect([...session.hooks].sort()).toEqual(['execute', 'get_schema']);
    await expect(session.invoke('get_schema', {}, call('get_schema'))).resolves.toEqual([
      { name: 'up', description: 'Upper-case.', parameters: { type: 'object' } },
    ]);
    await expect(
      session.invoke('execute', { function: 'up', args: { s: 'a' } }, call('execute')),
    ).resolves.toEqual({ result: 'A' });
    await client.close();
  });
});

describe('a plain MCP server (no dagstack capability)', () => {
  it('is a tool plugin: tools/list -> FunctionSchemas, tools/call -> result / is_error', async () => {
    const server = new McpServer({ name: 'third-party', version: '1.0.0' });
    server.registerTool(
      'shout',
      { description: 'Shout it.', inputSchema: { text: z.string() } },
      async ({ text }) => ({ content: [{ type: 'text', text: `${text}!` }] }),
    );
    server.registerTool('broken', { description: 'Always fails.' }, async () => ({
      isError: true,
      content: [{ type: 'text', text: 'it broke' }],
    }));
    const client = await connect(server);
    const session = openWireSession({ client, manifest: manifest('tp', 'tool') });
    expect(session.mode).toBe('plain');
    const schemas = (await session.invoke('get_schema', {}, call('get_schema'))) as {
      name: string;
    }[];
    expect(schemas.map((s) => s.name)).toEqual(['shout', 'broken']);
    await expect(
      session.invoke('execute', { function: 'shout', args: { text: 'hi' } }, call('execute')),
    ).resolves.toEqual({ result: 'hi!', is_error: false });
    await expect(
      session.invoke('execute', { function: 'broken', args: {} }, call('execute')),
    ).resolves.toEqual({ result: 'it broke', is_error: true, error_message: 'it broke' });
    const other = await session.invoke('nope', {}, call('nope')).catch((e: unknown) => e);
    expect(isPluginInvocationError(other)).toBe(true);
    expect(() =>
      openWireSession({ client, manifest: manifest('tp', 'demo'), kindSpec: KIND }),
    ).toThrow(/does not announce the dagstack capability/);
    const refused = (() => {
      try {
        openWireSession({ client, manifest: manifest('tp', 'demo') });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isPluginLoadError(refused)).toBe(true);
    await client.close();
  });
});

describe('mapTransportError', () => {
  class GatewayError extends Error {
    readonly status = 503;
  }

  it("maps a transport's own failure through the option, and leaves the default mapping otherwise", async () => {
    const served = createPluginServer({ greet: () => ({ ok: true }) }, KIND, { name: 'g' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await served.server.connect(serverSide);
    const send = clientSide.send.bind(clientSide);
    let failNext = false;
    clientSide.send = (message, options) => {
      if (failNext && 'method' in message && message.method === 'tools/call') {
        failNext = false;
        return Promise.reject(new GatewayError('the gateway said 503'));
      }
      return send(message, options);
    };
    const client = createWireClient();
    await client.connect(clientSide);
    const mapped = new PluginUnavailable({ plugin: 'g', reason: 'gateway 503' });
    const seen: unknown[] = [];
    const session = openWireSession({
      client,
      manifest: manifest('g', 'demo'),
      kindSpec: KIND,
      mapTransportError: (error, site) => {
        seen.push(site.hook);
        return error instanceof GatewayError ? mapped : undefined;
      },
    });
    failNext = true;
    await expect(session.invoke('greet', {}, call('greet'))).rejects.toBe(mapped);
    expect(seen).toEqual(['greet']);
    await expect(session.invoke('greet', {}, call('greet'))).resolves.toEqual({ ok: true });

    // Without the option the same failure is a PluginInvocationError.
    const plain = openWireSession({ client, manifest: manifest('g', 'demo'), kindSpec: KIND });
    failNext = true;
    const error = await plain.invoke('greet', {}, call('greet')).catch((e: unknown) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    await client.close();
  });
});
