import type { Readable, Writable } from 'node:stream';
import type { CallMetadata } from '@dagstack/plugin-api';
import { maskSecrets } from '@dagstack/plugin-manifest';
import { createRegistryServer, mcpPeerOf, type ServedRegistry } from '@dagstack/plugin-mcp-wire';
import { serveMcpHttp } from '@dagstack/plugin-runtime-mcp-http';
import { guardStdout } from '@dagstack/plugin-runtime-mcp-stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createHost, type Host, type HostOptions } from '../host.js';
import { CliError, type CliIo, EXIT, UsageError, writeJson } from '../io.js';
import { bareMessage } from '../report.js';
import { CLI_VERSION } from '../version.js';

/** Usage of `serve`. */
export const SERVE_USAGE = `dagstack-plugins serve <dir>... (--stdio | --http [--host 127.0.0.1] [--port N] [--token-env VAR])
    [--allowed-host H]... [--allowed-origin O]... [--session-idle SEC] [--insecure-no-auth]
    [--kinds <dir>]... [--no-dispatch-tools] [--allow-empty] [--json]

Discovers and starts the plugins under each <dir> and serves the registry as one
MCP server, on stdin/stdout (--stdio) or as a Streamable HTTP endpoint (--http,
127.0.0.1 and a free port unless told). Every mcp_exposed hook of every ready
plugin is a tool named by its kind's template ({kind}.{plugin}.{hook}; one tool
per function for the tool kind, with the tool's own title, annotations and
schemas when the plugin is a third-party MCP server), plus one {kind}.{hook}
tool per hook that dispatches with the kind's class (tool.execute routes by
its "function" argument). Calls go through the registry, so middleware
(chain_wrap plugins) and argument checks apply.

HTTP: requests whose Host or Origin header is not a loopback name get 403
(DNS-rebinding protection); --allowed-host / --allowed-origin admit more
(repeatable; '*' turns that check off; on --host 0.0.0.0, clients that use
the machine's name or address need it in --allowed-host). --token-env names the variable holding
the bearer token clients must send; binding a non-loopback --host without one
is refused unless --insecure-no-auth. Sessions idle for --session-idle seconds
(default 300) are closed; when all slots are taken the least recently used idle
session makes room. The endpoint URL is printed on stdout ({"url": ...} with --json).

What is served (plugins ready, tools and their names) and every manifest that
was skipped go to stderr. With no plugin ready, serve exits 1 unless
--allow-empty. Logs go to stderr; stdout carries only protocol messages in
--stdio mode. Ends when stdin closes (stdio) or on SIGINT/SIGTERM, after
stopping every plugin.
Exit codes: 0 served and stopped, 1 no plugin ready, a plugin failed to start
or serving failed, 2 usage error.
`;

/** Options of `serve`. */
export interface ServeOptions extends Omit<HostOptions, 'io'> {
  readonly stdio: boolean;
  readonly http: boolean;
  readonly json: boolean;
  readonly host?: string;
  readonly port?: string;
  readonly tokenEnv?: string;
  readonly dispatchTools: boolean;
  /** `--allowed-host`: Host header values admitted besides the loopback names. */
  readonly allowedHosts?: readonly string[];
  /** `--allowed-origin`: Origin header values admitted besides the loopback origins. */
  readonly allowedOrigins?: readonly string[];
  /** `--session-idle`: seconds after which an idle HTTP session is closed, as given. */
  readonly sessionIdle?: string;
  /** `--insecure-no-auth`: allow a non-loopback bind without a token. */
  readonly insecureNoAuth?: boolean;
  /** `--allow-empty`: serve even when no plugin is ready. */
  readonly allowEmpty?: boolean;
  /** The process streams (tests pass their own). */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
}

