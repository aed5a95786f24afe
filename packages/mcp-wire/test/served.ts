// Shared by the server-side check tests: a plugin server connected in memory
// to the MCP SDK's own client, or to a host wire session.
import type { KindSpec, Logger, PluginManifest } from '@dagstack/plugin-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createWireClient, openWireSession, type PluginServer } from '../src/index.js';

/** A logger that drops everything. */
export const QUIET: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The manifest of plugin `p` of kind `demo`, as a host holds it. */
export const DEMO_MANIFEST = {
  schema_version: '1',
  name: 'p',
  kind: 'demo',
  kind_api_version: '1',
  source: 'inline',
} as unknown as PluginManifest;

/** Connect the SDK's own `Client` to `served` (it checks structured content only for tools it has listed). */
export async function sdkClient(served: PluginServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await served.server.connect(serverSide);
  const client = new Client({ name: 'sdk-client', version: '1.0.0' });
  await client.connect(clientSide);
  await client.listTools();
  return client;
}

/** Connect a host wire session to `served`; call `hook` of plugin `p` with `input`. */
export async function callThroughSession(
  served: PluginServer,
  kindSpec: KindSpec,
  hook: string,
  input: unknown,
): Promise<unknown> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await served.server.connect(serverSide);
  const client = createWireClient();
  await client.connect(clientSide);
  const session = openWireSession({ client, manifest: DEMO_MANIFEST, kindSpec });
  const call = {
    kind: 'demo',
    name: 'p',
    hook,
    metadata: {},
    signal: new AbortController().signal,
  };
  try {
    return await session.invoke(hook, input, call);
  } catch (error) {
    return error;
  } finally {
    await client.close();
  }
}
