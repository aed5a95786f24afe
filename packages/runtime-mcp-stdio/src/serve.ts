import type { Readable, Writable } from 'node:stream';
import { PluginRegistryError } from '@dagstack/plugin-api';
import {
  createPluginServer,
  DEFAULT_MAX_MESSAGE_BYTES,
  type PluginServerOptions,
  type ServeTarget,
} from '@dagstack/plugin-mcp-wire';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

/** Options of {@link servePlugin}. @since 0.1.0 */
export interface ServePluginOptions extends PluginServerOptions {
  /** The transport; this package serves `stdio` (HTTP lives in the mcp_http runtime). */
  readonly transport: 'stdio';
  /** @default process.stdin */
  readonly stdin?: Readable;
  /** @default process.stdout */
  readonly stdout?: Writable;
  /**
   * Exit the process once the host closes stdin and teardown ran.
   * @default true when serving on the process's own stdin/stdout
   */
  readonly exitOnClose?: boolean;
}

/** A plugin being served. @since 0.1.0 */
export interface ServedPlugin {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** Hooks the plugin implements (announced in the capability). */
  readonly hooks: readonly string[];
  /** MCP tool names of the hooks that are not function-templated. */
  readonly toolNames: readonly string[];
  /** Resolves when the server has stopped (stdin ended, or {@link ServedPlugin.close}). */
  readonly closed: Promise<void>;
  /** Tear the plugin down (if the host did not) and stop serving. */
  close(): Promise<void>;
}

type WriteFn = typeof process.stdout.write;

/**
 * Keep the protocol stream clean: anything the plugin (or a library it uses)
 * writes to `process.stdout` goes to stderr; only the transport writes to the
 * real stdout. Returns the protocol writer. For servers of one's own on
 * stdio (a registry served by the CLI); `servePlugin` calls it itself.
 * @since 0.1.0
 */
export function guardStdout(): Writable {
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout) as WriteFn;
  const toStderr = ((chunk: unknown, encoding?: unknown, callback?: unknown) =>
    (process.stderr.write as (...args: unknown[]) => boolean)(
      chunk,
      encoding,
      callback,
    )) as WriteFn;
  stdout.write = toStderr;
  return {
    write: realWrite,
    once: (event: string, listener: (...args: unknown[]) => void) => stdout.once(event, listener),
    on: (event: string, listener: (...args: unknown[]) => void) => stdout.on(event, listener),
  } as unknown as Writable;
}

/**
 * Serve a plugin object over MCP on stdio so a host can load it with
 * `runtime = "mcp_stdio"` (docs/wire.md):
 *
 * ```js
 * import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';
 * import { TOOL_KIND } from './kind.js';
 * await servePlugin(new EchoTool(), TOOL_KIND, { transport: 'stdio' });
 * ```
 *
 * stdout carries only protocol messages: `console.log` and other writes to
 * `process.stdout` are redirected to stderr (child processes the plugin starts
 * must not inherit stdout). When stdin ends the plugin is torn down (if the
 * host did not do it) and the process exits.
 * @since 0.1.0
 */
export async function servePlugin(
  plugin: object,
  target: ServeTarget,
  options: ServePluginOptions = { transport: 'stdio' },
): Promise<ServedPlugin> {
  if (options.transport !== 'stdio') {
    throw new PluginRegistryError(
      `servePlugin of @dagstack/plugin-runtime-mcp-stdio serves stdio, not "${String(options.transport)}"`,
      { hint: 'use the mcp_http runtime package to serve over HTTP' },
    );
  }
  const ownStreams = options.stdin === undefined && options.stdout === undefined;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? (ownStreams ? guardStdout() : process.stdout);
  const served = createPluginServer(plugin, target, options);
  const transport = new StdioServerTransport(stdin, stdout, {
    maxBufferSize: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  });
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await served.shutdown();
      } catch (error) {
        process.stderr.write(
          `${JSON.stringify({ level: 'error', msg: 'teardown failed', error: error instanceof Error ? error.message : String(error) })}\n`,
        );
      }
      stdin.off('end', onEnd);
      await served.server.close().catch(() => undefined);
      resolveClosed();
      if (options.exitOnClose ?? ownStreams) process.exit(0);
    })();
    return closing;
  };
  const onEnd = (): void => void close();
  stdin.on('end', onEnd);
  served.server.onclose = () => void close();
  served.server.onerror = (error) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', msg: 'MCP transport error', error: error.message })}\n`,
    );
  };
  await served.server.connect(transport);
  return {
    name: served.name,
    kind: served.kind,
    hooks: served.hooks,
    toolNames: served.toolNames,
    closed,
    close,
  };
}
