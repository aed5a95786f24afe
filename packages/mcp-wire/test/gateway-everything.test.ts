// End to end: @modelcontextprotocol/server-everything (MCP code nobody here
// wrote) in a real child process over stdio, loaded as the plain `tool`
// plugin "everything" through a WireSession, behind createRegistryServer,
// driven by the SDK's stock Client. What the client gets through the gateway
// is compared with what the host's own connection gets from the server
// directly. One child for the file; it is reaped in afterAll even when a test
// fails (and killed by pid if it outlives its transport).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWireClient, openWireSession, type WireSession } from '../src/index.js';
import {
  closeAll,
  gateway,
  RAW,
  recordSent,
  standIn,
  toolManifest,
  until,
} from './gateway-fixture.js';

// server-everything is a devDependency of the workspace root (and of the
// runtimes); resolved from here through the root node_modules.
const require = createRequire(import.meta.url);
const EVERYTHING = join(
  dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
);

/** Every child started, by pid, with its host client: closed and reaped in afterAll. */
const children: { host: Client; pid: number | null }[] = [];

/** Start server-everything and load it as the plain `tool` plugin `name`. */
async function spawnEverything(name: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [EVERYTHING, 'stdio'],
    env: { PATH: process.env.PATH ?? '' },
    stderr: 'pipe',
  });
  const sent = recordSent(transport);
  const host = createWireClient({ forwardServerRequests: true });
  const child = { host, pid: null as number | null };
  children.push(child);
  await host.connect(transport);
  child.pid = transport.pid;
  const session = openWireSession({ client: host, manifest: toolManifest(name) });
  return { session, sent };
}

let session: WireSession;
let sent: string[];

beforeAll(async () => {
  ({ session, sent } = await spawnEverything('everything'));
});

afterEach(closeAll);

