import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, PluginRegistryError } from '@dagstack/plugin-api';
import {
  createJsonLineLogger,
  createPluginServer,
  DEFAULT_MAX_MESSAGE_BYTES,
  type PluginServerOptions,
  type ServeTarget,
} from '@dagstack/plugin-mcp-wire';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** How the server checks the host's credentials. @since 0.1.0 */
export interface ServeAuthOptions {
  /** The expected token. */
  readonly token: string;
  /** Header that carries it. @default "Authorization" */
  readonly header?: string;
  /** Scheme before the token; `null` for a raw value. @default "Bearer" for Authorization, else null */
  readonly scheme?: string | null;
}

/** Options of {@link servePlugin}. @since 0.1.0 */
export interface ServePluginOptions extends PluginServerOptions {
  /** The transport; this package serves `http` (stdio lives in the mcp_stdio runtime). */
  readonly transport: 'http';
  /** Interface to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Path of the MCP endpoint. @default "/mcp" */
  readonly path?: string;
  /** Credentials required of every request. @default none (listen on loopback only without them) */
  readonly auth?: ServeAuthOptions;
  /** Sessions (connected hosts) served at once; more get 503. @default 64 */
  readonly maxSessions?: number;
  /** How long {@link ServedHttpPlugin.close} waits for calls in flight. @default 10000 */
  readonly shutdownGraceMs?: number;
}

/** A plugin being served over HTTP. @since 0.1.0 */
export interface ServedHttpPlugin {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** Hooks the plugin implements (announced in the capability). */
  readonly hooks: readonly string[];
  /** MCP tool names of the hooks that are not function-templated. */
  readonly toolNames: readonly string[];
  /** The endpoint to put in a manifest's `[plugin.mcp_http] url`. */
  readonly url: string;
  /** The port the server listens on (the one picked when `port` was 0). */
  readonly port: number;
  /** Sessions open now. */
  sessions(): number;
  /** Resolves when the server has stopped. */
  readonly closed: Promise<void>;
  /**
   * Graceful shutdown: refuse new requests (503), let calls in flight finish
   * (up to `shutdownGraceMs`), tear the plugin down if no host did, end the
   * sessions and close the connections.
   */
  close(): Promise<void>;
}

/**
 * One MCP server per HTTP session, made by the caller of {@link serveMcpHttp}:
 * the SDK server and, optionally, what to run when the session ends without a
 * teardown request.
 * @since 0.1.0
 */
export interface McpSessionServer {
  /** The SDK server that serves this session. */
  readonly server: Server;
  /** Run when the endpoint closes while the session is still open (e.g. the plugin's teardown). */
  shutdown?(): Promise<unknown>;
}

/** Options of {@link serveMcpHttp}. @since 0.1.0 */
export interface McpHttpServeOptions {
  /** Interface to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Path of the MCP endpoint. @default "/mcp" */
  readonly path?: string;
  /** Credentials required of every request. @default none */
  readonly auth?: ServeAuthOptions;
  /** Sessions served at once; more get 503. @default 64 */
  readonly maxSessions?: number;
  /** How long `close()` waits for calls in flight. @default 10000 */
  readonly shutdownGraceMs?: number;
  /** Bound of one request body in bytes. @default 16 MiB */
  readonly maxMessageBytes?: number;
  /** Where refused requests and failures are logged. @default JSON lines on stderr */
  readonly logger?: Logger;
}

/** An MCP endpoint being served over HTTP. @since 0.1.0 */
export interface McpHttpEndpoint {
  /** The endpoint's URL (`http://<host>:<port><path>`). */
  readonly url: string;
  /** The port the server listens on (the one picked when `port` was 0). */
  readonly port: number;
  /** Sessions open now. */
  sessions(): number;
  /** Resolves once the endpoint has closed. */
  readonly closed: Promise<void>;
  /** Graceful shutdown: 503 for new requests, wait for calls in flight, end every session. */
  close(): Promise<void>;
}

