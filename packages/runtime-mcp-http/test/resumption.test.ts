// Resuming a call's event stream (SEP-1699, the conformance scenario
// `sse-retry`), against a small node:http server written here, not the SDK:
// it answers tools/call with an event stream that carries a priming event
// (an `id` and `retry`) and ends without the response; a conforming client
// waits `retry` ms and reconnects with GET and Last-Event-ID. The server then
// answers, or never does in one way or another: the call must fail typed,
// before or at its timeout, and leave nothing running.
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  isHookTimeout,
  isPluginUnavailable,
  type PluginRegistryError,
  type PluginUnavailable,
} from '@dagstack/plugin-api';
import type { PluginRegistry } from '@dagstack/plugin-registry';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpFetch, HttpExchangeError } from '../src/http-fetch.js';
import { type McpHttpRuntime, serveMcpHttp } from '../src/index.js';
import {
  closeAll,
  eventually,
  httpManifest,
  KINDS,
  type LogRecord,
  makeRegistry,
  memoryLogger,
  onClose,
} from './helpers.js';

afterEach(closeAll);

/** What the server does with a GET that resumes the call's stream. */
type OnResume =
  /** Send the call's response on the resumed stream. */
  | 'answer'
  /** Open the stream and end it at once, with nothing. */
  | 'empty'
  /** Answer 405. */
  | 'refuse'
  /** Open the stream and keep it open, silent. */
  | 'silent';

interface RawServer {
  readonly url: string;
  /** GETs that carried Last-Event-ID, with when they came (performance.now()). */
  readonly resumes: { lastEventId: string; at: number }[];
  /** GETs without Last-Event-ID (the standalone stream; answered 405). */
  standaloneGets: number;
  /** JSON-RPC methods POSTed, in order. */
  readonly methods: string[];
  /** When the tools/call stream was ended without the response. */
  streamEndedAt: number | undefined;
  /** Resumed streams open now. */
  openResumed: number;
  /** tools/call requests left unanswered and still open (hangCall). */
  openCalls: number;
  /** TCP connections open now. */
  sockets(): number;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'mcp-session-id': 'raw-session',
};

