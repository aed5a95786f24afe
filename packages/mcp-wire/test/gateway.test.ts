// The registry served as an MCP gateway in front of third-party MCP servers
// (the SDK's own Server/McpServer, loaded as plain `tool` plugins through
// real WireSessions), driven by the SDK's stock Client: what the client sees
// must be what the third-party server sent. In memory; the same features
// against server-everything in a child process: gateway-everything.test.ts.
import type { HookCall } from '@dagstack/plugin-api';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MCP_RESULT_KEY, MCP_TOOL_KEY, mcpResultOf, mcpToolOf } from '../src/index.js';
import { closeAll, gateway, loadPlain, RAW, standIn, until } from './gateway-fixture.js';

afterEach(closeAll);

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** A tool with every descriptor field MCP has, schemas in draft-07 with $defs. */
const WIPE = {
  name: 'wipe_disk',
  title: 'Wipe a disk',
  description: 'Erase every block of a disk.',
  inputSchema: {
    $schema: DRAFT_07,
    type: 'object',
    properties: { disk: { $ref: '#/$defs/disk' } },
    required: ['disk'],
    $defs: { disk: { type: 'string', pattern: '^/dev/' } },
  },
  outputSchema: {
    $schema: DRAFT_07,
    type: 'object',
    properties: { wiped: { type: 'integer' } },
    required: ['wiped'],
  },
  annotations: {
    title: 'Wipe',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: false,
  },
  icons: [{ src: 'https://example.com/wipe.png', mimeType: 'image/png', sizes: ['48x48'] }],
  _meta: { 'example.com/owner': 'ops' },
  execution: { taskSupport: 'optional' },
};

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** Results with every content type, structured content and _meta. */
const RESULTS: Record<string, CallToolResult> = {
  wipe_disk: {
    content: [{ type: 'text', text: 'wiped 3 blocks' }],
    structuredContent: { wiped: 3 },
  },
  media: {
    content: [
      { type: 'text', text: 'here', annotations: { audience: ['user'], priority: 0.5 } },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'audio', data: 'UklGRiQAAABXQVZF', mimeType: 'audio/wav' },
      {
        type: 'resource',
        resource: { uri: 'file:///notes.txt', mimeType: 'text/plain', text: 'notes' },
      },
      {
        type: 'resource',
        resource: { uri: 'file:///blob.bin', mimeType: 'application/octet-stream', blob: 'AAEC' },
      },
      {
        type: 'resource_link',
        uri: 'file:///big.csv',
        name: 'big.csv',
        title: 'Big table',
        mimeType: 'text/csv',
        description: 'too big to inline',
      },
    ],
    _meta: { 'example.com/trace': 'abc' },
  },
  flaky: {
    isError: true,
    content: [
      { type: 'text', text: 'disk busy' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
    ],
    _meta: { 'example.com/retry-after': 5 },
  },
};

/** A low-level SDK server with hand-written descriptors and results. */
function opsServer(): Server {
  const server = new Server({ name: 'ops', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      WIPE,
      { name: 'media', description: 'every content type', inputSchema: { type: 'object' } },
      { name: 'flaky', inputSchema: { type: 'object' } },
    ] as never,
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const result = RESULTS[request.params.name];
    if (result === undefined) throw new Error('unknown tool');
    return result;
  });
  return server;
}

/** A dagstack-native tool plugin (in process). */
const calc = {
  get_schema: () => [
    {
      name: 'add',
      description: 'a + b',
      parameters: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' },
    },
    { name: 'div', description: 'a / b', parameters: { type: 'object' } },
  ],
  execute: ({ function: fn, args }: { function: string; args: Record<string, unknown> }) =>
    fn === 'add'
      ? { result: (args.a as number) + (args.b as number) }
      : { result: null, is_error: true, error_message: 'division by zero' },
};

function hookCall(hook: string, signal = new AbortController().signal): HookCall {
  return { kind: 'tool', name: 'ops', hook, metadata: {}, signal };
}

