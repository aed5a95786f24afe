// A host's own answers to server requests (createWireClient serverRequests):
// an SDK McpServer loaded as a plain `tool` plugin through a real
// WireSession sends elicitation/create, sampling/createMessage and
// roots/list during tools/call; outside a gateway call the host's handlers
// answer, each declared in initialize; during a gateway call the gateway's
// client answers instead. Also: a JSON-RPC error a transport made up for its
// own failure is offered to mapTransportError first.
import { type HookCall, isPluginInvocationError, PluginUnavailable } from '@dagstack/plugin-api';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWireClient,
  openWireSession,
  type ServerRequestHandlers,
  type WireSession,
  type WireSessionOptions,
} from '../src/index.js';
import { closeAll, gateway, standIn, toolManifest } from './gateway-fixture.js';

const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  await closeAll();
});

const text = (value: unknown) => ({
  content: [{ type: 'text' as const, text: JSON.stringify(value) }],
});

/** A third-party server whose tools ask the client back; records what it declared. */
function askingServer(seen: { capabilities: unknown[] }): McpServer {
  const mcp = new McpServer({ name: 'asking', version: '1.0.0' });
  mcp.registerTool('ask', { description: 'elicits a name' }, async (extra) => {
    seen.capabilities.push(mcp.server.getClientCapabilities());
    return text(
      await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: 'Your name?',
            requestedSchema: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                age: { type: 'integer', default: 30 },
              },
              required: ['name'],
            },
          },
        },
        ElicitResultSchema,
      ),
    );
  });
  mcp.registerTool('sample', { description: 'samples' }, async (extra) =>
    text(
      await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: {
            messages: [{ role: 'user', content: { type: 'text', text: 'Summarise' } }],
            maxTokens: 10,
          },
        },
        CreateMessageResultSchema,
      ),
    ),
  );
  mcp.registerTool('roots', { description: 'lists roots' }, async (extra) =>
    text(await extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema)),
  );
  return mcp;
}

