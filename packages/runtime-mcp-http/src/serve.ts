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
import { SessionEventStore } from './event-store.js';
import { createRequestGuard, isLoopbackHost } from './request-guard.js';

/** How the server checks the host's credentials. @since 0.1.0 */
export interface ServeAuthOptions {
  /** The expected token. */
  readonly token: string;
  /** Header that carries it. @default "Authorization" */
  readonly header?: string;
  /** Scheme before the token; `null` for a raw value. @default "Bearer" for Authorization, else null */
  readonly scheme?: string | null;
}

/**
 * Who may reach an MCP HTTP endpoint and how long its sessions live; shared
 * by {@link servePlugin} and {@link serveMcpHttp}.
 * @since 0.2.0
 */
export interface McpHttpAccessOptions {
  /**
   * Host names the `Host` header may carry besides the defaults, against DNS
   * rebinding: `"name"` (any port) or `"name:port"`; `"*"` turns the check
   * off. Always allowed: `localhost`, `127.0.0.1`, `[::1]` (any port) and the
   * interface the server listens on. Other requests get 403.
   * @default []
   * @since 0.2.0
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Origins a browser's `Origin` header may carry besides the loopback ones
   * (`http(s)://localhost`, `127.0.0.1`, `[::1]`, any port): full origins
   * such as `"https://app.example.com"`; `"*"` turns the check off. A request
   * without `Origin` (not from a browser) is not checked for it. Other
   * requests get 403.
   * @default []
   * @since 0.2.0
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * A session with no request in flight (and, with event streams, no open
   * standalone stream) for this long is closed; the client's next request
   * gets 404 and a client re-initialises. `Infinity` keeps sessions until
   * the client ends them.
   * @default 300000 (5 minutes)
   * @since 0.2.0
   */
  readonly sessionIdleMs?: number;
  /**
   * Serve without `auth` on an interface other machines can reach (a proxy in
   * front authenticates). Without it, such a server refuses to start.
   * @default false
   * @since 0.2.0
   */
  readonly insecureNoAuth?: boolean;
}

/** Options of {@link servePlugin}. @since 0.1.0 */
export interface ServePluginOptions extends PluginServerOptions, McpHttpAccessOptions {
  /** The transport; this package serves `http` (stdio lives in the mcp_stdio runtime). */
  readonly transport: 'http';
  /** Interface to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Path of the MCP endpoint. @default "/mcp" */
  readonly path?: string;
  /**
   * Credentials required of every request. Required when `host` is not a
   * loopback address (unless `insecureNoAuth`).
   * @default none
   */
  readonly auth?: ServeAuthOptions;
  /**
   * Sessions (connected hosts) served at once. A new host takes the place of
   * the least recently used idle session; when every session has a call in
   * flight it gets 503 with `retry-after`.
   * @default 64
   */
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
  /**
   * Run when the endpoint closes while the session is still open (e.g. the
   * plugin's teardown). Not run when the session expires or is evicted (the
   * object behind it may serve other sessions); `close()` runs the one of the
   * session that ended that way last, so a plugin set up by a host that went
   * away is still torn down.
   */
  shutdown?(): Promise<unknown>;
}

