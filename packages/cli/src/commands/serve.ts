import type { Readable, Writable } from 'node:stream';
import type { CallMetadata } from '@dagstack/plugin-api';
import { createRegistryServer, type ServedRegistry } from '@dagstack/plugin-mcp-wire';
import { serveMcpHttp } from '@dagstack/plugin-runtime-mcp-http';
import { guardStdout } from '@dagstack/plugin-runtime-mcp-stdio';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createHost, type Host, type HostOptions } from '../host.js';
import { type CliIo, EXIT, UsageError, writeJson } from '../io.js';

/** Usage of `serve`. */
export const SERVE_USAGE = `dagstack-plugins serve <dir>... (--stdio | --http [--host 127.0.0.1] [--port N] [--token-env VAR])
    [--kinds <dir>]... [--no-dispatch-tools] [--json]

Discovers and starts the plugins under each <dir> and serves the registry as one
MCP server, on stdin/stdout (--stdio) or as a Streamable HTTP endpoint (--http,
127.0.0.1 and a free port unless told; --token-env names the variable holding
the bearer token clients must send, required for a non-loopback --host; the
endpoint URL is printed on stdout, as {"url": ...} with --json). Every
mcp_exposed hook of every ready plugin is a
tool named by its kind's template ({kind}.{plugin}.{hook}; one tool per
function for the tool kind), plus one {kind}.{hook} tool per hook that
dispatches with the kind's class. Calls go through the registry, so
middleware (chain_wrap plugins) applies. Logs go to stderr; stdout carries only
protocol messages. Ends when stdin closes (stdio) or on SIGINT/SIGTERM, after
stopping every plugin.
Exit codes: 0 served and stopped, 1 a plugin failed to start or serving failed,
2 usage error.
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
  /** The process streams (tests pass their own). */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
}

/** The registry as {@link createRegistryServer} sees it. */
export function servedRegistry(host: Host): ServedRegistry {
  return {
    plugins: () => host.registry.status(),
    kindSpec: (kind) => host.kinds.get(kind),
    call: (kind, hook, input, options) =>
      host.registry.call(kind, hook, input, {
        ...(options.target === undefined ? {} : { target: options.target }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.metadata === undefined ? {} : { metadata: options.metadata as CallMetadata }),
      }),
  };
}

/** `dagstack-plugins serve`. */
export async function serveCommand(
  io: CliIo,
  dirs: readonly string[],
  options: ServeOptions,
): Promise<number> {
  if (dirs.length === 0) throw new UsageError('serve needs at least one plugin folder');
  if (options.http === options.stdio) throw new UsageError('serve needs one of --stdio or --http');
  if (options.http) return serveHttp(io, dirs, options);
  if (options.host !== undefined || options.port !== undefined || options.tokenEnv !== undefined)
    throw new UsageError('--host, --port and --token-env go with --http');
  // Before anything can print: the protocol owns stdout from here on.
  const stdout = options.stdout ?? guardStdout();
  const stdin = options.stdin ?? process.stdin;
  const host = await createHost({ io, ...options });
  try {
    await host.discover(dirs);
    const report = await host.registry.setupAll();
    for (const { plugin, error } of report.unavailable) {
      io.stderr.write(`serve: ${plugin} is unavailable: ${error.message}\n`);
    }
    io.stderr.write(
      `serve: ${report.started.length} plugin(s) ready (${report.started.join(', ') || 'none'}); serving MCP on stdio\n`,
    );
    const server = createRegistryServer(servedRegistry(host), {
      name: 'dagstack-plugins',
      dispatchTools: options.dispatchTools,
      logger: host.logger,
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
  let token: string | undefined;
  if (options.tokenEnv !== undefined) {
    token = (io.env ?? process.env)[options.tokenEnv];
    if (token === undefined || token === '')
      throw new UsageError(`--token-env ${options.tokenEnv}: the variable is not set`);
  } else if (!LOOPBACK.has(host)) {
    throw new UsageError(
      `--host ${host} is reachable from other machines: pass --token-env VAR so clients must authenticate`,
    );
  }
  const host_ = await createHost({ io, ...options });
  try {
    await host_.discover(dirs);
    const report = await host_.registry.setupAll();
    for (const { plugin, error } of report.unavailable) {
      io.stderr.write(`serve: ${plugin} is unavailable: ${error.message}\n`);
    }
    const served = servedRegistry(host_);
    const endpoint = await serveMcpHttp(
      () => ({
        server: createRegistryServer(served, {
          name: 'dagstack-plugins',
          dispatchTools: options.dispatchTools,
          logger: host_.logger,
        }),
      }),
      { host, port, logger: host_.logger, ...(token === undefined ? {} : { auth: { token } }) },
    );
    if (options.json) writeJson(io, { url: endpoint.url, plugins: report.started });
    else
      io.stdout.write(
        `serving MCP on ${endpoint.url} (${report.started.length} plugin(s) ready)\n`,
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