/** The registry as {@link createRegistryServer} sees it. */
export function servedRegistry(host: Host): ServedRegistry {
  return {
    plugins: () => host.registry.status(),
    // Third-party MCP servers behind plugins: their resources, prompts and
    // logging are passed through by the gateway.
    peers: () =>
      host.registry.getLoadedPlugins().flatMap((c) => {
        const peer = mcpPeerOf(c.handle);
        return peer === undefined ? [] : [{ plugin: c.name, kind: c.kind, peer }];
      }),
    kindSpec: (kind) => host.kinds.get(kind),
    call: (kind, hook, input, options) =>
      host.registry.call(kind, hook, input, {
        ...(options.target === undefined ? {} : { target: options.target }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.metadata === undefined ? {} : { metadata: options.metadata as CallMetadata }),
      }),
  };
}

/** What a started registry serves, as an MCP client of it sees it. */
export interface ServedSummary {
  /** Plugins that are ready (or degraded) and so served. */
  readonly ready: readonly string[];
  /** Names of the tools a client lists, sorted. */
  readonly tools: readonly string[];
  /** Ready plugins with at least one tool of their own (`{kind}.{plugin}.…`). */
  readonly pluginsWithTools: readonly string[];
}

/**
 * List the tools of the served registry through a real MCP client over an
 * in-memory pair, so what `serve` reports is what a client gets.
 */
export async function summarize(
  served: ServedRegistry,
  options: { readonly dispatchTools: boolean },
): Promise<ServedSummary> {
  const server = createRegistryServer(served, {
    name: 'dagstack-plugins',
    dispatchTools: options.dispatchTools,
  });
  const client = new Client({ name: 'dagstack-plugins-summary', version: CLI_VERSION });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  try {
    await server.connect(serverSide);
    await client.connect(clientSide);
    const tools: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    tools.sort();
    const live = served.plugins().filter((p) => p.state === 'ready' || p.state === 'degraded');
    return {
      ready: live.map((p) => p.name),
      tools,
      pluginsWithTools: live
        .filter((p) => tools.some((t) => t.startsWith(`${p.kind}.${p.name}.`)))
        .map((p) => p.name),
    };
  } finally {
    await client.close().catch(() => undefined);
    await server.close().catch(() => undefined);
  }
}

/** One line saying what is served. */
function describeServed(summary: ServedSummary): string {
  const shown = summary.tools.slice(0, 20).join(', ');
  const more = summary.tools.length > 20 ? `, … (${summary.tools.length} in all)` : '';
  return `${summary.ready.length} plugin(s) ready (${summary.ready.join(', ') || 'none'}); ${summary.pluginsWithTools.length} expose tools; ${summary.tools.length} tool(s)${summary.tools.length > 0 ? `: ${shown}${more}` : ''}`;
}

/**
 * Discover and start the plugins, and tell stderr what was skipped, what did
 * not start and what is served. Throws `NOTHING_TO_SERVE` when no plugin is
 * ready and `--allow-empty` was not given.
 */
async function start(
  host: Host,
  dirs: readonly string[],
  options: ServeOptions,
): Promise<{ served: ServedRegistry; summary: ServedSummary }> {
  await host.discover(dirs);
  host.warnSkipped();
  const report = await host.registry.setupAll();
  for (const { plugin, error } of report.unavailable) {
    host.warn(`${plugin} is unavailable: ${bareMessage(error)}`, {
      plugin,
      code: error.code,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    });
  }
  const served = servedRegistry(host);
  const summary = await summarize(served, options);
  host.notice(describeServed(summary), {
    ready: summary.ready.length,
    tools: summary.tools.length,
  });
  if (summary.ready.length === 0 && options.allowEmpty !== true) {
    throw new CliError(
      'NOTHING_TO_SERVE',
      'no plugin is ready, so there is nothing to serve',
      'fix the plugins reported above, or pass --allow-empty to serve anyway',
    );
  }
  return { served, summary };
}