/** Options of {@link serveMcpHttp}. @since 0.1.0 */
export interface McpHttpServeOptions extends McpHttpAccessOptions {
  /** Interface to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Path of the MCP endpoint. @default "/mcp" */
  readonly path?: string;
  /**
   * Credentials required of every request. Required when `host` is not a
   * loopback address (unless `insecureNoAuth`).
   * @default none
   */
  readonly auth?: ServeAuthOptions;
  /**
   * Sessions served at once. A new client takes the place of the least
   * recently used idle session; when every session has a request in flight
   * it gets 503 with `retry-after`.
   * @default 64
   */
  readonly maxSessions?: number;
  /** How long `close()` waits for calls in flight. @default 10000 */
  readonly shutdownGraceMs?: number;
  /** Bound of one request body in bytes. @default 16 MiB */
  readonly maxMessageBytes?: number;
  /** Where refused requests and failures are logged. @default JSON lines on stderr */
  readonly logger?: Logger;
  /**
   * `true`: every POST is answered with one JSON body and `GET` gets 405 (no
   * server-initiated messages). `false`: answers are event streams and a
   * client may open the standalone `GET` stream, so the server can send
   * progress notifications and requests (elicitation, sampling) to the
   * client during a call.
   * @default true
   * @since 0.2.0
   */
  readonly jsonResponse?: boolean;
  /**
   * With `jsonResponse: false`: the reconnection delay the server suggests to
   * clients (the `retry` field of each stream's first event). Every event has
   * an id, and a client that reconnects with `Last-Event-ID` gets what it
   * missed on that stream (the last 1,000 events of the session are kept).
   * @default 1000
   * @since 0.2.0
   */
  readonly sseRetryMs?: number;
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
  /** Set once the client initialised the session. */
  id: string | undefined;
  /** Requests in flight other than the standalone event stream. */
  busy: number;
  /** Standalone `GET` event streams open (0 or 1). */
  streams: number;
  /** When a request of the session last started or ended (ms since the epoch). */
  lastActive: number;
  /** Closed by the server (idle, evicted) or by the client (DELETE). */
  ended: boolean;
}

/** Where the errors of a bad option point. */
interface Site {
  readonly plugin?: string;
  readonly kind?: string;
}

const DEFAULT_SESSION_IDLE_MS = 300_000;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

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