describe('tool descriptors survive the gateway', () => {
  it('the catalogue entry stays { name, description, parameters } and carries the full descriptor', async () => {
    const { session } = await loadPlain('ops', opsServer());
    const listed = (await session.invoke('get_schema', {}, hookCall('get_schema'))) as object[];
    const entry = listed[0] as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(['name', 'description', 'parameters']);
    expect(JSON.parse(JSON.stringify(entry))).toEqual({
      name: 'wipe_disk',
      description: WIPE.description,
      parameters: WIPE.inputSchema,
    });
    expect(mcpToolOf(entry)).toEqual(WIPE);
    expect(Object.getOwnPropertyDescriptor(entry, MCP_TOOL_KEY)?.enumerable).toBe(false);
  });

  it('a plain server tool is served with its own descriptor under the served name; a native one as before', async () => {
    const { session } = await loadPlain('ops', opsServer());
    const { client } = await gateway(standIn({ ops: session, calc }));
    const raw = (await client.request({ method: 'tools/list', params: {} }, RAW)) as {
      tools: Record<string, unknown>[];
    };
    const byName = new Map(raw.tools.map((t) => [t.name, t]));
    // Everything as the server sent it but the name, and `execution` (the
    // gateway does not run MCP tasks).
    const { execution: _tasks, ...expected } = WIPE;
    expect(byName.get('tool.ops.execute.wipe_disk')).toEqual({
      ...expected,
      name: 'tool.ops.execute.wipe_disk',
    });
    // No hookspec output schema forced onto a third-party tool.
    expect(byName.get('tool.ops.execute.media')).toEqual({
      name: 'tool.ops.execute.media',
      description: 'every content type',
      inputSchema: { type: 'object' },
    });
    // A dagstack-native tool: catalogue entry plus the hookspec's output schema.
    const add = byName.get('tool.calc.execute.add');
    expect(add).toMatchObject({ description: 'a + b', inputSchema: { type: 'object' } });
    expect((add?.inputSchema as Record<string, unknown> | undefined)?.$schema).toBeUndefined();
    expect(add?.outputSchema).toMatchObject({ required: ['result'] });
    // The stock client's own parse keeps them too.
    const { tools } = await client.listTools();
    const wipe = tools.find((t) => t.name === 'tool.ops.execute.wipe_disk');
    expect(wipe?.title).toBe('Wipe a disk');
    expect(wipe?.annotations?.destructiveHint).toBe(true);
    expect(wipe?.inputSchema.$schema).toBe(DRAFT_07);
    expect(wipe?.outputSchema?.required).toEqual(['wiped']);
  });
});

describe('results survive the gateway', () => {
  it('execute keeps { result, is_error } as JSON and the raw CallToolResult under the symbol', async () => {
    const { session } = await loadPlain('ops', opsServer());
    const output = (await session.invoke(
      'execute',
      { function: 'media', args: {} },
      hookCall('execute'),
    )) as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(output))).toEqual({
      result: RESULTS.media?.content,
      is_error: false,
    });
    expect(mcpResultOf(output)).toEqual(RESULTS.media);
    expect(Object.getOwnPropertyDescriptor(output, MCP_RESULT_KEY)?.enumerable).toBe(false);
  });

  it('text, image, audio, embedded resources, resource links, structuredContent and _meta arrive unchanged', async () => {
    const { session } = await loadPlain('ops', opsServer());
    const { client } = await gateway(standIn({ ops: session }));
    const media = await client.request(
      { method: 'tools/call', params: { name: 'tool.ops.execute.media', arguments: {} } },
      RAW,
    );
    expect(media).toEqual(RESULTS.media);
    // The stock client checks structuredContent against the outputSchema it listed.
    await client.listTools();
    const wiped = await client.callTool({
      name: 'tool.ops.execute.wipe_disk',
      arguments: { disk: '/dev/sdz' },
    });
    expect(wiped).toEqual(RESULTS.wipe_disk);
  });

  it('an isError result arrives unchanged with its content; a native tool error becomes a text error', async () => {
    const { session } = await loadPlain('ops', opsServer());
    const { client } = await gateway(standIn({ ops: session, calc }));
    const flaky = await client.request(
      { method: 'tools/call', params: { name: 'tool.ops.execute.flaky', arguments: {} } },
      RAW,
    );
    expect(flaky).toEqual(RESULTS.flaky);
    const div = await client.request(
      { method: 'tools/call', params: { name: 'tool.calc.execute.div', arguments: {} } },
      RAW,
    );
    expect(div).toEqual({ content: [{ type: 'text', text: 'division by zero' }], isError: true });
    // A native success is served as before.
    const add = await client.callTool({ name: 'tool.calc.execute.add', arguments: { a: 2, b: 3 } });
    expect(add.structuredContent).toEqual({ result: 5 });
  });
});