/** `dagstack-plugins serve`. */
export async function serveCommand(
  io: CliIo,
  dirs: readonly string[],
  options: ServeOptions,
): Promise<number> {
  if (dirs.length === 0) throw new UsageError('missing <dir> (a folder of plugins)');
  if (options.http === options.stdio)
    throw new UsageError(
      options.http ? 'give one of --stdio and --http, not both' : 'missing --stdio or --http',
    );
  if (options.http) return serveHttp(io, dirs, options);
  const httpOnly = [
    ['--host', options.host],
    ['--port', options.port],
    ['--token-env', options.tokenEnv],
    ['--session-idle', options.sessionIdle],
    ['--allowed-host', options.allowedHosts?.length ? 'x' : undefined],
    ['--allowed-origin', options.allowedOrigins?.length ? 'x' : undefined],
    ['--insecure-no-auth', options.insecureNoAuth ? 'x' : undefined],
  ].filter(([, v]) => v !== undefined);
  if (httpOnly.length > 0)
    throw new UsageError(`${httpOnly.map(([flag]) => flag).join(', ')} go with --http`);
  // Before anything can print: the protocol owns stdout from here on.
  const stdout = options.stdout ?? guardStdout();
  const stdin = options.stdin ?? process.stdin;
  const host = await createHost({ io, ...options, command: 'serve' });
  try {
    const started = await start(host, dirs, options);
    host.notice(`dagstack-plugins ${CLI_VERSION} serving MCP on stdio`);
    const server = createRegistryServer(started.served, {
      name: 'dagstack-plugins',
      version: CLI_VERSION,
      dispatchTools: options.dispatchTools,
      logger: host.logger,
      mask: maskSecrets,
    });
    const transport = new StdioServerTransport(stdin, stdout);
    const done = new Promise<void>((resolve) => {
      const finish = (): void => resolve();
      stdin.once('end', finish);
      stdin.once('close', finish);
      server.onclose = finish;
      process.once('SIGINT', finish);
      process.once('SIGTERM', finish);
    });
    await server.connect(transport);
    await done;
    await server.close().catch(() => undefined);
    return EXIT.ok;
  } finally {
    await host.close();
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function serveHttp(
  io: CliIo,
  dirs: readonly string[],
  options: ServeOptions,
): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  let port = 0;
  if (options.port !== undefined) {
    port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port ${options.port}: expected a port number`);
  }
  let sessionIdleMs: number | undefined;
  if (options.sessionIdle !== undefined) {
    const seconds = Number(options.sessionIdle);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError(
        `--session-idle ${options.sessionIdle}: expected a positive number of seconds`,
      );
    sessionIdleMs = Math.round(seconds * 1000);
  }
  let token: string | undefined;
  if (options.tokenEnv !== undefined) {
    token = (io.env ?? process.env)[options.tokenEnv];
    if (token === undefined || token === '')
      throw new UsageError(`--token-env ${options.tokenEnv}: the variable is not set`);
  } else if (!LOOPBACK.has(host) && options.insecureNoAuth !== true) {
    throw new UsageError(
      `--host ${host} is reachable from other machines: pass --token-env VAR so clients must authenticate (or --insecure-no-auth to serve without, on a network you trust)`,
    );
  }
  const host_ = await createHost({ io, ...options, command: 'serve' });
  try {
    const started = await start(host_, dirs, options);
    const endpoint = await serveMcpHttp(
      () => ({
        server: createRegistryServer(started.served, {
          name: 'dagstack-plugins',
          version: CLI_VERSION,
          dispatchTools: options.dispatchTools,
          logger: host_.logger,
          mask: maskSecrets,
        }),
      }),
      {
        host,
        port,
        logger: host_.logger,
        // SSE answers, so progress and server-to-client requests reach the client.
        jsonResponse: false,
        ...(token === undefined ? {} : { auth: { token } }),
        ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
        ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
        ...(sessionIdleMs === undefined ? {} : { sessionIdleMs }),
        ...(options.insecureNoAuth === true ? { insecureNoAuth: true } : {}),
      },
    );
    if (options.json)
      writeJson(io, {
        url: endpoint.url,
        version: CLI_VERSION,
        plugins: started.summary.ready,
        tools: started.summary.tools,
      });
    else
      io.stdout.write(
        `serving MCP on ${endpoint.url} (dagstack-plugins ${CLI_VERSION}; ${started.summary.ready.length} plugin(s) ready, ${started.summary.tools.length} tool(s))\n`,
      );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await endpoint.close();
    return EXIT.ok;
  } finally {
    await host_.close();
  }
}