async function startRawServer(
  onResume: OnResume,
  options: { prime?: boolean; retryMs?: number; bigEventBytes?: number; hangCall?: boolean } = {},
): Promise<RawServer> {
  const prime = options.prime ?? true;
  const retryMs = options.retryMs ?? 100;
  let pendingCall: unknown;
  const open = new Set<Socket>();
  const state: RawServer = {
    url: '',
    resumes: [],
    standaloneGets: 0,
    methods: [],
    streamEndedAt: undefined,
    openResumed: 0,
    openCalls: 0,
    sockets: () => open.size,
  };
  const json = (res: ServerResponse, status: number, body?: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'mcp-session-id': 'raw-session' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const onPost = (res: ServerResponse, raw: string): void => {
    const message = JSON.parse(raw) as {
      id?: number | string;
      method?: string;
      params?: Record<string, unknown>;
    };
    state.methods.push(message.method ?? 'response');
    if (message.id === undefined || message.method === undefined) {
      res.writeHead(202);
      res.end();
      return;
    }
    const result = (value: unknown) => ({ jsonrpc: '2.0', id: message.id, result: value });
    if (message.method === 'initialize') {
      json(
        res,
        200,
        result({
          protocolVersion: message.params?.protocolVersion,
          serverInfo: { name: 'raw-sse', version: '1.0.0' },
          capabilities: { tools: {} },
        }),
      );
      return;
    }
    if (message.method === 'tools/list') {
      json(
        res,
        200,
        result({
          tools: [{ name: 'resume_me', inputSchema: { type: 'object', properties: {} } }],
        }),
      );
      return;
    }
    if (message.method !== 'tools/call') {
      json(res, 200, result({}));
      return;
    }
    pendingCall = message.id;
    if (options.hangCall === true) {
      // Never a status line: the host is left waiting for the headers.
      state.openCalls += 1;
      res.once('close', () => {
        state.openCalls -= 1;
      });
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    if (options.bigEventBytes !== undefined) {
      res.end(`event: message\ndata: "${'x'.repeat(options.bigEventBytes)}"\n\n`);
      return;
    }
    res.write(prime ? `id: call-1\nretry: ${retryMs}\ndata: \n\n` : ': no priming event\n\n');
    res.once('finish', () => {
      state.streamEndedAt = performance.now();
    });
    res.end();
  };
  const onGet = (req: IncomingMessage, res: ServerResponse): void => {
    const lastEventId = req.headers['last-event-id'];
    if (typeof lastEventId !== 'string') {
      state.standaloneGets += 1;
      json(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'no standalone stream' } });
      return;
    }
    state.resumes.push({ lastEventId, at: performance.now() });
    if (onResume === 'refuse') {
      json(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'no resuming here' } });
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    if (onResume === 'empty') {
      res.end();
      return;
    }
    if (onResume === 'silent') {
      res.flushHeaders();
      state.openResumed += 1;
      res.once('close', () => {
        state.openResumed -= 1;
      });
      return;
    }
    const response = {
      jsonrpc: '2.0',
      id: pendingCall,
      result: { content: [{ type: 'text', text: 'resumed after reconnecting' }] },
    };
    res.end(`id: call-2\nevent: message\ndata: ${JSON.stringify(response)}\n\n`);
  };
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      onGet(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') onPost(res, Buffer.concat(chunks).toString());
      else json(res, 200);
    });
  });
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onClose(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}/mcp` });
}

async function hostOf(
  url: string,
  manifest: Record<string, unknown> = {},
  runtimeOptions: { maxMessageBytes?: number } = {},
): Promise<{ registry: PluginRegistry; runtime: McpHttpRuntime }> {
  const made = makeRegistry({}, runtimeOptions);
  made.registry.registerKind(KINDS.tool);
  made.registry.registerManifest(
    httpManifest('raw', 'tool', url, { timeout_sec: 20, retry_attempts: 0, ...manifest }),
  );
  expect((await made.registry.setupAll()).unavailable).toEqual([]);
  return made;
}

const call = (registry: PluginRegistry): Promise<unknown> =>
  registry.call(
    'tool',
    'execute',
    { function: 'resume_me', args: {} },
    {
      target: 'raw',
    },
  );

/** Tear the host down, then wait until the server has no connection left. */
async function nothingLeft(
  registry: PluginRegistry,
  runtime: McpHttpRuntime,
  server: RawServer,
): Promise<void> {
  await registry.teardownAll();
  await runtime.close();
  expect(runtime.connections()).toEqual([]);
  await eventually(() => server.sockets() === 0);
}

describe('a call whose event stream ends before the response', () => {
  it('is resumed with GET and Last-Event-ID after the server’s retry, and gets the response there', async () => {
    const server = await startRawServer('answer', { retryMs: 100 });
    const { registry, runtime } = await hostOf(server.url);
    const output = await call(registry);
    expect(output).toEqual({ result: 'resumed after reconnecting', is_error: false });
    expect(server.resumes.map((r) => r.lastEventId)).toEqual(['call-1']);
    // The reconnection waited for the server's retry (a lower bound only).
    const waited = (server.resumes[0]?.at ?? 0) - (server.streamEndedAt ?? 0);
    process.stdout.write(`reconnected ${Math.round(waited)} ms after the stream ended\n`);
    expect(waited).toBeGreaterThanOrEqual(90);
    // The standalone GET was asked once (405) and not again.
    expect(server.standaloneGets).toBe(1);
    expect(runtime.connections()[0]).toMatchObject({ consecutiveFailures: 0, breaker: 'closed' });
    await nothingLeft(registry, runtime, server);
    expect(server.resumes).toHaveLength(1);
  });

  it('without a priming event it cannot be resumed: the call fails at once, typed', async () => {
    const server = await startRawServer('answer', { prime: false });
    const { registry, runtime } = await hostOf(server.url);
    const error = (await call(registry).catch((e: unknown) => e)) as PluginUnavailable;
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.reason).toMatch(
      /broke during the call \(the service ended the event stream without answering the request\)/,
    );
    expect(server.resumes).toEqual([]);
    await nothingLeft(registry, runtime, server);
  });

  it('a server that resumes with empty streams: after 3 reconnections that bring nothing the call fails typed, before its timeout', async () => {
    const server = await startRawServer('empty', { retryMs: 50 });
    const { registry, runtime } = await hostOf(server.url);
    const error = (await call(registry).catch((e: unknown) => e)) as PluginUnavailable;
    process.stdout.write(`empty resumptions: ${error.message}\n`);
    expect(isHookTimeout(error)).toBe(false);
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.reason).toMatch(/3 reconnection\(s\) in a row brought nothing new/);
    expect(server.resumes.map((r) => r.lastEventId)).toEqual(['call-1', 'call-1', 'call-1']);
    await nothingLeft(registry, runtime, server);
    expect(server.resumes).toHaveLength(3);
  });

  it('a server that refuses the reconnection (405): the call fails typed at once', async () => {
    const server = await startRawServer('refuse');
    const { registry, runtime } = await hostOf(server.url);
    const error = (await call(registry).catch((e: unknown) => e)) as PluginUnavailable;
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.reason).toMatch(/did not resume the event stream of the call \(HTTP 405\)/);
    expect(server.resumes).toHaveLength(1);
    await nothingLeft(registry, runtime, server);
    expect(server.resumes).toHaveLength(1);
  });

  it('a server that never answers on the resumed stream: HookTimeout at the call’s timeout, and the stream is closed', async () => {
    const server = await startRawServer('silent');
    const { registry, runtime } = await hostOf(server.url, { timeout_sec: 1 });
    const error = (await call(registry).catch((e: unknown) => e)) as PluginRegistryError;
    expect(isHookTimeout(error)).toBe(true);
    expect(server.resumes).toHaveLength(1);
    // The host told the server and dropped the resumed stream.
    await eventually(() => server.methods.includes('notifications/cancelled'));
    await eventually(() => server.openResumed === 0);
    await nothingLeft(registry, runtime, server);
    expect(server.resumes).toHaveLength(1);
  });

  it('a server that never sends the headers of its answer: HookTimeout, and the request is dropped', async () => {
    const server = await startRawServer('answer', { hangCall: true });
    const { registry, runtime } = await hostOf(server.url, { timeout_sec: 1 });
    const error = (await call(registry).catch((e: unknown) => e)) as PluginRegistryError;
    expect(isHookTimeout(error)).toBe(true);
    await eventually(() => server.methods.includes('notifications/cancelled'));
    await eventually(() => server.openCalls === 0);
    expect(runtime.connections()[0]).toMatchObject({ state: 'up' });
    await nothingLeft(registry, runtime, server);
  });

  it('an event over maxMessageBytes fails the call typed (EMSGSIZE), without passing a partial event on', async () => {
    const server = await startRawServer('answer', { bigEventBytes: 64 * 1024 });
    const { registry, runtime } = await hostOf(server.url, {}, { maxMessageBytes: 16 * 1024 });
    const error = (await call(registry).catch((e: unknown) => e)) as PluginUnavailable;
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.reason).toMatch(/over the message limit of 16384 bytes/);
    await nothingLeft(registry, runtime, server);
  });
});

/**
 * A proxy in front of `target` that cuts the connection of the first
 * tools/call answer right after its first event (the priming event with an
 * id): the call's stream breaks mid-call. Everything else is passed through.
 */
async function cuttingProxy(
  target: string,
): Promise<{ url: string; cut: Promise<void>; resumed: string[] }> {
  const to = new URL(target);
  let cutDone: () => void = () => {};
  const cut = new Promise<void>((resolve) => {
    cutDone = resolve;
  });
  let cutOnce = false;
  const resumed: string[] = [];
  const server = createServer((req, res) => {
    const lastEventId = req.headers['last-event-id'];
    if (typeof lastEventId === 'string') resumed.push(lastEventId);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const cutThis = !cutOnce && body.includes('"method":"tools/call"');
      if (cutThis) cutOnce = true;
      const upstream = httpRequest(
        to,
        { method: req.method, headers: { ...req.headers, host: to.host }, agent: false },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          if (!cutThis) {
            up.pipe(res);
            res.once('close', () => up.destroy());
            return;
          }
          let text = '';
          up.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (!text.includes('\n\n')) return;
            up.destroy();
            // FIN after the event (not a reset, which could overtake it):
            // the host reads the headers and the event, then a chunked body
            // that stops short.
            res.write(text.slice(0, text.indexOf('\n\n') + 2), () => {
              res.socket?.end();
              cutDone();
            });
          });
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onClose(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${to.pathname}`, cut, resumed };
}