interface Session {
  readonly served: McpSessionServer;
  readonly transport: StreamableHTTPServerTransport;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function sendJson(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/**
 * Serve a plugin object over MCP Streamable HTTP so a host can load it with
 * `runtime = "mcp_http"` (docs/wire.md §12), on `node:http` alone:
 *
 * ```js
 * import { servePlugin } from '@dagstack/plugin-runtime-mcp-http';
 * const served = await servePlugin(new EchoTool(), TOOL_KIND, {
 *   transport: 'http',
 *   port: 8080,
 *   auth: { token: process.env.ECHO_TOKEN },
 * });
 * process.on('SIGTERM', () => served.close());
 * ```
 *
 * Listens on 127.0.0.1 unless told otherwise. Every host gets a session of
 * its own; all sessions share the one plugin object. With `auth`, a request
 * without the right credentials gets 401 (compared in constant time).
 * @since 0.1.0
 */
export async function servePlugin(
  plugin: object,
  target: ServeTarget,
  options: ServePluginOptions = { transport: 'http' },
): Promise<ServedHttpPlugin> {
  if (options.transport !== 'http') {
    throw new PluginRegistryError(
      `servePlugin of @dagstack/plugin-runtime-mcp-http serves http, not "${String(options.transport)}"`,
      { hint: 'use the mcp_stdio runtime package to serve over stdio' },
    );
  }
  // Built once to fail fast on a bad plugin and to name what is served.
  const probe = createPluginServer(plugin, target, options);
  const logger =
    options.logger ??
    createJsonLineLogger({ bindings: { 'plugin.name': probe.name, 'plugin.kind': probe.kind } });
  const serverOptions: PluginServerOptions = { ...options, name: probe.name, logger };

  if (
    options.auth !== undefined &&
    (options.auth.token === undefined || options.auth.token === '')
  ) {
    throw new PluginRegistryError('servePlugin auth has an empty token', {
      plugin: probe.name,
      kind: probe.kind,
      hint: 'pass the token (read from the environment), or leave auth out for loopback-only use',
    });
  }
  const endpoint = await serveMcpHttp(
    () => {
      const served = createPluginServer(plugin, target, serverOptions);
      return { server: served.server, shutdown: () => served.shutdown() };
    },
    {
      logger,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.path === undefined ? {} : { path: options.path }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
      ...(options.shutdownGraceMs === undefined
        ? {}
        : { shutdownGraceMs: options.shutdownGraceMs }),
      ...(options.maxMessageBytes === undefined
        ? {}
        : { maxMessageBytes: options.maxMessageBytes }),
    },
  );
  return {
    name: probe.name,
    kind: probe.kind,
    hooks: probe.hooks,
    toolNames: probe.toolNames,
    ...endpoint,
  };
}

/**
 * Serve MCP over Streamable HTTP on `node:http`: one SDK server per session
 * (made by `createSession`), optional credentials compared in constant time,
 * 503 while shutting down, graceful close. `servePlugin` is built on it; use
 * it for servers of your own (a whole registry: `createRegistryServer`).
 * @since 0.1.0
 */
export async function serveMcpHttp(
  createSession: () => McpSessionServer,
  options: McpHttpServeOptions = {},
): Promise<McpHttpEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const maxSessions = options.maxSessions ?? 64;
  const graceMs = options.shutdownGraceMs ?? 10_000;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const logger =
    options.logger ?? createJsonLineLogger({ bindings: { source: 'mcp-http-server' } });
  let expected: Buffer | undefined;
  let authHeader = 'authorization';
  let bearer = false;
  if (options.auth !== undefined) {
    if (options.auth.token === undefined || options.auth.token === '') {
      throw new PluginRegistryError('the MCP HTTP server was given auth with an empty token', {
        hint: 'pass the token (read from the environment), or leave auth out for loopback-only use',
      });
    }
    authHeader = (options.auth.header ?? 'Authorization').toLowerCase();
    const scheme =
      options.auth.scheme === undefined
        ? authHeader === 'authorization'
          ? 'Bearer'
          : null
        : options.auth.scheme;
    bearer = scheme?.toLowerCase() === 'bearer';
    expected = digest(scheme === null ? options.auth.token : `${scheme} ${options.auth.token}`);
  }

  const sessions = new Map<string, Session>();
  const opening = new Set<Session>();
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const authorized = (req: IncomingMessage): boolean => {
    if (expected === undefined) return true;
    const value = req.headers[authHeader];
    const given = digest(typeof value === 'string' ? value : '');
    return timingSafeEqual(given, expected);
  };

  const openSession = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (sessions.size + opening.size >= maxSessions) {
      sendJson(res, 503, 'too many sessions', { 'retry-after': '1' });
      return;
    }
    const served = createSession();
    const session: Session = {
      served,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: true,
        maxRequestBodySize: maxBytes,
        onsessioninitialized: (id) => {
          sessions.set(id, session);
        },
        onsessionclosed: (id) => {
          sessions.delete(id);
        },
      }),
    };
    session.transport.onclose = () => {
      const id = session.transport.sessionId;
      if (id !== undefined) sessions.delete(id);
    };
    served.server.onerror = (error) => logger.warn('MCP transport error', { error: error.message });
    opening.add(session);
    try {
      await served.server.connect(session.transport);
      await session.transport.handleRequest(req, res);
    } finally {
      opening.delete(session);
      // A first request that did not initialize leaves nothing behind.
      if (session.transport.sessionId === undefined) await served.server.close().catch(() => {});
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== path) {
      sendJson(res, 404, `no MCP endpoint here; it is at ${path}`);
      return;
    }
    if (closing !== undefined) {
      sendJson(res, 503, 'the server is shutting down', {
        'retry-after': '1',
        connection: 'close',
      });
      return;
    }
    if (!authorized(req)) {
      logger.warn('request refused: missing or wrong credentials', {
        header: authHeader,
        remote: req.socket.remoteAddress,
      });
      sendJson(res, 401, 'unauthorized', bearer ? { 'www-authenticate': 'Bearer' } : {});
      return;
    }
    if (req.method === 'GET') {
      // No server-initiated messages on this wire: no standalone event stream.
      sendJson(res, 405, 'method not allowed', { allow: 'POST, DELETE' });
      return;
    }
    const header = req.headers['mcp-session-id'];
    const id = typeof header === 'string' ? header : undefined;
    if (id === undefined) {
      if (req.method === 'POST') {
        await openSession(req, res);
        return;
      }
      sendJson(res, 400, 'missing mcp-session-id');
      return;
    }
    const session = sessions.get(id);
    if (session === undefined) {
      sendJson(res, 404, 'session not found');
      return;
    }
    await session.transport.handleRequest(req, res);
  };

  const server = createServer((req, res) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    });
    handle(req, res).catch((error: unknown) => {
      logger.error('request failed', {
        error: error instanceof Error ? error.message : String(error),
      });
      sendJson(res, 500, 'internal error');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      server.close();
      if (inFlight > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          idle = resolve;
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      for (const session of [...sessions.values()]) {
        try {
          await session.served.shutdown?.();
        } catch (error) {
          logger.error('teardown failed', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
        await session.served.server.close().catch(() => undefined);
      }
      sessions.clear();
      server.closeAllConnections();
      resolveClosed();
    })();
    return closing;
  };

  return {
    url: `http://${urlHost}:${port}${path}`,
    port,
    sessions: () => sessions.size,
    closed,
    close,
  };
}
