// The registry as an MCP gateway, end to end with real parts: a real
// PluginRegistry with this runtime loads @modelcontextprotocol/server-everything
// (a child process over stdio) as a plain `tool` plugin; createRegistryServer
// serves the registry through the same three-member adapter the CLI uses,
// plus peers() read from the loaded handles' mcpPeer; the SDK's stock Client
// talks to it. Calls cross the real dispatch engine and function router, so
// the call context (progress token, whom to ask back) must survive them.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isToolCallFailed } from '@dagstack/plugin-api';
import {
  createRegistryServer,
  type McpPeer,
  mcpPeerOf,
  mcpResultOf,
  mcpToolOf,
  type ServedRegistry,
} from '@dagstack/plugin-mcp-wire';
import type { PluginRegistry } from '@dagstack/plugin-registry';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  closeAll,
  eventually,
  KINDS,
  makeRegistry,
  reap,
  stdioManifest,
} from './helpers.js';

const require = createRequire(import.meta.url);
const EVERYTHING = join(
  dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
);

/** What the CLI's adapter does, plus peers() from the loaded handles. */
function served(registry: PluginRegistry): ServedRegistry {
  return {
    plugins: () => registry.status(),
    kindSpec: (kind) => (kind === 'tool' ? KINDS.tool : undefined),
    call: (kind, hook, input, options) =>
      registry.call(kind, hook, input, {
        ...(options.target === undefined ? {} : { target: options.target }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    peers: () =>
      registry.getLoadedPlugins().flatMap((c) => {
        const peer = mcpPeerOf(c.handle);
        return peer === undefined ? [] : [{ plugin: c.name, kind: c.kind, peer }];
      }),
  };
}

let registry: PluginRegistry;
let pid: number | undefined;
const clients: Client[] = [];

beforeAll(async () => {
  ({ registry } = makeRegistry());
  registry.registerKind(KINDS.tool);
  registry.registerManifest(
    stdioManifest('everything', 'tool', [process.execPath, EVERYTHING, 'stdio']),
  );
  const report = await registry.setupAll();
  expect(report.unavailable).toEqual([]);
  const handle = registry.getLoadedPlugins()[0]?.handle as unknown as
    | { info: { pid: number | undefined } }
    | undefined;
  pid = handle?.info.pid;
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
});

afterAll(async () => {
  await closeAll();
  if (pid !== undefined) {
    reap([pid]);
    await eventually(() => !alive(pid as number));
  }
});

async function connect(options: ClientOptions = {}): Promise<Client> {
  const server = createRegistryServer(served(registry), { dispatchTools: false });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'stock-client', version: '1.0.0' }, options);
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

function peer(): McpPeer {
  const found = mcpPeerOf(registry.getLoadedPlugins()[0]?.handle);
  if (found === undefined) throw new Error('the stdio handle exposes no mcpPeer');
  return found;
}

const name = (fn: string): string => `tool.everything.execute.${fn}`;
const texts = (result: object): string =>
  ((result as { content?: { text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('\n');

describe('server-everything served through a real PluginRegistry', () => {
  it('the registry keeps the descriptor on the catalogue and the raw result on ToolCallFailed', async () => {
    const schemas = (await registry.call('tool', 'get_schema', {})) as {
      value: Record<string, unknown>[];
    }[];
    const entry = schemas[0]?.value.find((f) => f.name === 'trigger-elicitation-request');
    expect(Object.keys(entry ?? {})).toEqual(['name', 'description', 'parameters']);
    expect(mcpToolOf(entry)).toMatchObject({
      title: 'Trigger Elicitation Request Tool',
      annotations: { destructiveHint: false },
    });
    // Elicitation is declared by the host, but no gateway client is there to ask.
    const failed = await registry
      .call('tool', 'execute', { function: 'trigger-elicitation-request', args: {} })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isToolCallFailed(failed)).toBe(true);
    const raw = mcpResultOf(isToolCallFailed(failed) ? failed.output : undefined);
    expect(raw?.isError).toBe(true);
    expect(texts(raw ?? {})).toMatch(
      /cannot answer elicitation\/create: no call of a gateway client/,
    );
  });

  it('descriptors and results reach a stock client as the server sent them', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const structured = tools.find((t) => t.name === name('get-structured-content'));
    expect(structured).toMatchObject({
      title: 'Get Structured Content Tool',
      annotations: { readOnlyHint: true },
      outputSchema: { required: ['temperature', 'conditions', 'humidity'] },
    });
    expect(structured?.inputSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const image = await client.callTool({ name: name('get-tiny-image'), arguments: {} });
    expect(image).toEqual(
      await peer().request({
        method: 'tools/call',
        params: { name: 'get-tiny-image', arguments: {} },
      }),
    );
    const weather = await client.callTool({
      name: name('get-structured-content'),
      arguments: { location: 'New York' },
    });
    expect(weather.structuredContent).toMatchObject({ humidity: expect.any(Number) });
  });

  it('progress and elicitation cross the registry: the call context survives dispatch', async () => {
    const client = await connect({ capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Grace Hopper' },
    }));
    const progress: Progress[] = [];
    const done = await client.callTool(
      { name: name('trigger-long-running-operation'), arguments: { duration: 0.2, steps: 2 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    );
    expect(texts(done)).toMatch(/completed/);
    expect(progress).toEqual([
      { progress: 1, total: 2 },
      { progress: 2, total: 2 },
    ]);
    const answered = await client.callTool({
      name: name('trigger-elicitation-request'),
      arguments: {},
    });
    expect(texts(answered)).toMatch(/- Name: Grace Hopper/);
    // A client without elicitation gets the server's error result, at once.
    const plain = await connect();
    const refused = await plain.callTool({
      name: name('trigger-elicitation-request'),
      arguments: {},
    });
    expect(refused.isError).toBe(true);
    expect(texts(refused)).toMatch(/the gateway client did not declare elicitation/);
  });

  it('resources and prompts of the plugin pass through the gateway unchanged', async () => {
    const client = await connect();
    expect(client.getServerCapabilities()).toMatchObject({
      resources: { subscribe: true },
      prompts: {},
      logging: {},
    });
    const { resources } = await client.listResources();
    expect(resources).toEqual((await peer().request({ method: 'resources/list' })).resources);
    const uri = resources[0]?.uri as string;
    expect(await client.readResource({ uri })).toEqual(
      await peer().request({ method: 'resources/read', params: { uri } }),
    );
    const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lyon' } });
    expect(JSON.stringify(prompt.messages)).toContain('Lyon');
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(String(n.params.data));
    });
    await client.subscribeResource({ uri });
    await eventually(() => logs.some((l) => l.includes(uri)));
    await client.unsubscribeResource({ uri });
  });
});
