// The public option and result types of the MCP HTTP server (servePlugin,
// serveMcpHttp) and the internal `Site` of option errors. Types only: no
// runtime code, no imports from the package's other modules but types.
import type { Logger } from '@dagstack/plugin-api';
import type { PluginServerOptions } from '@dagstack/plugin-mcp-wire';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

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

/** Where the errors of a bad option point. */
export interface Site {
  readonly plugin?: string;
  readonly kind?: string;
}
