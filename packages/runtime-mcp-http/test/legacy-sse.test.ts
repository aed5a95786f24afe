// The deprecated HTTP+SSE transport of MCP 2024-11-05 (spec decision H2): a
// service that answers the Streamable HTTP initialize POST with a 4xx and
// opens an event stream on GET is reached over the SDK's own
// SSEClientTransport. The server here is the SDK's SSEServerTransport on
// 127.0.0.1, serving the suite plugin through the dagstack wire.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isPluginError,
  isPluginUnavailable,
  NOOP_LOGGER,
  type PluginUnavailable,
} from '@dagstack/plugin-api';
import { createPluginServer } from '@dagstack/plugin-mcp-wire';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module fixture without types
import { SuitePlugin } from '../../runtime-mcp-stdio/test/fixtures/suite/plugin.mjs';
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

const CONFIG = { suite: { alpha: { tag: 'alpha' } } };

/** SuitePlugin that records which slow calls have started and whether it was torn down. */
class ObservedSuitePlugin extends SuitePlugin {
  readonly started: string[] = [];
  tornDown = false;
  slow(input: { ms: number; id: string }, call: unknown): Promise<unknown> {
    this.started.push(input.id);
    return super.slow(input, call);
  }
  teardown(): unknown {
    this.tornDown = true;
    return super.teardown?.();
  }
}

interface LegacyServer {
  readonly url: string;
  /** `METHOD path` of every request, in order. */
  readonly seen: string[];
  /** Sessions whose event stream is open. */
  sessions(): number;
  /** End every session's event stream (a restart, or a proxy cutting it). */
  endStreams(): Promise<void>;
}

/**
 * The SDK's own HTTP+SSE server on 127.0.0.1: `GET /sse` opens a session
 * (its stream's first event names `/messages?sessionId=...`), `POST
 * /messages` carries the requests, anything else is 404 (a POST to `/sse`
 * among them, as the SDK's example servers answer). `plugin` is `undefined`
 * for a server that speaks neither transport.
 */
async function startLegacyServer(plugin: object | undefined): Promise<LegacyServer> {
  const transports = new Map<string, SSEServerTransport>();
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push(`${req.method} ${url.pathname}`);
    if (plugin !== undefined && req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      res.on('close', () => transports.delete(transport.sessionId));
      const served = createPluginServer(plugin, KINDS.suite, {
        name: 'alpha',
        logger: NOOP_LOGGER,
      });
      void served.server.connect(transport);
      return;
    }
    if (plugin !== undefined && req.method === 'POST' && url.pathname === '/messages') {
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (transport === undefined) {
        res.writeHead(404).end('Session not found');
        return;
      }
      void transport.handlePostMessage(req, res);
      return;
    }
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
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
  return {
    url: `http://127.0.0.1:${port}/sse`,
    seen,
    sessions: () => transports.size,
    endStreams: async () => {
      await Promise.all([...transports.values()].map((t) => t.close()));
    },
  };
}

describe('legacy HTTP+SSE transport (MCP 2024-11-05)', () => {
  it('a service that speaks only HTTP+SSE is reached over it, with a warning; teardown ends the session', async () => {
    const plugin = new ObservedSuitePlugin();
    const legacy = await startLegacyServer(plugin);
    const records: LogRecord[] = [];
    const { registry, runtime } = makeRegistry({ config: CONFIG, logger: memoryLogger(records) });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', legacy.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);

    // The Streamable HTTP initialize POST first (404), then the GET stream.
    expect(legacy.seen.slice(0, 2)).toEqual(['POST /sse', 'GET /sse']);
    await expect(registry.call('suite', 'single', { text: 'hi' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'hi',
    });
    const calls = await Promise.all(
      Array.from({ length: 5 }, (_, i) => registry.call('suite', 'single', { text: `c${i}` })),
    );
    expect(calls.map((c) => (c as { echo: string }).echo)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    await expect(registry.call('suite', 'setup_info', {})).resolves.toMatchObject({
      config: { tag: 'alpha' },
    });
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', sessions: 1 });
    expect(legacy.sessions()).toBe(1);
    const warning = records.find((r) => r.level === 'warn' && /HTTP\+SSE/.test(r.message));
    expect(warning?.message).toContain('deprecated HTTP+SSE transport of MCP 2024-11-05');

    await registry.teardownAll();
    expect(plugin.tornDown).toBe(true);
    await eventually(() => legacy.sessions() === 0);
  });

  it('when the session stream ends, the call in flight fails at once and the next call opens a new session', async () => {
    const plugin = new ObservedSuitePlugin();
    const legacy = await startLegacyServer(plugin);
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', legacy.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);

    const pending = registry
      .call('suite', 'slow', { ms: 60_000, id: 'doomed' })
      .catch((e: unknown) => e);
    await eventually(() => plugin.started.includes('doomed'));
    await legacy.endStreams();
    const failed = (await pending) as PluginUnavailable;
    process.stdout.write(`stream ended mid-call: ${failed.message}\n`);
    expect(isPluginUnavailable(failed)).toBe(true);
    expect(failed.reason).toMatch(/ended the event stream of the session before it answered/);

    await expect(registry.call('suite', 'single', { text: 'again' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'again',
    });
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', sessions: 2 });
    // The new session was set up again.
    await expect(registry.call('suite', 'setup_info', {})).resolves.toMatchObject({
      config: { tag: 'alpha' },
    });
    expect(legacy.sessions()).toBe(1);
  });

  it('a URL that speaks neither transport is still "no MCP endpoint (HTTP 404)", after both were tried', async () => {
    const nothing = await startLegacyServer(undefined);
    const { registry } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', nothing.url));
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error;
    expect(isPluginError(error, 'PLUGIN_LOAD_ERROR')).toBe(true);
    expect(error?.message).toMatch(
      /there is no MCP endpoint at http:\/\/127\.0\.0\.1:\d+\/sse \(HTTP 404\)/,
    );
    expect(nothing.seen).toEqual(['POST /sse', 'GET /sse']);
  });
});