/** A third-party server whose tools report progress, wait, and ask the client back. */
function chattyServer() {
  const seen = { tokens: [] as unknown[], aborted: [] as string[], started: [] as string[] };
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = new Server({ name: 'chatty', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: ['count', 'hang', 'ask', 'ask_later', 'sample', 'roots'].map((name) => ({
      name,
      inputSchema: { type: 'object' as const },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const text = (value: unknown): CallToolResult => ({
      content: [{ type: 'text', text: JSON.stringify(value) }],
    });
    try {
      switch (request.params.name) {
        case 'count': {
          const token = extra._meta?.progressToken;
          seen.tokens.push(token);
          if (token !== undefined) {
            for (let i = 1; i <= 3; i++) {
              await extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress: i, total: 3, message: `step ${i}` },
              });
            }
          }
          return text('counted');
        }
        case 'hang':
          seen.started.push('hang');
          await new Promise<void>((resolve) =>
            extra.signal.addEventListener('abort', () => {
              seen.aborted.push('hang');
              resolve();
            }),
          );
          return text('aborted');
        case 'ask_later':
        case 'ask': {
          if (request.params.name === 'ask_later') {
            seen.started.push('ask_later');
            await gate;
          }
          const answer = await extra.sendRequest(
            {
              method: 'elicitation/create',
              params: {
                message: 'Your name?',
                requestedSchema: {
                  type: 'object',
                  properties: { name: { type: 'string' } },
                  required: ['name'],
                },
              },
            },
            ElicitResultSchema,
          );
          return text(answer);
        }
        case 'sample': {
          const answer = await extra.sendRequest(
            {
              method: 'sampling/createMessage',
              params: {
                messages: [{ role: 'user', content: { type: 'text', text: 'Summarise' } }],
                maxTokens: 10,
              },
            },
            CreateMessageResultSchema,
          );
          return text(answer);
        }
        case 'roots':
          return text(await extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema));
        default:
          throw new Error('unknown tool');
      }
    } catch (error) {
      return { isError: true, content: [{ type: 'text', text: (error as Error).message }] };
    }
  });
  return { server, seen, release: () => release() };
}

function textOf(result: Record<string, unknown>): string {
  return ((result.content as { text?: string }[])[0]?.text ?? '') as string;
}

describe('progress and cancellation through the gateway', () => {
  it('progress of the third-party server reaches a client that sent a progressToken', async () => {
    const chatty = chattyServer();
    const { session } = await loadPlain('chatty', chatty.server);
    const { client } = await gateway(standIn({ chatty: session }));
    const progress: Progress[] = [];
    const result = await client.callTool(
      { name: 'tool.chatty.execute.count', arguments: {} },
      undefined,
      {
        onprogress: (p) => progress.push(p),
      },
    );
    expect(textOf(result)).toBe('"counted"');
    expect(progress).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
    // Without a token the third-party server is asked for no progress.
    await client.callTool({ name: 'tool.chatty.execute.count', arguments: {} });
    expect(chatty.seen.tokens[0]).not.toBeUndefined();
    expect(chatty.seen.tokens[1]).toBeUndefined();
  });

  it('a client that cancels its call cancels the third-party call (notifications/cancelled)', async () => {
    const chatty = chattyServer();
    const { session, sent } = await loadPlain('chatty', chatty.server);
    const { client } = await gateway(standIn({ chatty: session }));
    const controller = new AbortController();
    const call = client.callTool({ name: 'tool.chatty.execute.hang', arguments: {} }, undefined, {
      signal: controller.signal,
    });
    await until(() => chatty.seen.started.includes('hang'));
    controller.abort(new Error('user pressed stop'));
    await expect(call).rejects.toThrow(/user pressed stop/);
    await until(() => chatty.seen.aborted.includes('hang'));
    expect(sent).toContain('notifications/cancelled');
  });
});