async function load(
  server: { connect(transport: Transport): Promise<void> },
  options: {
    serverRequests?: ServerRequestHandlers;
    forwardServerRequests?: boolean;
    mapTransportError?: WireSessionOptions['mapTransportError'];
  } = {},
): Promise<WireSession> {
  const [hostSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = createWireClient({
    ...(options.serverRequests === undefined ? {} : { serverRequests: options.serverRequests }),
    ...(options.forwardServerRequests === undefined
      ? {}
      : { forwardServerRequests: options.forwardServerRequests }),
  });
  await client.connect(hostSide);
  clients.push(client);
  return openWireSession({
    client,
    manifest: toolManifest('asking'),
    ...(options.mapTransportError === undefined
      ? {}
      : { mapTransportError: options.mapTransportError }),
  });
}

function hookCall(): HookCall {
  return {
    kind: 'tool',
    name: 'asking',
    hook: 'execute',
    metadata: {},
    signal: new AbortController().signal,
  };
}

const run = async (session: WireSession, fn: string): Promise<unknown> => {
  const output = (await session.invoke('execute', { function: fn, args: {} }, hookCall())) as {
    result: string;
    is_error: boolean;
  };
  return output.is_error ? { error: output.result } : JSON.parse(output.result);
};

describe('the host answers server requests outside a gateway call', () => {
  it('each handler answers its request; each one given is declared, and defaults are filled in on accept', async () => {
    const seen = { capabilities: [] as unknown[] };
    const contexts: unknown[] = [];
    const session = await load(askingServer(seen), {
      serverRequests: {
        elicitation: async (params, context) => {
          contexts.push({ message: params.message, plugin: context.plugin, kind: context.kind });
          return { action: 'accept', content: { name: 'Ada' } };
        },
        sampling: async (params) => ({
          model: 'stub',
          role: 'assistant',
          content: { type: 'text', text: `${params.messages.length} message(s)` },
        }),
        roots: async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }),
      },
    });
    expect(await run(session, 'ask')).toEqual({
      action: 'accept',
      content: { name: 'Ada', age: 30 },
    });
    expect(contexts).toEqual([{ message: 'Your name?', plugin: 'asking', kind: 'tool' }]);
    expect(await run(session, 'sample')).toMatchObject({
      model: 'stub',
      content: { text: '1 message(s)' },
    });
    expect(await run(session, 'roots')).toEqual({
      roots: [{ uri: 'file:///work', name: 'work' }],
    });
    expect(seen.capabilities[0]).toMatchObject({
      elicitation: { form: { applyDefaults: true } },
      sampling: {},
      roots: {},
    });
  });

  it('only what has a handler (or is forwarded) is declared; with neither, none is', async () => {
    const seen = { capabilities: [] as unknown[] };
    const onlyElicitation = await load(askingServer(seen), {
      serverRequests: { elicitation: async () => ({ action: 'decline' }) },
    });
    expect(await run(onlyElicitation, 'ask')).toEqual({ action: 'decline' });
    // Not declared: the server's SDK refuses to send it at all.
    expect(await run(onlyElicitation, 'sample')).toMatchObject({
      error: expect.stringMatching(/sampling/i),
    });
    const bare = await load(askingServer(seen));
    await run(bare, 'ask');
    expect(seen.capabilities[0]).toHaveProperty('elicitation');
    expect(seen.capabilities[0]).not.toHaveProperty('sampling');
    expect(seen.capabilities[0]).not.toHaveProperty('roots');
    expect(seen.capabilities[1]).not.toHaveProperty('elicitation');
  });

  it('during a gateway call the gateway’s client answers, not the host handler', async () => {
    const seen = { capabilities: [] as unknown[] };
    const hostAsked: string[] = [];
    const session = await load(askingServer(seen), {
      forwardServerRequests: true,
      serverRequests: {
        elicitation: async (params) => {
          hostAsked.push(params.message);
          return { action: 'decline' };
        },
      },
    });
    const { client } = await gateway(standIn({ asking: session }), {
      capabilities: { elicitation: {} },
    });
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Grace' },
    }));
    const result = await client.callTool({ name: 'tool.asking.execute.ask', arguments: {} });
    const answered = JSON.parse((result.content as { text: string }[])[0]?.text ?? '{}');
    expect(answered).toEqual({ action: 'accept', content: { name: 'Grace', age: 30 } });
    expect(hostAsked).toEqual([]);
    // Outside the gateway call, the host's handler answers.
    expect(await run(session, 'ask')).toEqual({ action: 'decline' });
    expect(hostAsked).toEqual(['Your name?']);
  });
});

describe('a transport failure reported as a JSON-RPC error', () => {
  it('is offered to mapTransportError first; an error it does not claim keeps the default mapping', async () => {
    const server = new Server(
      { name: 'failing', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      throw new McpError(-32050, 'stream broke', {
        marker: request.params.name === 'ours' ? 'transport' : 'other',
      });
    });
    const asked: unknown[] = [];
    const session = await load(server, {
      mapTransportError: (error, site) => {
        asked.push((error as McpError).data);
        if (((error as McpError).data as { marker?: string } | undefined)?.marker !== 'transport')
          return undefined;
        return new PluginUnavailable({
          plugin: site.plugin,
          kind: site.kind,
          reason: 'the connection broke during the call',
        });
      },
    });
    const ours = await session
      .invoke('execute', { function: 'ours', args: {} }, hookCall())
      .catch((e: unknown) => e);
    expect(ours).toBeInstanceOf(PluginUnavailable);
    expect((ours as PluginUnavailable).reason).toBe('the connection broke during the call');
    const other = await session
      .invoke('execute', { function: 'theirs', args: {} }, hookCall())
      .catch((e: unknown) => e);
    expect(isPluginInvocationError(other)).toBe(true);
    expect((other as Error).message).toMatch(/stream broke/);
    expect(asked).toEqual([{ marker: 'transport' }, { marker: 'other' }]);
  });
});
