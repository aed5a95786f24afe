// Event streams reach the host as they arrive: an SDK McpServer served with
// serveMcpHttp in event-stream mode (jsonResponse: false) sends requests and
// notifications during a tools/call, and a real PluginRegistry host with the
// mcp_http runtime answers them while the call runs: with its own handlers
// (serverRequests), or by forwarding them to the client of a gateway call
// (createRegistryServer in front), or by refusing at once. Also the
// standalone GET stream, and the same handlers on the stdio runtime.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isHookTimeout, isToolCallFailed, type ToolCallFailed } from '@dagstack/plugin-api';
import {
  createRegistryServer,
  type McpNotification,
  mcpPeerOf,
  type ServedRegistry,
} from '@dagstack/plugin-mcp-wire';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ElicitRequestSchema,
  type ElicitResult,
  ElicitResultSchema,
  McpError,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerRequestHandlers, serveMcpHttp } from '../src/index.js';
import {
  closeAll,
  eventually,
  httpManifest,
  KINDS,
  type LogRecord,
  makeRegistry,
  memoryLogger,
  onClose,
  startProxy,
} from './helpers.js';

afterEach(closeAll);

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Wait for `g`, at most `ms`: a stream held back until the call ends would
 * otherwise hang the test instead of failing it. Not a timing assertion: the
 * tool reports which way it went.
 */
async function passed(g: Gate, ms = 10_000): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([g.promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the tools of {@link sseEndpoint} saw, shared by every session. */
interface Seen {
  readonly answers: unknown[];
  readonly refusals: string[];
  readonly clientCapabilities: unknown[];
  readonly servers: McpServer[];
  progressSeen: Gate;
  noteSeen: Gate;
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/** One SDK McpServer per session, with tools that talk back during the call. */
function toolServer(seen: Seen): McpServer {
  const mcp = new McpServer(
    { name: 'sse-tools', version: '1.0.0' },
    { capabilities: { logging: {} } },
  );
  mcp.registerTool('ask', { description: 'asks the client for a name' }, async (extra) => {
    seen.clientCapabilities.push(mcp.server.getClientCapabilities());
    try {
      const answer = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: 'Your name?',
            requestedSchema: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                city: { type: 'string', default: 'Paris' },
              },
              required: ['name'],
            },
          },
        },
        ElicitResultSchema,
      );
      seen.answers.push(answer);
      return text(JSON.stringify(answer));
    } catch (error) {
      seen.refusals.push((error as Error).message);
      return { ...text((error as Error).message), isError: true };
    }
  });
  mcp.registerTool(
    'count',
    { description: 'reports progress, and finishes once the client has it' },
    async (extra) => {
      const progressToken = extra._meta?.progressToken;
      if (progressToken === undefined) return text('no progress token');
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress: 1, total: 2 },
      });
      const arrived = await passed(seen.progressSeen);
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress: 2, total: 2 },
      });
      return text(arrived ? 'counted' : 'the progress did not reach the client during the call');
    },
  );
  mcp.registerTool(
    'note',
    { description: 'logs a line, and finishes once the host has it' },
    async (extra) => {
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: 'step 1' },
      });
      const arrived = await passed(seen.noteSeen);
      return text(arrived ? 'noted' : 'the log line did not reach the host during the call');
    },
  );
  seen.servers.push(mcp);
  return mcp;
}

async function sseEndpoint(): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = {
    answers: [],
    refusals: [],
    clientCapabilities: [],
    servers: [],
    progressSeen: gate(),
    noteSeen: gate(),
  };
  const records: LogRecord[] = [];
  const endpoint = await serveMcpHttp(() => ({ server: toolServer(seen).server }), {
    jsonResponse: false,
    logger: memoryLogger(records),
    shutdownGraceMs: 500,
  });
  onClose(() => endpoint.close());
  return { url: endpoint.url, seen };
}

/** A registry with the http runtime and the SSE tool server loaded as the `tool` plugin "sse". */
async function host(
  url: string,
  serverRequests?: ServerRequestHandlers,
): Promise<{ registry: PluginRegistry }> {
  const { registry } = makeRegistry({}, serverRequests === undefined ? {} : { serverRequests });
  registry.registerKind(KINDS.tool);
  // A long call timeout: a call that waits for an answer nobody gives would
  // end in HookTimeout, which the tests tell apart from a prompt refusal.
  registry.registerManifest(httpManifest('sse', 'tool', url, { timeout_sec: 20 }));
  expect((await registry.setupAll()).unavailable).toEqual([]);
  return { registry };
}

