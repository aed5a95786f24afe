// Serving MCP over Streamable HTTP: servePlugin and serveMcpHttp, the
// option checks, the request handler (Host/Origin guard, path, shutdown,
// credentials, then the session table), the node:http server, its in-flight
// count and graceful close. Sessions live in sessions.ts, credentials in
// credentials.ts, the option types in serve-options.ts; this module uses
// their methods only, never their state.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PluginRegistryError } from '@dagstack/plugin-api';
import {
  createJsonLineLogger,
  createPluginServer,
  DEFAULT_MAX_MESSAGE_BYTES,
  type PluginServerOptions,
  type ServeTarget,
} from '@dagstack/plugin-mcp-wire';
import { checkExposure, createCredentialsCheck } from './credentials.js';
import { createRequestGuard, isLoopbackHost } from './request-guard.js';
import type {
  McpHttpEndpoint,
  McpHttpServeOptions,
  McpSessionServer,
  ServedHttpPlugin,
  ServePluginOptions,
  Site,
} from './serve-options.js';
import { SessionTable } from './sessions.js';

export type {
  McpHttpAccessOptions,
  McpHttpEndpoint,
  McpHttpServeOptions,
  McpSessionServer,
  ServeAuthOptions,
  ServedHttpPlugin,
  ServePluginOptions,
} from './serve-options.js';

const DEFAULT_SESSION_IDLE_MS = 300_000;

