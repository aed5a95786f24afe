// A whole registry served as one MCP server, driven by the SDK's own Client
// over the in-memory transport. The registry here is the structural
// ServedRegistry (a real PluginRegistry is served in the CLI's tests).
import { HookTimeout, type KindSpec, type PluginState } from '@dagstack/plugin-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistryServer, META_KEYS, type ServedRegistry } from '../src/index.js';

const KINDS: Record<string, KindSpec> = {
  demo: {
    kind: 'demo',
    kind_api_version: '1.0.0',
    hooks: [
      {
        name: 'greet',
        dispatch: 'singleton',
        mcp_exposed: true,
        description: 'Say hello.',
        input_schema: { type: 'object', properties: { who: { type: 'string' } } },
      },
      { name: 'stream', dispatch: 'singleton', mcp_exposed: false },
    ],
  },
  tool: {
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
  },
};

interface Recorded {
  kind: string;
  hook: string;
  input: unknown;
  target: string | undefined;
  metadata: unknown;
}

function fakeRegistry() {
  const plugins: { name: string; kind: string; state: PluginState }[] = [
    { name: 'alice', kind: 'demo', state: 'ready' },
    { name: 'bob', kind: 'demo', state: 'degraded' },
    { name: 'carol', kind: 'demo', state: 'unavailable' },
    { name: 'calc', kind: 'tool', state: 'ready' },
  ];
  const calls: Recorded[] = [];
  const registry: ServedRegistry = {
    plugins: () => plugins,
    kindSpec: (kind) => KINDS[kind],
    async call(kind, hook, input, options) {
      calls.push({ kind, hook, input, target: options.target, metadata: options.metadata });
      if (kind === 'tool' && hook === 'get_schema') {
        return [
          {
            plugin: options.target,
            value: [
              { name: 'add', description: 'a + b', parameters: { type: 'object' } },
              { name: 'slow', description: 'never ends', parameters: { type: 'object' } },
            ],
          },
        ];
      }
      if (kind === 'tool' && hook === 'execute') {
        const { function: fn, args } = input as {
          function: string;
          args: { a: number; b: number };
        };
        if (fn === 'slow') throw new HookTimeout({ plugin: 'calc', kind, hook, timeoutMs: 5 });
        return { result: args.a + args.b };
      }
      return {
        hello: (input as { who?: string }).who ?? 'world',
        from: options.target ?? 'dispatch',
      };
    },
  };
  return { registry, plugins, calls };
}

const open: Client[] = [];
afterEach(async () => {
  for (const client of open.splice(0)) await client.close();
});

async function connect(registry: ServedRegistry, dispatchTools = true): Promise<Client> {
  const server = createRegistryServer(registry, { dispatchTools });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  open.push(client);
  return client;
}

describe('createRegistryServer', () => {
  it('lists exposed hooks of ready and degraded plugins, per function for {function} templates, plus dispatch tools', async () => {
    const { registry } = fakeRegistry();
    const client = await connect(registry);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'demo.alice.greet',
      'demo.bob.greet',
      'demo.greet',
      'tool.calc.execute.add',
      'tool.calc.execute.slow',
      'tool.execute',
    ]);
    const greet = tools.find((t) => t.name === 'demo.alice.greet');
    expect(greet?.description).toBe('Say hello.');
    expect(greet?.inputSchema).toEqual({ type: 'object', properties: { who: { type: 'string' } } });
    expect(tools.find((t) => t.name === 'tool.calc.execute.add')?.description).toBe('a + b');
  });

  it('without dispatch tools only per-plugin tools are listed', async () => {
    const client = await connect(fakeRegistry().registry, false);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('demo.greet');
    expect(names).toContain('demo.alice.greet');
  });

  it('a per-plugin tool calls registry.call with the target and the metadata from _meta', async () => {
    const { registry, calls } = fakeRegistry();
    const client = await connect(registry);
    const result = await client.callTool({
      name: 'demo.bob.greet',
      arguments: { who: 'Ada' },
      _meta: { [META_KEYS.metadata]: { tenant_id: 'acme' } },
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ hello: 'Ada', from: 'bob' });
    const last = calls.at(-1);
    expect(last).toMatchObject({
      kind: 'demo',
      hook: 'greet',
      target: 'bob',
      input: { who: 'Ada' },
    });
    expect(last?.metadata).toEqual({ tenant_id: 'acme' });
  });

  it('a dispatch tool calls without a target; a function tool sends { function, args }', async () => {
    const { registry, calls } = fakeRegistry();
    const client = await connect(registry);
    const dispatched = await client.callTool({ name: 'demo.greet', arguments: {} });
    expect(dispatched.structuredContent).toEqual({ hello: 'world', from: 'dispatch' });
    expect(calls.at(-1)?.target).toBeUndefined();
    const sum = await client.callTool({ name: 'tool.calc.execute.add', arguments: { a: 2, b: 3 } });
    expect(sum.structuredContent).toEqual({ result: 5 });
    expect(calls.at(-1)).toMatchObject({
      kind: 'tool',
      hook: 'execute',
      target: 'calc',
      input: { function: 'add', args: { a: 2, b: 3 } },
    });
  });

  it('a failing call is a structured tool error with the error code; so is an unknown tool', async () => {
    const client = await connect(fakeRegistry().registry);
    const failed = await client.callTool({ name: 'tool.calc.execute.slow', arguments: {} });
    expect(failed.isError).toBe(true);
    expect((failed._meta as Record<string, { code: string }>)[META_KEYS.error]?.code).toBe(
      'HOOK_TIMEOUT',
    );
    const unknown = await client.callTool({ name: 'demo.carol.greet', arguments: {} });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toMatch(
      /Tool demo\.carol\.greet not found; served tools: .*demo\.bob\.greet/,
    );
    expect((unknown._meta as Record<string, { code: string }>)[META_KEYS.error]?.code).toBe(
      'TOOL_NOT_FOUND',
    );
  });

  it('follows plugin states: a plugin that becomes unavailable disappears from tools/list', async () => {
    const { registry, plugins } = fakeRegistry();
    const client = await connect(registry);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('demo.bob.greet');
    const bob = plugins.find((p) => p.name === 'bob');
    if (bob) bob.state = 'unavailable';
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('demo.bob.greet');
  });
});