afterAll(async () => {
  for (const child of children.splice(0)) {
    await child.host.close().catch(() => undefined);
    if (child.pid === null) continue;
    try {
      process.kill(child.pid, 0);
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});

const name = (fn: string): string => `tool.everything.execute.${fn}`;

/** A raw tools/call through the gateway and straight to the server. */
async function both(client: Client, fn: string, args: Record<string, unknown> = {}) {
  const through = await client.request(
    { method: 'tools/call', params: { name: name(fn), arguments: args } },
    RAW,
  );
  const direct = await session.request({
    method: 'tools/call',
    params: { name: fn, arguments: args },
  });
  return { through: through as Record<string, unknown>, direct };
}

const texts = (result: Record<string, unknown>): string =>
  (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');

describe('server-everything behind the gateway', () => {
  it('lists every tool with the descriptor the server gives (title, annotations, schemas with $schema)', async () => {
    const { client } = await gateway(
      standIn({ everything: session }),
      {},
      { dispatchTools: false },
    );
    const through = (await client.request({ method: 'tools/list', params: {} }, RAW)) as {
      tools: Record<string, unknown>[];
    };
    const direct = (await session.request({ method: 'tools/list' })).tools as Record<
      string,
      unknown
    >[];
    expect(direct.length).toBeGreaterThan(10);
    expect(through.tools).toEqual(
      direct.map(({ execution: _tasks, ...tool }) => ({ ...tool, name: name(String(tool.name)) })),
    );
    const structured = through.tools.find((t) => t.name === name('get-structured-content'));
    expect(structured).toMatchObject({
      title: 'Get Structured Content Tool',
      annotations: { readOnlyHint: true, destructiveHint: false },
      inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#' },
      outputSchema: { required: ['temperature', 'conditions', 'humidity'] },
    });
  });

  it('image, embedded resource, resource links, annotations and structuredContent arrive as sent; isError too', async () => {
    const { client } = await gateway(standIn({ everything: session }));
    const image = await both(client, 'get-tiny-image');
    expect(image.through).toEqual(image.direct);
    expect((image.through.content as { type: string }[]).map((c) => c.type)).toContain('image');
    const annotated = await both(client, 'get-annotated-message', {
      messageType: 'error',
      includeImage: true,
    });
    expect(annotated.through).toEqual(annotated.direct);
    const links = await both(client, 'get-resource-links', { count: 2 });
    expect((links.through.content as { type: string }[]).map((c) => c.type)).toEqual([
      'text',
      'resource_link',
      'resource_link',
    ]);
    const embedded = await both(client, 'get-resource-reference', {
      resourceType: 'Text',
      resourceId: 1,
    });
    expect((embedded.through.content as { type: string }[])[1]).toMatchObject({
      type: 'resource',
      resource: { uri: 'demo://resource/dynamic/text/1', mimeType: 'text/plain' },
    });
    // The stock client checks structuredContent against the listed outputSchema.
    await client.listTools();
    const weather = await client.callTool({
      name: name('get-structured-content'),
      arguments: { location: 'Chicago' },
    });
    expect(weather.structuredContent).toMatchObject({ conditions: expect.any(String) });
    // The server's own input validation error, as an isError result.
    const bad = await both(client, 'get-sum', { a: 'one', b: 2 });
    expect(bad.through.isError).toBe(true);
    expect(bad.through).toEqual(bad.direct);
  });

  it('progress reaches a client that sent a progressToken; cancelling reaches the server', async () => {
    const { client } = await gateway(standIn({ everything: session }));
    const progress: Progress[] = [];
    const done = await client.callTool(
      { name: name('trigger-long-running-operation'), arguments: { duration: 0.2, steps: 4 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    );
    expect(texts(done)).toMatch(/Long running operation completed/);
    expect(progress).toEqual([1, 2, 3, 4].map((i) => ({ progress: i, total: 4 })));
    const controller = new AbortController();
    const cancelled: Progress[] = [];
    const call = client.callTool(
      { name: name('trigger-long-running-operation'), arguments: { duration: 2, steps: 4 } },
      undefined,
      { signal: controller.signal, onprogress: (p) => cancelled.push(p) },
    );
    await until(() => cancelled.length > 0);
    const before = sent.filter((m) => m === 'notifications/cancelled').length;
    controller.abort(new Error('stop'));
    await expect(call).rejects.toThrow(/stop/);
    await until(() => sent.filter((m) => m === 'notifications/cancelled').length === before + 1);
  });

  it('an elicitation reaches a client that declared it and the answer returns; without it the call fails at once', async () => {
    const { client } = await gateway(standIn({ everything: session }), {
      capabilities: { elicitation: {} },
    });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { name: 'Ada Lovelace', check: true } };
    });
    const accepted = await client.callTool({
      name: name('trigger-elicitation-request'),
      arguments: {},
    });
    expect(accepted.isError).toBeFalsy();
    expect(texts(accepted)).toMatch(/- Name: Ada Lovelace/);
    expect(asked).toEqual(['Please provide inputs for the following fields:']);
    const { client: plain } = await gateway(standIn({ everything: session }));
    const refused = await plain.callTool({
      name: name('trigger-elicitation-request'),
      arguments: {},
    });
    expect(refused.isError).toBe(true);
    expect(texts(refused)).toMatch(/cannot answer elicitation\/create/);
  });

  it('a sampling request reaches a client that declared sampling', async () => {
    const { client } = await gateway(standIn({ everything: session }), {
      capabilities: { sampling: {} },
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      model: 'stub-model',
      role: 'assistant',
      content: { type: 'text', text: `echo of ${request.params.messages.length} message(s)` },
    }));
    const result = await client.callTool({
      name: name('trigger-sampling-request'),
      arguments: { prompt: 'hello', maxTokens: 5 },
    });
    expect(texts(result)).toMatch(/stub-model/);
    expect(texts(result)).toMatch(/echo of 1 message\(s\)/);
  });

  it('resources, templates, prompts and completions pass through unchanged; logging and updates are forwarded', async () => {
    const { client } = await gateway(standIn({ everything: session }));
    expect(client.getServerCapabilities()).toMatchObject({
      resources: { subscribe: true },
      prompts: {},
      logging: {},
      completions: {},
    });
    const same = async (method: string, params: Record<string, unknown> = {}) => {
      const through = (await client.request({ method, params } as never, RAW)) as Record<
        string,
        unknown
      >;
      expect(through).toEqual(await session.request({ method, params }));
      return through;
    };
    const resources = (await same('resources/list')).resources as { uri: string }[];
    expect(resources.length).toBeGreaterThan(0);
    const first = resources[0]?.uri as string;
    await same('resources/read', { uri: first });
    await same('resources/templates/list');
    const prompts = (await same('prompts/list')).prompts as { name: string }[];
    expect(prompts.map((p) => p.name)).toContain('args-prompt');
    await same('prompts/get', { name: 'args-prompt', arguments: { city: 'Paris' } });
    const completed = await same('completion/complete', {
      ref: { type: 'ref/prompt', name: 'completable-prompt' },
      argument: { name: 'department', value: 'E' },
    });
    expect((completed.completion as { values: string[] }).values).toEqual(['Engineering']);
    const logs: string[] = [];
    const updates: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(String(n.params.data));
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client.setLoggingLevel('debug');
    await client.subscribeResource({ uri: first });
    await until(() =>
      logs.some((l) => l.includes(`Received Subscribe Resource request for URI: ${first}`)),
    );
    await client.callTool({ name: name('toggle-subscriber-updates'), arguments: {} });
    try {
      await until(() => updates.includes(first));
    } finally {
      await client.callTool({ name: name('toggle-subscriber-updates'), arguments: {} });
      await client.unsubscribeResource({ uri: first });
    }
  });

  it('in front of two servers prompt names are unique per plugin and each request reaches its own child', async () => {
    const second = await spawnEverything('second');
    const { client } = await gateway(standIn({ everything: session, second: second.session }));
    const { prompts } = await client.listPrompts();
    const names = prompts.map((p) => p.name);
    expect(names).toContain('everything.args-prompt');
    expect(names).toContain('second.args-prompt');
    expect(names.every((n) => n.startsWith('everything.') || n.startsWith('second.'))).toBe(true);
    const before = sent.filter((m) => m === 'prompts/get').length;
    const got = await client.getPrompt({ name: 'second.args-prompt', arguments: { city: 'Oslo' } });
    expect(JSON.stringify(got.messages)).toContain('Oslo');
    expect(second.sent.filter((m) => m === 'prompts/get')).toHaveLength(1);
    expect(sent.filter((m) => m === 'prompts/get')).toHaveLength(before);
    // Both list the same URIs: the merged list holds each server's.
    const { resources } = await client.listResources();
    const direct = (await session.request({ method: 'resources/list' })).resources as unknown[];
    expect(resources).toHaveLength(direct.length * 2);
  });
});