function sendJson(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  code = -32000,
): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function checkNumbers(options: McpHttpServeOptions, site: Site): void {
  const { maxSessions, sessionIdleMs } = options;
  if (maxSessions !== undefined && !(Number.isInteger(maxSessions) && maxSessions >= 1)) {
    throw new PluginRegistryError(
      `the MCP HTTP server option maxSessions is ${String(maxSessions)}; expected a whole number of at least 1`,
      { ...site, hint: 'leave maxSessions out for the default of 64' },
    );
  }
  if (sessionIdleMs !== undefined && !(typeof sessionIdleMs === 'number' && sessionIdleMs > 0)) {
    throw new PluginRegistryError(
      `the MCP HTTP server option sessionIdleMs is ${String(sessionIdleMs)}; expected a number of milliseconds above 0`,
      {
        ...site,
        hint: 'give e.g. 300000 for 5 minutes, or Infinity to keep sessions until their clients end them',
      },
    );
  }
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
 * Listens on 127.0.0.1 unless told otherwise; on any other interface it
 * needs `auth` (or `insecureNoAuth`). Every host gets a session of its own;
 * all sessions share the one plugin object, so a session that expires or is
 * evicted is closed without tearing the plugin down. With `auth`, a request
 * without the right credentials gets 401 (compared in constant time); a
 * request with a `Host` or `Origin` header that is not allowed gets 403.
 * Answers are plain JSON.
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
  const site: Site = { plugin: probe.name, kind: probe.kind };
  const logger =
    options.logger ??
    createJsonLineLogger({ bindings: { 'plugin.name': probe.name, 'plugin.kind': probe.kind } });
  const serverOptions: PluginServerOptions = { ...options, name: probe.name, logger };

  if (
    options.auth !== undefined &&
    (options.auth.token === undefined || options.auth.token === '')
  ) {
    throw new PluginRegistryError('servePlugin auth has an empty token', {
      ...site,
      hint: 'pass the token (read from the environment), or leave auth out for loopback-only use',
    });
  }
  const host = options.host ?? '127.0.0.1';
  checkExposure(host, options.auth, options.insecureNoAuth, site);
  checkNumbers(options, site);
  // Checked here too so that a bad entry names the plugin.
  createRequestGuard({
    host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    site,
  });
  const endpoint = await serveMcpHttp(
    () => {
      const served = createPluginServer(plugin, target, serverOptions);
      return { server: served.server, shutdown: () => served.shutdown() };
    },
    {
      logger,
      host,
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
      ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
      ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
      ...(options.sessionIdleMs === undefined ? {} : { sessionIdleMs: options.sessionIdleMs }),
      ...(options.insecureNoAuth === undefined ? {} : { insecureNoAuth: options.insecureNoAuth }),
      jsonResponse: true,
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
 *
 * Every request is checked first for its `Host` and `Origin` headers (DNS
 * rebinding; `allowedHosts`, `allowedOrigins`), then for credentials. A
 * session with nothing in flight for `sessionIdleMs` is closed; when
 * `maxSessions` are open, a new client takes the place of the least
 * recently used idle one. Without `auth`, the server only starts on a
 * loopback interface (or with `insecureNoAuth`).
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
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const jsonResponse = options.jsonResponse ?? true;
  const sseRetryMs = options.sseRetryMs ?? 1000;
  const logger =
    options.logger ?? createJsonLineLogger({ bindings: { source: 'mcp-http-server' } });
  const credentials = createCredentialsCheck(options.auth);
  checkExposure(host, options.auth, options.insecureNoAuth, {});
  checkNumbers(options, {});
  const guard = createRequestGuard({
    host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    site: {},
  });

  const sessions = new SessionTable({
    maxSessions,
    idleMs,
    maxBytes,
    jsonResponse,
    sseRetryMs,
    logger,
  });
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const openSession = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!sessions.makeRoom()) {
      logger.warn('request refused: every session has a request in flight (maxSessions reached)', {
        maxSessions,
        remote: req.socket.remoteAddress,
      });
      sendJson(res, 503, `too many sessions: all ${maxSessions} are busy; retry later`, {
        'retry-after': '1',
      });
      return;
    }
    await sessions.open(createSession(), req, res);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // DNS-rebinding protection comes first: a refused request reaches neither
    // the credentials check nor any session.
    const refused = guard(req);
    if (refused !== undefined) {
      const name = refused.header === 'host' ? 'Host' : 'Origin';
      logger.warn(`request refused: ${name} header not allowed (DNS rebinding protection)`, {
        header: refused.header,
        value: refused.value,
        option: refused.option,
        remote: req.socket.remoteAddress,
        method: req.method,
      });
      sendJson(
        res,
        403,
        `Forbidden: the ${name} header ${JSON.stringify(refused.value)} is not allowed (DNS rebinding protection); the server's ${refused.option} option admits it`,
        { connection: 'close' },
      );
      return;
    }
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
    if (!credentials.authorized(req)) {
      logger.warn('request refused: missing or wrong credentials', {
        header: credentials.header,
        remote: req.socket.remoteAddress,
      });
      sendJson(
        res,
        401,
        'unauthorized',
        credentials.bearer ? { 'www-authenticate': 'Bearer' } : {},
      );
      return;
    }
    if (req.method === 'GET' && jsonResponse) {
      // JSON answers: no server-initiated messages, no standalone event stream.
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
    if (!(await sessions.forward(id, req, res))) {
      sendJson(
        res,
        404,
        'session not found: it ended or expired; send initialize without a session id to start a new one',
        {},
        -32001,
      );
    }
  };

  const server = createServer((req, res) => {
    // A standalone event stream lasts as long as its session: close() does
    // not wait for it.
    if (req.method !== 'GET') {
      inFlight += 1;
      res.once('close', () => {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      });
    }
    handle(req, res).catch((error: unknown) => {
      logger.error('request failed', {
        error: error instanceof Error ? error.message : String(error),
      });
      sendJson(res, 500, 'internal error');
    });
  });
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    sessions.stopSweeping();
    throw error;
  }
  if (options.auth === undefined && !isLoopbackHost(host)) {
    logger.warn(
      'serving MCP without credentials on an interface other machines can reach (insecureNoAuth)',
      { host },
    );
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      sessions.stopSweeping();
      server.close();
      if (inFlight > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          idle = resolve;
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      await sessions.closeAll();
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
