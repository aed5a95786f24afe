// Secure serving (serveMcpHttp, servePlugin) on 127.0.0.1 with real HTTP and
// the SDK's own client: DNS-rebinding protection (Host / Origin), sessions
// that end (idle expiry, eviction of the least recently used idle session,
// 503 only when every session is busy), no open endpoint on the network, and
// event-stream answers that carry progress notifications.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  isPluginError,
  isPluginUnavailable,
  type PluginRegistryError,
  type PluginUnavailable,
} from '@dagstack/plugin-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module fixture without types
import { SuitePlugin } from '../../runtime-mcp-stdio/test/fixtures/suite/plugin.mjs';
import {
  type McpHttpEndpoint,
  type McpHttpServeOptions,
  serveMcpHttp,
  servePlugin,
} from '../src/index.js';
import {
  closeAll,
  eventually,
  freePort,
  httpManifest,
  KINDS,
  type LogRecord,
  makeRegistry,
  memoryLogger,
  onClose,
} from './helpers.js';

afterEach(closeAll);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** One HTTP request on a connection of its own, with any Host header. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const body = options.body;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers of a GET event stream once they arrive; the stream is then cut. */
function rawStreamHead(url: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'GET', agent: false, headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
        req.destroy();
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'raw-test-client', version: '1.0.0' },
  },
});

function callBody(name: string, args: Record<string, unknown>, id = 7): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: args },
  });
}

function hostOf(url: string): string {
  return new URL(url).host;
}

/** A JSON-RPC error body as the transport spec shapes them. */
function rpcError(text: string): { code: number; message: string } {
  const parsed = JSON.parse(text) as {
    jsonrpc: string;
    error: { code: number; message: string };
    id: unknown;
  };
  expect(parsed.jsonrpc).toBe('2.0');
  expect(parsed.id).toBeNull();
  return parsed.error;
}

/** SuitePlugin counting the calls of `single` that reach it. */
class CountingPlugin extends SuitePlugin {
  calls = 0;
  single(input: { text: string }): unknown {
    this.calls += 1;
    return super.single(input);
  }
}

interface ToolContext {
  readonly progressToken: string | number | undefined;
  sendProgress(progress: number, total: number): Promise<void>;
}

/**
 * A session factory of plain SDK servers with one tool, `work`, that runs
 * `handler`; counts the servers made and closed (their transports closed).
 */
function toolServers(handler: (ctx: ToolContext) => Promise<string> = async () => 'done') {
  const made: WeakRef<Server>[] = [];
  let closed = 0;
  let latest: Server | undefined;
  const factory = () => {
    const server = new Server(
      { name: 'security-test', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'work', inputSchema: { type: 'object' as const } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const progressToken = request.params._meta?.progressToken;
      const text = await handler({
        progressToken,
        sendProgress: async (progress, total) => {
          if (progressToken === undefined) return;
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, total },
          });
        },
      });
      return { content: [{ type: 'text' as const, text }] };
    });
    server.onclose = () => {
      closed += 1;
    };
    made.push(new WeakRef(server));
    return { server };
  };
  const remember = () => {
    latest = made.at(-1)?.deref();
  };
  return {
    factory,
    made: () => made.length,
    closed: () => closed,
    /** Servers not yet garbage-collected. */
    alive: () => made.filter((ref) => ref.deref() !== undefined).length,
    /** The server made last (held from now on). */
    latest: (): Server => {
      remember();
      if (latest === undefined) throw new Error('no server made yet');
      return latest;
    },
  };
}

async function serve(
  factory: () => { server: Server },
  options: McpHttpServeOptions = {},
): Promise<McpHttpEndpoint> {
  const endpoint = await serveMcpHttp(factory, { logger: memoryLogger([]), ...options });
  onClose(() => endpoint.close());
  return endpoint;
}

async function sdkClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'sdk-test-client', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }),
  );
  onClose(() => client.close());
  return client;
}

/** Run `task` for 0..count-1, `width` at a time. */
async function inBatches(
  count: number,
  width: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < count; start += width) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + width); i += 1) batch.push(task(i));
    await Promise.all(batch);
  }
}