/** Refuse to serve without credentials on an interface other machines can reach. */
function checkExposure(
  host: string,
  auth: ServeAuthOptions | undefined,
  insecureNoAuth: boolean | undefined,
  site: Site,
): void {
  if (auth !== undefined || insecureNoAuth === true || isLoopbackHost(host)) return;
  throw new PluginRegistryError(
    `refusing to serve MCP over HTTP on ${host} without credentials: that interface is reachable from other machines, and anyone there could call every tool`,
    {
      ...site,
      hint: 'pass auth: { token } with a token read from the environment, or listen on 127.0.0.1; if a proxy in front authenticates, pass insecureNoAuth: true',
    },
  );
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
  checkExposure(host, options.auth, options.insecureNoAuth, {});
  checkNumbers(options, {});
  const guard = createRequestGuard({
    host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    site: {},
  });

  /** Open sessions by id, least recently used first (re-inserted on every use). */
  const sessions = new Map<string, Session>();
  /** Sessions whose `initialize` is in flight and has no id yet. */
  const opening = new Set<Session>();
  /** The last session that expired or was evicted with a `shutdown` (see McpSessionServer). */
  let retired: McpSessionServer | undefined;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const authorized = (req: IncomingMessage): boolean => {
    if (expected === undefined) return true;
    const value = req.headers[authHeader];
    const given = digest(typeof value === 'string' ? value : '');
    return timingSafeEqual(given, expected);
  };

  const touch = (session: Session): void => {
    session.lastActive = Date.now();
    const id = session.id;
    if (id !== undefined && sessions.get(id) === session) {
      sessions.delete(id);
      sessions.set(id, session);
    }
  };

  const forget = (session: Session): void => {
    session.ended = true;
    opening.delete(session);
    const id = session.id;
    if (id !== undefined && sessions.get(id) === session) sessions.delete(id);
  };

  /** The server ends a session on its own: close its SDK server, not what is behind it. */
  const end = (session: Session, reason: 'idle' | 'evicted'): void => {
    if (session.ended) return;
    forget(session);
    if (session.served.shutdown !== undefined) retired = session.served;
    const fields = { reason, idleMs: Date.now() - session.lastActive, open: sessions.size };
    if (reason === 'evicted') {
      logger.info('MCP session closed to admit a new client (maxSessions reached)', {
        ...fields,
        maxSessions,
      });
    } else {
      logger.debug('MCP session closed after being idle', fields);
    }
    void session.served.server.close().catch(() => undefined);
  };

  /** Count a request of `session` until its response closes. */
  const track = (session: Session, req: IncomingMessage, res: ServerResponse): void => {
    const stream = req.method === 'GET';
    if (stream) session.streams += 1;
    else session.busy += 1;
    touch(session);
    res.once('close', () => {
      if (stream) session.streams -= 1;
      else session.busy -= 1;
      touch(session);
    });
  };

  /** The session to evict for a newcomer: least recently used, nothing in flight. */
  const evictable = (): Session | undefined => {
    let withStream: Session | undefined;
    for (const session of sessions.values()) {
      if (session.busy > 0) continue;
      if (session.streams === 0) return session;
      withStream ??= session;
    }
    return withStream;
  };

  const sweep = (): void => {
    const now = Date.now();
    for (const session of sessions.values()) {
      // Ordered by last use: the rest were used more recently.
      if (now - session.lastActive < idleMs) break;
      if (session.busy === 0 && session.streams === 0) end(session, 'idle');
    }
  };
  const sweeper = Number.isFinite(idleMs)
    ? setInterval(sweep, Math.min(Math.max(Math.floor(idleMs / 4), 25), 30_000))
    : undefined;
  sweeper?.unref();

  const openSession = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (sessions.size + opening.size >= maxSessions) {
      const victim = evictable();
      if (victim === undefined) {
        logger.warn(
          'request refused: every session has a request in flight (maxSessions reached)',
          {
            maxSessions,
            remote: req.socket.remoteAddress,
          },
        );
        sendJson(res, 503, `too many sessions: all ${maxSessions} are busy; retry later`, {
          'retry-after': '1',
        });
        return;
      }
      end(victim, 'evicted');
    }
    const served = createSession();
    const session: Session = {
      served,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: jsonResponse,
        maxRequestBodySize: maxBytes,
        // Event streams are resumable: ids, a retry hint, replay after Last-Event-ID.
        ...(jsonResponse ? {} : { eventStore: new SessionEventStore(), retryInterval: sseRetryMs }),
        onsessioninitialized: (id) => {
          if (session.ended) return;
          session.id = id;
          session.lastActive = Date.now();
          opening.delete(session);
          sessions.set(id, session);
        },
        onsessionclosed: () => forget(session),
      }),
      id: undefined,
      busy: 0,
      streams: 0,
      lastActive: Date.now(),
      ended: false,
    };
    session.transport.onclose = () => forget(session);
    served.server.onerror = (error) => logger.warn('MCP transport error', { error: error.message });
    opening.add(session);
    track(session, req, res);
    try {
      await served.server.connect(session.transport);
      await session.transport.handleRequest(req, res);
    } finally {
      opening.delete(session);
      // A first request that did not initialize leaves nothing behind.
      if (session.id === undefined) {
        session.ended = true;
        await served.server.close().catch(() => {});
      }
    }
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
    if (!authorized(req)) {
      logger.warn('request refused: missing or wrong credentials', {
        header: authHeader,
        remote: req.socket.remoteAddress,
      });
      sendJson(res, 401, 'unauthorized', bearer ? { 'www-authenticate': 'Bearer' } : {});
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
    const session = sessions.get(id);
    if (session === undefined) {
      sendJson(
        res,
        404,
        'session not found: it ended or expired; send initialize without a session id to start a new one',
        {},
        -32001,
      );
      return;
    }
    track(session, req, res);
    await session.transport.handleRequest(req, res);
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
    if (sweeper !== undefined) clearInterval(sweeper);
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
      if (sweeper !== undefined) clearInterval(sweeper);
      server.close();
      if (inFlight > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          idle = resolve;
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      const open = [...sessions.values()];
      sessions.clear();
      // Nobody is left to tear down what a session that went away set up.
      const teardowns = open.length === 0 && retired !== undefined ? [retired] : [];
      retired = undefined;
      for (const served of [...open.map((s) => s.served), ...teardowns]) {
        try {
          await served.shutdown?.();
        } catch (error) {
          logger.error('teardown failed', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      for (const session of open) {
        session.ended = true;
        await session.served.server.close().catch(() => undefined);
      }
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