const execute = (registry: PluginRegistry, fn: string): Promise<unknown> =>
  registry.call('tool', 'execute', { function: fn, args: {} }, { target: 'sse' });

const texts = (result: object): string =>
  ((result as { content?: { text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('\n');

describe('server requests during a call (event-stream answers)', () => {
  it("a host's elicitation handler answers during tools/call; the schema's defaults are filled in on accept", async () => {
    const { url, seen } = await sseEndpoint();
    const asked: unknown[] = [];
    const { registry } = await host(url, {
      elicitation: async (params, context) => {
        asked.push({ message: params.message, plugin: context.plugin, kind: context.kind });
        expect(context.signal.aborted).toBe(false);
        return { action: 'accept', content: { name: 'Ada' } };
      },
    });
    const output = (await execute(registry, 'ask')) as { result: string; is_error: boolean };
    expect(output.is_error).toBe(false);
    const expected = { action: 'accept', content: { name: 'Ada', city: 'Paris' } };
    expect(JSON.parse(output.result)).toEqual(expected);
    // The server got the handler's answer, with the default it asked for.
    expect(seen.answers).toEqual([expected]);
    expect(asked).toEqual([{ message: 'Your name?', plugin: 'sse', kind: 'tool' }]);
    // Declared truthfully: form elicitation with defaults, sampling (for a
    // gateway's client), no roots without a roots handler.
    expect(seen.clientCapabilities[0]).toMatchObject({
      elicitation: { form: { applyDefaults: true } },
      sampling: {},
    });
    expect(seen.clientCapabilities[0]).not.toHaveProperty('roots');
  });

  it('what the handler throws goes back to the server as a JSON-RPC error (an McpError with its code)', async () => {
    const { url, seen } = await sseEndpoint();
    let calls = 0;
    const { registry } = await host(url, {
      elicitation: async () => {
        calls += 1;
        if (calls === 1) throw new McpError(-32001, 'the user is away');
        throw new Error('no terminal');
      },
    });
    for (const _ of [1, 2]) {
      const error = (await execute(registry, 'ask').catch((e: unknown) => e)) as ToolCallFailed;
      expect(isToolCallFailed(error)).toBe(true);
    }
    expect(seen.refusals).toEqual([
      'MCP error -32001: the user is away',
      'MCP error -32603: no terminal',
    ]);
  });

  it('without a handler the request is refused at once: the call fails with the tool error, not a timeout', async () => {
    const { url, seen } = await sseEndpoint();
    const { registry } = await host(url);
    const error = (await execute(registry, 'ask').catch((e: unknown) => e)) as ToolCallFailed;
    process.stdout.write(`refused elicitation: ${error.message}\n`);
    expect(isHookTimeout(error)).toBe(false);
    expect(isToolCallFailed(error)).toBe(true);
    expect(error.message).toMatch(
      /cannot answer elicitation\/create: no call of a gateway client is in flight and the host has no handler/,
    );
    expect(seen.refusals).toEqual([expect.stringMatching(/-32601/)]);
    expect(seen.answers).toEqual([]);
  });

  it('a notification the tool sends during the call reaches the host while the call runs', async () => {
    const { url, seen } = await sseEndpoint();
    const { registry } = await host(url);
    const peer = mcpPeerOf(registry.getLoadedPlugins()[0]?.handle);
    const heard: McpNotification[] = [];
    peer?.onNotification((notification) => {
      heard.push(notification);
      if (notification.method === 'notifications/message') seen.noteSeen.open();
    });
    // The tool answers only after the host has its log line.
    const output = (await execute(registry, 'note')) as { result: string };
    expect(output.result).toBe('noted');
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({
      method: 'notifications/message',
      params: { level: 'info', data: 'step 1' },
    });
  });
});

/** What the CLI's `serve` adapter does, plus peers() from the loaded handles. */
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

describe('a gateway in front of an HTTP plugin', () => {
  it('progress reaches the served client while the call runs, and an elicitation is forwarded to it', async () => {
    const { url, seen } = await sseEndpoint();
    const { registry } = await host(url);
    const gatewayServer = createRegistryServer(served(registry), { dispatchTools: false });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gatewayServer.connect(serverSide);
    onClose(() => gatewayServer.close());
    const client = new Client(
      { name: 'stock-client', version: '1.0.0' },
      { capabilities: { elicitation: {} } },
    );
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request): Promise<ElicitResult> => {
      asked.push(request.params.message);
      return { action: 'accept', content: { name: 'Grace' } };
    });
    await client.connect(clientSide);
    onClose(() => client.close());

    const progress: Progress[] = [];
    const counted = await client.callTool(
      { name: 'tool.sse.execute.count', arguments: {} },
      undefined,
      {
        onprogress: (p) => {
          progress.push(p);
          if (p.progress === 1) seen.progressSeen.open();
        },
      },
    );
    // The tool finished only because progress 1 reached this client first.
    expect(texts(counted)).toBe('counted');
    expect(progress).toEqual([
      { progress: 1, total: 2 },
      { progress: 2, total: 2 },
    ]);

    const answered = await client.callTool({ name: 'tool.sse.execute.ask', arguments: {} });
    expect(answered.isError).toBeFalsy();
    // The host declared applyDefaults to the plugin's server, so it fills
    // the default in on the forwarded answer too.
    expect(JSON.parse(texts(answered))).toEqual({
      action: 'accept',
      content: { name: 'Grace', city: 'Paris' },
    });
    expect(asked).toEqual(['Your name?']);
  });
});

describe('the standalone GET stream', () => {
  it('carries server messages not tied to a call to the host', async () => {
    const { url, seen } = await sseEndpoint();
    const { registry } = await host(url);
    const peer = mcpPeerOf(registry.getLoadedPlugins()[0]?.handle);
    const heard: McpNotification[] = [];
    peer?.onNotification((notification) => heard.push(notification));
    const server = seen.servers.at(-1);
    // The stream opens in the background after the handshake; until it is
    // open the SDK server drops such messages, so send until one arrives.
    await eventually(async () => {
      await server?.server.sendLoggingMessage({ level: 'info', data: 'outside any call' });
      return heard.length > 0;
    });
    expect(heard[0]).toMatchObject({
      method: 'notifications/message',
      params: { level: 'info', data: 'outside any call' },
    });
    await expect(execute(registry, 'note').then(() => 'done')).resolves.toBe('done');
  });

  it('a server without one answers the GET with 405: harmless, asked once, calls work', async () => {
    const { url } = await sseEndpoint();
    const proxy = await startProxy(url, (req) =>
      req.method === 'GET' ? { status: 405, body: 'no stream here' } : 'pass',
    );
    const { registry, runtime } = makeRegistry();
    registry.registerKind(KINDS.tool);
    registry.registerManifest(httpManifest('sse', 'tool', proxy.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    await eventually(() => proxy.seen.some((r) => r.method === 'GET'));
    const gets = proxy.seen.filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(1);
    expect(gets[0]?.headers['last-event-id']).toBeUndefined();
    expect(registry.status().find((s) => s.name === 'sse')?.state).toBe('ready');
    await expect(registry.call('tool', 'get_schema', {})).resolves.toHaveLength(1);
    expect(proxy.seen.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(runtime.connections()[0]).toMatchObject({ consecutiveFailures: 0, state: 'up' });
  });
});

describe('the same handlers on the stdio runtime', () => {
  it("server-everything's elicitation over stdio is answered by the host's handler", async () => {
    const require = createRequire(import.meta.url);
    const everything = join(
      dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
      'dist',
      'index.js',
    );
    const runtime = createMcpStdioRuntime({
      serverRequests: {
        elicitation: async () => ({
          action: 'accept',
          content: { name: 'Katherine Johnson', check: true },
        }),
      },
    });
    const registry = new PluginRegistry({ runtimes: [runtime], healthChecks: false, env: {} });
    onClose(async () => {
      registry.close();
      await registry.teardownAll().catch(() => undefined);
      await runtime.close();
    });
    registry.registerKind(KINDS.tool);
    registry.registerManifest({
      schema_version: '1',
      name: 'everything',
      kind: 'tool',
      kind_api_version: '1',
      core_version: '>=0.1.0,<1.0.0',
      runtime: 'mcp_stdio',
      startup_timeout_sec: 30,
      teardown_timeout_sec: 10,
      mcp_stdio: { command: [process.execPath, everything, 'stdio'] },
    });
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const output = (await registry.call('tool', 'execute', {
      function: 'trigger-elicitation-request',
      args: {},
    })) as { result: unknown; is_error: boolean };
    expect(output.is_error).toBe(false);
    expect(JSON.stringify(output.result)).toMatch(/Katherine Johnson/);
  });
});
