// Shared by the gateway tests: third-party MCP servers (the SDK's own Server
// and McpServer) loaded as plain `tool` plugins through real WireSessions,
// a registry stand-in implementing the structural ServedRegistry over those
// sessions, and the gateway (createRegistryServer) served to the SDK's stock
// Client. The stand-in keeps the registry's contract for `tool.execute`
// (route by function, ToolCallFailed on `is_error: true` with the plugin's
// own output object); a real PluginRegistry is served in the stdio runtime's
// gateway test.
import {
  type HookCall,
  type KindSpec,
  type PluginManifest,
  type PluginState,
  ToolCallFailed,
} from '@dagstack/plugin-api';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import {
  createRegistryServer,
  createWireClient,
  openWireSession,
  type RegistryServerOptions,
  type ServedRegistry,
  type WireSession,
} from '../src/index.js';

/** The `tool` kind as the standard hookspec has it (execute has an output schema). */
export const TOOL_KIND: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [
    { name: 'get_schema', dispatch: 'broadcast_collect', mcp_exposed: false },
    {
      name: 'execute',
      dispatch: 'singleton',
      mcp_exposed: true,
      mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
      output_schema: {
        type: 'object',
        required: ['result'],
        properties: {
          result: {},
          is_error: { type: 'boolean' },
          error_message: { type: 'string' },
        },
      },
    },
  ],
};

/** What every result is parsed with: the message as sent, nothing dropped. */
export const RAW: z.ZodType<Record<string, unknown>> = z.looseObject({});

export function toolManifest(name: string): PluginManifest {
  return {
    schema_version: '1',
    name,
    kind: 'tool',
    kind_api_version: '1',
    source: 'inline',
  } as unknown as PluginManifest;
}

/** Everything a test opened, closed by {@link closeAll}. */
const opened: { close(): Promise<void> }[] = [];

export async function closeAll(): Promise<void> {
  for (const item of opened.splice(0).reverse()) await item.close().catch(() => undefined);
}

/** Record the methods of the messages a transport sends. */
export function recordSent(transport: Transport): string[] {
  const sent: string[] = [];
  const send = transport.send.bind(transport);
  transport.send = (message: JSONRPCMessage, options) => {
    if ('method' in message) sent.push(message.method);
    return send(message, options);
  };
  return sent;
}

/**
 * Load a third-party server (an SDK `Server`, or the `.server` of an
 * `McpServer`) as the plain `tool` plugin `name`, the way a runtime does:
 * a client declaring elicitation and sampling, a WireSession on it.
 */
export async function loadPlain(
  name: string,
  server: Server | { connect(transport: Transport): Promise<void> },
  options: { forwardServerRequests?: boolean } = {},
): Promise<{ session: WireSession; client: Client; sent: string[] }> {
  const [hostSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const sent = recordSent(hostSide);
  const client = createWireClient({
    forwardServerRequests: options.forwardServerRequests ?? true,
  });
  await client.connect(hostSide);
  opened.push(client);
  const session = openWireSession({ client, manifest: toolManifest(name) });
  return { session, client, sent };
}

/** A dagstack-native tool plugin, in process. */
export interface NativeTool {
  get_schema(): unknown;
  execute(input: { function: string; args: Record<string, unknown> }): unknown;
}

type Plugin = { kind: 'plain'; session: WireSession } | { kind: 'native'; plugin: NativeTool };

/**
 * A registry stand-in over loaded plugins: calls go straight to each
 * plugin's session (or object), `execute` is routed by function and rejects
 * with `ToolCallFailed` carrying the plugin's own output when it reports
 * `is_error: true`, as the registry does.
 */
export function standIn(
  plugins: Readonly<Record<string, WireSession | NativeTool>>,
  options: { peers?: boolean } = {},
): ServedRegistry & { calls: { hook: string; target: string | undefined }[] } {
  const table = new Map<string, Plugin>(
    Object.entries(plugins).map(([name, p]) => [
      name,
      'invoke' in p ? { kind: 'plain', session: p } : { kind: 'native', plugin: p },
    ]),
  );
  const calls: { hook: string; target: string | undefined }[] = [];
  const invoke = (name: string, hook: string, input: unknown, signal?: AbortSignal) => {
    const p = table.get(name);
    if (p === undefined) throw new Error(`no plugin ${name}`);
    if (p.kind === 'native') {
      return Promise.resolve(
        hook === 'get_schema'
          ? p.plugin.get_schema()
          : p.plugin.execute(input as { function: string; args: Record<string, unknown> }),
      );
    }
    const call: HookCall = {
      kind: 'tool',
      name,
      hook,
      metadata: {},
      signal: signal ?? new AbortController().signal,
    };
    return p.session.invoke(hook, input, call);
  };
  const registry: ServedRegistry & { calls: typeof calls } = {
    calls,
    plugins: () =>
      [...table.keys()].map((name) => ({ name, kind: 'tool', state: 'ready' as PluginState })),
    kindSpec: (kind) => (kind === 'tool' ? TOOL_KIND : undefined),
    async call(_kind, hook, input, callOptions) {
      calls.push({ hook, target: callOptions.target });
      if (hook === 'get_schema') {
        const names = callOptions.target === undefined ? [...table.keys()] : [callOptions.target];
        return Promise.all(
          names.map(async (plugin) => ({ plugin, value: await invoke(plugin, hook, input) })),
        );
      }
      const fn = (input as { function: string }).function;
      let target = callOptions.target;
      if (target === undefined) {
        for (const name of table.keys()) {
          const listed = (await invoke(name, 'get_schema', {})) as { name: string }[];
          if (listed.some((f) => f.name === fn)) target = name;
        }
      }
      if (target === undefined) throw new Error(`no plugin lists ${fn}`);
      const output = (await invoke(target, hook, input, callOptions.signal)) as Record<
        string,
        unknown
      >;
      if (output.is_error === true) {
        throw new ToolCallFailed({
          plugin: target,
          kind: 'tool',
          hook,
          function: fn,
          output,
        });
      }
      return output;
    },
  };
  if (options.peers !== false) {
    registry.peers = () =>
      [...table.entries()].flatMap(([plugin, p]) =>
        p.kind === 'plain' ? [{ plugin, kind: 'tool', peer: p.session }] : [],
      );
  }
  return registry;
}

/**
 * The gateway in front of `registry`, connected to the SDK's stock Client
 * (with `clientOptions`, e.g. the capabilities it declares).
 */
export async function gateway(
  registry: ServedRegistry,
  clientOptions: ClientOptions = {},
  serverOptions: RegistryServerOptions = {},
): Promise<{ client: Client; server: Server }> {
  const server = createRegistryServer(registry, serverOptions);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'stock-client', version: '1.0.0' }, clientOptions);
  await client.connect(clientSide);
  opened.push(client, server);
  return { client, server };
}

/** Resolve once `check()` holds (bounded by the test's own timeout). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}