describe('server-to-client requests never hang', () => {
  it('an elicitation reaches a client that declared elicitation, and its answer returns', async () => {
    const chatty = chattyServer();
    const { session } = await loadPlain('chatty', chatty.server);
    const { client } = await gateway(standIn({ chatty: session }), {
      capabilities: { elicitation: {} },
    });
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { name: 'Ada' } };
    });
    const result = await client.callTool({ name: 'tool.chatty.execute.ask', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toEqual({ action: 'accept', content: { name: 'Ada' } });
    expect(asked).toEqual(['Your name?']);
  });

  it('sampling and roots requests are forwarded the same way', async () => {
    const chatty = chattyServer();
    const { session } = await loadPlain('chatty', chatty.server);
    const { client } = await gateway(standIn({ chatty: session }), {
      capabilities: { sampling: {}, roots: {} },
    });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: 'tiny',
      role: 'assistant',
      content: { type: 'text', text: 'short' },
    }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: 'file:///work', name: 'work' }],
    }));
    const sampled = await client.callTool({ name: 'tool.chatty.execute.sample', arguments: {} });
    expect(JSON.parse(textOf(sampled))).toMatchObject({
      model: 'tiny',
      content: { text: 'short' },
    });
    const roots = await client.callTool({ name: 'tool.chatty.execute.roots', arguments: {} });
    expect(JSON.parse(textOf(roots))).toEqual({ roots: [{ uri: 'file:///work', name: 'work' }] });
  });

  it('a client that did not declare elicitation gets the error result at once, not a timeout', async () => {
    const chatty = chattyServer();
    const { session } = await loadPlain('chatty', chatty.server);
    const { client } = await gateway(standIn({ chatty: session }));
    const result = await client.callTool({ name: 'tool.chatty.execute.ask', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /-32601.*cannot answer elicitation\/create: the gateway client did not declare elicitation/,
    );
  });

  it('outside a gateway call, and with forwarding off, the host refuses at once', async () => {
    const chatty = chattyServer();
    const { session } = await loadPlain('chatty', chatty.server);
    const direct = (await session.invoke(
      'execute',
      { function: 'ask', args: {} },
      hookCall('execute'),
    )) as { is_error: boolean; error_message: string };
    expect(direct.is_error).toBe(true);
    expect(direct.error_message).toMatch(/no call of a gateway client is in flight/);
    const { client } = await gateway(
      standIn({ chatty: session }),
      { capabilities: { elicitation: {} } },
      { forwardServerRequests: false },
    );
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
    const result = await client.callTool({ name: 'tool.chatty.execute.ask', arguments: {} });
    expect(textOf(result)).toMatch(/cannot send requests to its client on this transport/);
  });

  it('with calls of two gateway clients in flight, a request is refused rather than sent to the wrong one', async () => {
    const chatty = chattyServer();
    const { session } = await loadPlain('chatty', chatty.server);
    const registry = standIn({ chatty: session });
    const asked: string[] = [];
    const open = async (who: string) => {
      const { client } = await gateway(registry, { capabilities: { elicitation: {} } });
      client.setRequestHandler(ElicitRequestSchema, async () => {
        asked.push(who);
        return { action: 'decline' };
      });
      return client;
    };
    const [a, b] = [await open('a'), await open('b')];
    const calls = [a, b].map((c) =>
      c.callTool({ name: 'tool.chatty.execute.ask_later', arguments: {} }),
    );
    await until(() => chatty.seen.started.filter((s) => s === 'ask_later').length === 2);
    chatty.release();
    const results = await Promise.all(calls);
    expect(asked).toEqual([]);
    for (const result of results) {
      expect(textOf(result)).toMatch(/calls of several gateway clients are in flight/);
    }
  });
});