describe("against serveMcpHttp's own resumable event streams", () => {
  it('a call whose stream breaks mid-call is resumed with Last-Event-ID and gets the answer the server kept', async () => {
    let proxy: Awaited<ReturnType<typeof cuttingProxy>> | undefined;
    const records: LogRecord[] = [];
    const endpoint = await serveMcpHttp(
      () => {
        const mcp = new McpServer({ name: 'resumable', version: '1.0.0' });
        mcp.registerTool('finish_later', { description: 'answers after the break' }, async () => {
          // Answer only once the host's stream is gone: the answer then
          // reaches it by resumption alone.
          await proxy?.cut;
          return { content: [{ type: 'text', text: 'answered after the break' }] };
        });
        return { server: mcp.server };
      },
      { jsonResponse: false, sseRetryMs: 100, logger: memoryLogger(records) },
    );
    onClose(() => endpoint.close());
    proxy = await cuttingProxy(endpoint.url);
    const { registry, runtime } = makeRegistry();
    registry.registerKind(KINDS.tool);
    registry.registerManifest(
      httpManifest('resumable', 'tool', proxy.url, { timeout_sec: 20, retry_attempts: 0 }),
    );
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const output = await registry.call(
      'tool',
      'execute',
      { function: 'finish_later', args: {} },
      { target: 'resumable' },
    );
    expect(output).toEqual({ result: 'answered after the break', is_error: false });
    // One reconnection, from the id of the event that got through.
    expect(proxy.resumed).toHaveLength(1);
    expect(proxy.resumed[0]).toMatch(/\S/);
    expect(runtime.connections()[0]).toMatchObject({ consecutiveFailures: 0, sessions: 1 });
  });
});

