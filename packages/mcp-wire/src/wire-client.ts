// The host's SDK client for a dagstack plugin server: its options, the
// capabilities it declares in `initialize`, and the host's server-request
// handlers kept for the session opened on it.
//
// Owns: WireClientOptions, createWireClient and the client → handlers table.
// May not touch: sessions (session.ts) or the routing of server requests
// (server-requests.ts, which it only asks for the capabilities to declare).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CAPABILITY_KEY, WIRE_VERSION } from './constants.js';
import { type ServerRequestHandlers, serverRequestCapabilities } from './server-requests.js';

/**
 * Options of {@link createWireClient}.
 * @since 0.2.0
 */
export interface WireClientOptions {
  /** Client name in `initialize`. @default "dagstack-host" */
  readonly name?: string;
  /** Client version in `initialize`. @default "0.1.0" */
  readonly version?: string;
  /**
   * Also declare `elicitation` (form mode, `applyDefaults`) and `sampling`
   * in `initialize`, so the server may send `elicitation/create` and
   * `sampling/createMessage` during a call. The {@link WireSession} on this
   * client forwards each such request to the client of the gateway call it
   * belongs to ({@link createRegistryServer}) when that client declared the
   * capability; outside a gateway call it answers with `serverRequests`, or
   * refuses at once with a JSON-RPC error (so a call never waits for an
   * answer nobody will give).
   *
   * Leave it off on a transport that cannot deliver a server request before
   * the response of the call it belongs to (a fetch that buffers the POST's
   * event stream): there the server would wait for an answer until the
   * call's timeout. Servers also offer different tools to a client that
   * declares these (server-everything lists `trigger-elicitation-request`).
   * @default false
   */
  readonly forwardServerRequests?: boolean;
  /**
   * The host's own answers to server requests that arrive outside a gateway
   * call; each one given is declared in `initialize`. The
   * {@link WireSession} opened on this client uses them. The same caveat as
   * `forwardServerRequests` applies to the transport.
   * @default none
   * @since 0.2.0
   */
  readonly serverRequests?: ServerRequestHandlers;
}

/** The host handlers given to {@link createWireClient}, for the session opened on that client. */
const HANDLERS = new WeakMap<Client, ServerRequestHandlers>();

/**
 * Create an SDK `Client` that announces the dagstack capability in
 * `initialize` (docs/wire.md §2) and, with `forwardServerRequests` or
 * `serverRequests`, the `elicitation` (form, `applyDefaults`), `sampling`
 * and `roots` capabilities it can answer. Connect it to any transport, then
 * pass it to {@link openWireSession}.
 * @since 0.1.0
 */
export function createWireClient(info: WireClientOptions = {}): Client {
  const forward = info.forwardServerRequests === true;
  const handlers = info.serverRequests;
  const client = new Client(
    { name: info.name ?? 'dagstack-host', version: info.version ?? '0.1.0' },
    {
      capabilities: {
        experimental: { [CAPABILITY_KEY]: { wire_version: WIRE_VERSION } },
        ...serverRequestCapabilities(forward, handlers),
      },
    },
  );
  if (handlers !== undefined) HANDLERS.set(client, handlers);
  return client;
}

/** The `serverRequests` handlers `client` was created with; `undefined` when none. */
export function serverRequestHandlersOf(client: Client): ServerRequestHandlers | undefined {
  return HANDLERS.get(client);
}
