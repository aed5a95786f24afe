import type { Readable, Writable } from 'node:stream';
import type { CallMetadata } from '@dagstack/plugin-api';
import { createRegistryServer, type ServedRegistry } from '@dagstack/plugin-mcp-wire';
import { guardStdout } from '@dagstack/plugin-runtime-mcp-stdio';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createHost, type Host, type HostOptions, resolvePath } from '../host.js';
import { type CliIo, EXIT, UsageError } from '../io.js';

/** Usage of `serve`. */
export const SERVE_USAGE = `dagstack-plugins serve <dir>... --stdio [--kinds <dir>]... [--no-dispatch-tools]

Discovers and starts the plugins under each <dir> and serves the registry as one
MCP server on stdin/stdout: every mcp_exposed hook of every ready plugin is a
tool named by its kind's template ({kind}.{plugin}.{hook}; one tool per
function for the tool kind), plus one {kind}.{hook} tool per hook that
dispatches with the kind's class. Calls go through the registry, so
middleware (chain_wrap plugins) applies. Logs go to stderr; stdout carries only
protocol messages. Ends when stdin closes or on SIGINT/SIGTERM, after stopping
every plugin.
Exit codes: 0 served and stopped, 1 a plugin failed to start or serving failed,
2 usage error.
`;

/** Options of `serve`. */
export interface ServeOptions extends Omit<HostOptions, 'io'> {
  readonly stdio: boolean;
  readonly http: boolean;
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
  if (options.http) {
    throw new UsageError('--http is not available in this version; use --stdio');
  }
  if (!options.stdio) throw new UsageError('serve needs --stdio');
  // Before anything can print: the protocol owns stdout from here on.
  const stdout = options.stdout ?? guardStdout();
  const stdin = options.stdin ?? process.stdin;
  const host = await createHost({ io, ...options });
  try {
    await host.registry.discover(dirs.map((d) => resolvePath(io, d)));
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