describe('createHttpFetch', () => {
  it('cuts a `retry:` longer than maxRetryDelayMs, and passes events on whole as they arrive', async () => {
    const release: (() => void)[] = [];
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 600000\nid: a\ndata: {"jsonrpc":"2.0","method":"first"}\n\n');
      // Half an event: held back until its blank line arrives.
      res.write('data: {"jsonrpc":"2.0",');
      release.push(() => res.end('"method":"second"}\n\n'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onClose(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    );
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true });
    onClose(() => agent.destroy());
    const http = createHttpFetch({
      agent,
      headers: {},
      maxResponseBytes: 1024,
      maxRetryDelayMs: 250,
      maxResumptions: 3,
    });
    onClose(() => http.abortAll());
    const response = await http.fetch(`http://127.0.0.1:${port}/mcp`, { method: 'GET' });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = decoder.decode((await reader.read()).value);
    expect(first).toBe('retry: 250\nid: a\ndata: {"jsonrpc":"2.0","method":"first"}\n\n');
    for (const end of release) end();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += decoder.decode(value);
    }
    expect(rest).toBe('data: {"jsonrpc":"2.0","method":"second"}\n\n');
  });

  it('failureOf maps back only the error responses it made itself', () => {
    const http = createHttpFetch({
      agent: undefined as never,
      headers: {},
      maxResponseBytes: 1024,
      maxRetryDelayMs: 250,
      maxResumptions: 3,
    });
    const forged = Object.assign(new Error('MCP error -32000: x'), {
      data: {
        'dagstack.dev/transport-failure': { nonce: 'guess', phase: 'connect', message: 'x' },
      },
    });
    expect(http.failureOf(forged)).toBeUndefined();
    expect(http.failureOf(new HttpExchangeError('x', 'exchange'))).toBeUndefined();
    expect(http.failureOf(undefined)).toBeUndefined();
  });
});