/** A deferred promise the test resolves. */
function gate(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

// ---------------------------------------------------------------------------
// DNS-rebinding protection
// ---------------------------------------------------------------------------

describe('DNS-rebinding protection', () => {
  it('a forged Host is refused with 403 before any session or call; the same request with the real Host goes through', async () => {
    const plugin = new CountingPlugin();
    const records: LogRecord[] = [];
    const served = await servePlugin(plugin, KINDS.suite, {
      transport: 'http',
      name: 'alpha',
      logger: memoryLogger(records),
    });
    onClose(() => served.close());

    const forgedInit = await raw(served.url, {
      headers: { host: `evil.example:${served.port}` },
      body: INITIALIZE,
    });
    process.stdout.write(`forged Host: ${forgedInit.status} ${forgedInit.text}\n`);
    expect(forgedInit.status).toBe(403);
    const error = rpcError(forgedInit.text);
    expect(error.code).toBe(-32000);
    expect(error.message).toContain('Host header');
    expect(error.message).toContain('evil.example');
    expect(error.message).toContain('allowedHosts');
    expect(forgedInit.headers['mcp-session-id']).toBeUndefined();
    expect(served.sessions()).toBe(0);

    // A real session, then a tools/call on it with a forged Host: not executed.
    const client = await sdkClient(served.url);
    expect(served.sessions()).toBe(1);
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId as string;
    const session = {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    };
    const tool = 'suite.alpha.single';
    expect(served.toolNames).toContain(tool);
    const forgedCall = await raw(served.url, {
      headers: { ...session, host: 'evil.example' },
      body: callBody(tool, { text: 'forged' }),
    });
    expect(forgedCall.status).toBe(403);
    expect(plugin.calls).toBe(0);
    expect(served.sessions()).toBe(1);

    const realCall = await raw(served.url, {
      headers: { ...session, host: hostOf(served.url) },
      body: callBody(tool, { text: 'real' }),
    });
    expect(realCall.status).toBe(200);
    expect(realCall.text).toContain('real');
    expect(plugin.calls).toBe(1);

    const warned = records.filter((r) => r.level === 'warn' && /Host header/.test(r.message));
    expect(warned).toHaveLength(2);
    expect(warned[0]?.fields).toMatchObject({ header: 'host', option: 'allowedHosts' });
  });

  it('a forged Origin with a good Host is refused; loopback origins and requests without Origin are allowed', async () => {
    const records: LogRecord[] = [];
    const token = 'origin-test-token-9f3';
    const servers = toolServers();
    const endpoint = await serve(servers.factory, {
      logger: memoryLogger(records),
      auth: { token },
    });
    const auth = { authorization: `Bearer ${token}` };

    const forged = await raw(endpoint.url, {
      headers: { ...auth, origin: 'http://evil.example' },
      body: INITIALIZE,
    });
    expect(forged.status).toBe(403);
    const error = rpcError(forged.text);
    expect(error.message).toContain('Origin header');
    expect(error.message).toContain('allowedOrigins');
    expect(endpoint.sessions()).toBe(0);
    expect(servers.made()).toBe(0);

    // Checked before the credentials: a forged Origin without a token is 403, not 401.
    const noToken = await raw(endpoint.url, {
      headers: { origin: 'http://evil.example' },
      body: INITIALIZE,
    });
    expect(noToken.status).toBe(403);

    for (const origin of [
      `http://localhost:${endpoint.port}`,
      `http://127.0.0.1:${endpoint.port}`,
      'https://localhost',
      'http://[::1]:5173',
    ]) {
      const allowed = await raw(endpoint.url, { headers: { ...auth, origin }, body: INITIALIZE });
      expect(allowed.status, origin).toBe(200);
      expect(allowed.headers['mcp-session-id']).toEqual(expect.any(String));
    }
    // The SDK client sends no Origin.
    await sdkClient(endpoint.url, auth);
    expect(endpoint.sessions()).toBe(5);
    // Look-alike origins are not loopback.
    for (const origin of ['http://localhost.evil.example', 'null', 'file://']) {
      const refused = await raw(endpoint.url, { headers: { ...auth, origin }, body: INITIALIZE });
      expect(refused.status, origin).toBe(403);
    }
    expect(endpoint.sessions()).toBe(5);
    const logged = JSON.stringify(records);
    expect(logged).toContain('origin');
    expect(logged).not.toContain(token);
  });

  it('allowedHosts and allowedOrigins admit names of their own; "*" turns a check off', async () => {
    const servers = toolServers();
    const custom = await serve(servers.factory, {
      allowedHosts: ['mcp.internal', 'api.internal:8443'],
      allowedOrigins: ['https://app.example.com', 'http://tool.example:3000'],
    });
    const status = async (headers: Record<string, string>) =>
      (await raw(custom.url, { headers, body: INITIALIZE })).status;
    expect(await status({ host: `mcp.internal:${custom.port}` })).toBe(200);
    expect(await status({ host: 'MCP.Internal' })).toBe(200);
    expect(await status({ host: 'api.internal:8443' })).toBe(200);
    expect(await status({ host: 'api.internal:9999' })).toBe(403);
    expect(await status({ host: 'other.internal' })).toBe(403);
    expect(await status({ origin: 'https://app.example.com' })).toBe(200);
    expect(await status({ origin: 'http://tool.example:3000' })).toBe(200);
    expect(await status({ origin: 'http://tool.example:4000' })).toBe(403);
    expect(await status({ origin: 'https://app.example.com.evil.io' })).toBe(403);
    expect(custom.sessions()).toBe(5);

    const open = await serve(toolServers().factory, { allowedHosts: ['*'], allowedOrigins: ['*'] });
    const anything = await raw(open.url, {
      headers: { host: 'evil.example', origin: 'http://evil.example' },
      body: INITIALIZE,
    });
    expect(anything.status).toBe(200);

    const bad = await serveMcpHttp(toolServers().factory, { allowedHosts: ['http://x/'] }).catch(
      (e: unknown) => e,
    );
    expect(isPluginError(bad)).toBe(true);
    expect((bad as PluginRegistryError).hint).toMatch(/name:port/);
    const badPlugin = await servePlugin(new SuitePlugin(), KINDS.suite, {
      transport: 'http',
      name: 'alpha',
      allowedOrigins: ['not an origin'],
    }).catch((e: unknown) => e);
    expect(isPluginError(badPlugin)).toBe(true);
    expect((badPlugin as PluginRegistryError).plugin).toBe('alpha');
  });
});

// ---------------------------------------------------------------------------
// Sessions that end
// ---------------------------------------------------------------------------

describe('sessions', () => {
  it('200 clients that close without DELETE against maxSessions 64: everyone is admitted, the least recently used idle session makes room', async () => {
    const servers = toolServers();
    const endpoint = await serve(servers.factory, { maxSessions: 64, sessionIdleMs: 600_000 });
    const ids: string[] = [];
    await inBatches(200, 8, async (i) => {
      const client = new Client({ name: `c${i}`, version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(endpoint.url));
      await client.connect(transport);
      const result = await client.callTool({ name: 'work', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
      ids[i] = transport.sessionId as string;
      // What the stock client does: no DELETE.
      await client.close();
    });
    expect(servers.made()).toBe(200);
    expect(endpoint.sessions()).toBe(64);
    expect(servers.closed()).toBe(136);

    // One more client still gets in while 64 idle sessions are open.
    const late = await sdkClient(endpoint.url);
    await expect(late.callTool({ name: 'work', arguments: {} })).resolves.toMatchObject({
      content: [{ type: 'text', text: 'done' }],
    });
    expect(endpoint.sessions()).toBe(64);

    // The oldest session was evicted (404, so a client re-initialises); the newest lives.
    const ping = (id: string | undefined) =>
      raw(endpoint.url, {
        headers: {
          'mcp-session-id': id ?? '',
          'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
      });
    const evicted = await ping(ids[0]);
    expect(evicted.status).toBe(404);
    expect(rpcError(evicted.text).code).toBe(-32001);
    expect((await ping(ids[199])).status).toBe(200);
  });

  it('idle sessions expire: sessions() returns to 0, every SDK server is closed and can be collected', async () => {
    const servers = toolServers();
    const endpoint = await serve(servers.factory, { maxSessions: 64, sessionIdleMs: 300 });
    const ids: string[] = [];
    await inBatches(200, 8, async (i) => {
      // A stall of the event loop longer than the idle time between two
      // requests of a client expires its session (404): it starts a new one.
      for (let attempt = 0; ; attempt += 1) {
        const client = new Client({ name: `c${i}`, version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(new URL(endpoint.url));
        try {
          await client.connect(transport);
          await client.callTool({ name: 'work', arguments: {} });
          ids[i] = transport.sessionId as string;
          return;
        } catch (error) {
          if (attempt >= 3 || (error as { code?: unknown }).code !== 404) throw error;
        } finally {
          await client.close();
        }
      }
    });
    expect(servers.made()).toBeGreaterThanOrEqual(200);
    await eventually(() => endpoint.sessions() === 0);
    await eventually(() => servers.closed() === servers.made());
    const expired = await raw(endpoint.url, {
      headers: { 'mcp-session-id': ids[199] as string },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
    });
    expect(expired.status).toBe(404);

    // Nothing of the endpoint holds on to the ended sessions.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A WeakRef holds its target until the end of the job that read it: read
    // them only after a collection, in a later job.
    for (let round = 0; round < 20; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (servers.alive() === 0) break;
    }
    process.stdout.write(
      `SDK servers still alive after expiry and gc: ${servers.alive()} of ${servers.made()}\n`,
    );
    expect(servers.alive()).toBe(0);
  });

  it('a servePlugin session that expires does not tear the shared plugin down; close() does, once', async () => {
    class TornDownPlugin extends CountingPlugin {
      teardowns = 0;
      teardown(): void {
        this.teardowns += 1;
      }
    }
    const plugin = new TornDownPlugin();
    const served = await servePlugin(plugin, KINDS.suite, {
      transport: 'http',
      name: 'alpha',
      sessionIdleMs: 500,
      logger: memoryLogger([]),
    });
    onClose(() => served.close());
    const first = await sdkClient(served.url);
    // A plain MCP client: the plugin is set up on its first call.
    await first.callTool({ name: 'suite.alpha.single', arguments: { text: 'one' } });
    await first.close();
    await eventually(() => served.sessions() === 0);
    expect(plugin.teardowns).toBe(0);
    // The plugin still serves the next client.
    const second = await sdkClient(served.url);
    const answer = await second.callTool({
      name: 'suite.alpha.single',
      arguments: { text: 'two' },
    });
    expect(answer.structuredContent).toMatchObject({ echo: 'two' });
    await second.close();
    await eventually(() => served.sessions() === 0);
    expect(plugin.teardowns).toBe(0);
    expect(plugin.calls).toBe(2);
    await served.close();
    expect(plugin.teardowns).toBe(1);
  });

  it('a call that lasts longer than sessionIdleMs keeps its session', async () => {
    const release = gate();
    let running = 0;
    const servers = toolServers(async () => {
      running += 1;
      await release.promise;
      return 'late answer';
    });
    const endpoint = await serve(servers.factory, { sessionIdleMs: 500 });
    const client = await sdkClient(endpoint.url);
    const call = client.callTool({ name: 'work', arguments: {} });
    await eventually(() => running === 1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(endpoint.sessions()).toBe(1);
    expect(servers.closed()).toBe(0);
    release.open();
    await expect(call).resolves.toMatchObject({ content: [{ type: 'text', text: 'late answer' }] });
    // Idle from now on: it expires.
    await eventually(() => endpoint.sessions() === 0);
    expect(servers.closed()).toBe(1);
  });

  it('when every session has a call in flight, a new client gets 503 with retry-after; once one is idle it is admitted', async () => {
    const release = gate();
    let running = 0;
    const servers = toolServers(async () => {
      running += 1;
      await release.promise;
      return 'released';
    });
    const endpoint = await serve(servers.factory, { maxSessions: 2 });
    const first = await sdkClient(endpoint.url);
    const second = await sdkClient(endpoint.url);
    const calls = [first, second].map((c) => c.callTool({ name: 'work', arguments: {} }));
    await eventually(() => running === 2);

    const refused = await raw(endpoint.url, { body: INITIALIZE });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(rpcError(refused.text).message).toMatch(/too many sessions/);
    expect(endpoint.sessions()).toBe(2);
    expect(servers.made()).toBe(2);

    release.open();
    for (const call of calls) {
      await expect(call).resolves.toMatchObject({ content: [{ type: 'text', text: 'released' }] });
    }
    const third = await sdkClient(endpoint.url);
    await expect(third.callTool({ name: 'work', arguments: {} })).resolves.toBeDefined();
    expect(endpoint.sessions()).toBe(2);
    expect(servers.closed()).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// No open endpoint on the network
// ---------------------------------------------------------------------------

describe('serving on an interface other machines can reach', () => {
  it('without auth it refuses to start and listens on nothing; insecureNoAuth or auth let it start', async () => {
    const port = await freePort();
    const servers = toolServers();
    const refused = await serveMcpHttp(servers.factory, { host: '0.0.0.0', port }).catch(
      (e: unknown) => e,
    );
    process.stdout.write(`non-loopback without auth: ${(refused as Error).message}\n`);
    expect(isPluginError(refused)).toBe(true);
    expect((refused as PluginRegistryError).hint).toMatch(/auth/);
    expect((refused as PluginRegistryError).hint).toMatch(/insecureNoAuth/);
    const nothing = await raw(`http://127.0.0.1:${port}/mcp`, { body: INITIALIZE }).catch(
      (e: unknown) => e,
    );
    expect((nothing as { code?: string }).code).toBe('ECONNREFUSED');

    const plugin = await servePlugin(new SuitePlugin(), KINDS.suite, {
      transport: 'http',
      name: 'alpha',
      host: '0.0.0.0',
      port,
    }).catch((e: unknown) => e);
    expect(isPluginError(plugin)).toBe(true);
    expect((plugin as PluginRegistryError).plugin).toBe('alpha');

    const records: LogRecord[] = [];
    const insecure = await serve(servers.factory, {
      host: '0.0.0.0',
      port,
      insecureNoAuth: true,
      logger: memoryLogger(records),
    });
    expect(
      records.filter((r) => r.level === 'warn' && /without credentials/.test(r.message)),
    ).toHaveLength(1);
    // Loopback names still reach it.
    expect((await raw(`http://127.0.0.1:${port}/mcp`, { body: INITIALIZE })).status).toBe(200);
    await insecure.close();

    const token = 'network-token-41c2';
    const withAuth = await serve(servers.factory, { host: '0.0.0.0', auth: { token } });
    const url = `http://127.0.0.1:${withAuth.port}/mcp`;
    expect((await raw(url, { body: INITIALIZE })).status).toBe(401);
    expect(
      (await raw(url, { headers: { authorization: `Bearer ${token}` }, body: INITIALIZE })).status,
    ).toBe(200);
  });
});

// ---------------------------------------------------------------------------
// Event-stream answers
// ---------------------------------------------------------------------------

/**
 * Resolve once `client` holds the standalone GET event stream of its session:
 * the server sends a notification outside any request (which goes nowhere
 * without that stream) until the client gets one.
 */
async function standaloneStreamOpen(client: Client, server: Server): Promise<void> {
  let received = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    received += 1;
  });
  await eventually(async () => {
    await server.sendToolListChanged();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return received > 0;
  });
}

describe('jsonResponse: false', () => {
  it('an SDK client receives the progress notifications a tool sends during the call, and server messages on the GET stream', async () => {
    const servers = toolServers(async (ctx) => {
      await ctx.sendProgress(1, 2);
      await ctx.sendProgress(2, 2);
      return `progress token ${String(ctx.progressToken)}`;
    });
    const endpoint = await serve(servers.factory, { jsonResponse: false });
    const client = await sdkClient(endpoint.url);
    const seen: { progress: number; total?: number }[] = [];
    const result = await client.callTool({ name: 'work', arguments: {} }, undefined, {
      onprogress: (progress) => seen.push(progress),
    });
    expect(result.content).toEqual([
      { type: 'text', text: expect.stringMatching(/^progress token \S+/) },
    ]);
    expect(seen).toEqual([
      { progress: 1, total: 2 },
      { progress: 2, total: 2 },
    ]);
    // Server-initiated messages reach the client on the standalone stream.
    await standaloneStreamOpen(client, servers.latest());

    // With JSON answers (the default) there is no such stream: GET is 405.
    const json = await serve(toolServers().factory);
    const jsonClient = await sdkClient(json.url);
    const jsonId = (jsonClient.transport as StreamableHTTPClientTransport).sessionId as string;
    const head = await rawStreamHead(json.url, {
      'mcp-session-id': jsonId,
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    });
    expect(head.status).toBe(405);
  });

  it('a client that closes (its GET stream ends, no DELETE) has its session freed after the idle time', async () => {
    const servers = toolServers();
    const endpoint = await serve(servers.factory, { jsonResponse: false, sessionIdleMs: 500 });
    const client = new Client({ name: 'sse-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(endpoint.url)));
    onClose(() => client.close());
    await client.callTool({ name: 'work', arguments: {} });
    await standaloneStreamOpen(client, servers.latest());
    // While the client holds its stream the session is in use, however long.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(endpoint.sessions()).toBe(1);
    expect(servers.closed()).toBe(0);
    await client.close();
    await eventually(() => endpoint.sessions() === 0);
    expect(servers.closed()).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// The host side meeting the protection
// ---------------------------------------------------------------------------

describe('an mcp_http host refused for its Host header', () => {
  it('fails the load with an error that names the Host header and the fix, not the credentials', async () => {
    const token = 'host-side-token-77e1';
    const served = await servePlugin(new SuitePlugin(), KINDS.suite, {
      transport: 'http',
      name: 'alpha',
      host: '0.0.0.0',
      auth: { token },
      logger: memoryLogger([]),
    });
    onClose(() => served.close());
    // 127.0.0.2 is loopback too, but not a name the server allows.
    const { registry } = makeRegistry({}, { env: { ALPHA_TOKEN: token } });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      httpManifest('alpha', 'suite', `http://127.0.0.2:${served.port}/mcp`, {
        auth: { token_env: 'ALPHA_TOKEN' },
      }),
    );
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error as PluginUnavailable;
    process.stdout.write(`refused host: ${error.message}\n`);
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.message).toMatch(/Host or Origin header \(HTTP 403/);
    expect(error.hint).toMatch(/allowed hosts/);
    expect(error.message).not.toContain(token);
    expect(served.sessions()).toBe(0);
  });
});
