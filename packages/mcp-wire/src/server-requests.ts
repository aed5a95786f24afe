// Server-to-client requests on a host's MCP client (elicitation, sampling,
// roots): the capabilities a client declares for them, the served gateway
// calls in flight a request may belong to, and the routing of one request to
// the gateway call's client, the host's own handlers, or a refusal.
//
// Owns: ServerRequestContext, ServerRequestHandlers, the routing rules and
// the SDK request handlers it installs on a client. May not touch: the
// session's hooks, progress or notifications (session.ts, notifications.ts),
// nor how the client is created (wire-client.ts); it gets what it needs as
// arguments.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type ClientCapabilities,
  type CreateMessageRequestParams,
  type CreateMessageResult,
  type ElicitRequestFormParams,
  ElicitRequestSchema,
  type ElicitResult,
  ErrorCode,
  type ListRootsResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { GatewayCall } from './gateway-call.js';
import { passOn, rpcError } from './rpc-error.js';

/**
 * What a host's {@link ServerRequestHandlers} get besides the request's
 * parameters.
 * @since 0.2.0
 */
export interface ServerRequestContext {
  /** Name of the plugin whose server sent the request. */
  readonly plugin: string;
  /** Kind of that plugin. */
  readonly kind: string;
  /** Aborts when the server cancels its request or the connection closes. */
  readonly signal: AbortSignal;
}

/**
 * How a host answers the requests an MCP server sends it during a call when
 * no served gateway call is there to take them (a host's own
 * `registry.call`). Each handler given is declared in `initialize`
 * (`elicitation` in form mode with `applyDefaults`, `sampling`, `roots`); a
 * request with no handler is refused at once with JSON-RPC -32601, never
 * left waiting. What a handler throws goes back to the server as a JSON-RPC
 * error: an SDK `McpError` with its code, message and data, anything else
 * as -32603 with its message.
 * @since 0.2.0
 */
export interface ServerRequestHandlers {
  /**
   * Answer `elicitation/create` (form mode): `{ action: 'accept', content }`,
   * `{ action: 'decline' }` or `{ action: 'cancel' }`. On `accept`, fields
   * the requested schema gives a `default` for and `content` leaves out are
   * filled in with it before the answer goes back (SEP-1034).
   */
  readonly elicitation?: (
    params: ElicitRequestFormParams,
    context: ServerRequestContext,
  ) => Promise<ElicitResult>;
  /** Answer `sampling/createMessage` with the model's message. */
  readonly sampling?: (
    params: CreateMessageRequestParams,
    context: ServerRequestContext,
  ) => Promise<CreateMessageResult>;
  /** Answer `roots/list`. */
  readonly roots?: (context: ServerRequestContext) => Promise<ListRootsResult>;
}

/** Server-to-client requests a gateway client may answer. */
const FORWARDABLE: ReadonlySet<string> = new Set([
  'elicitation/create',
  'sampling/createMessage',
  'roots/list',
]);

/**
 * The client capabilities to declare in `initialize` for server requests:
 * all a gateway client may take when `forward`, else those the host has a
 * handler for.
 */
export function serverRequestCapabilities(
  forward: boolean,
  handlers: ServerRequestHandlers | undefined,
): ClientCapabilities {
  return {
    // applyDefaults: the session answers elicitation through the SDK's
    // own handler, which fills in the schema's defaults on accept.
    ...(forward || handlers?.elicitation !== undefined
      ? { elicitation: { form: { applyDefaults: true } } }
      : {}),
    ...(forward || handlers?.sampling !== undefined ? { sampling: {} } : {}),
    ...(handlers?.roots !== undefined ? { roots: {} } : {}),
  };
}

/** Served gateway calls with a request in flight on one session (count per call). */
export class GatewayCallsInFlight {
  readonly #calls = new Map<GatewayCall, number>();

  /** A request of `call` starts. */
  enter(call: GatewayCall): void {
    this.#calls.set(call, (this.#calls.get(call) ?? 0) + 1);
  }

  /** A request of `call` ends. */
  leave(call: GatewayCall): void {
    const left = (this.#calls.get(call) ?? 1) - 1;
    if (left === 0) this.#calls.delete(call);
    else this.#calls.set(call, left);
  }

  /** The calls still open, in the order their first request in flight started. */
  open(): GatewayCall[] {
    return [...this.#calls.keys()].filter((c) => c.active);
  }
}

/** What routing a server request needs to know about the session it came on. */
export interface ServerRequestRoute {
  /** Served gateway calls with a request in flight on the session. */
  readonly gatewayCalls: GatewayCallsInFlight;
  /** The host's answers outside a gateway call (`serverRequests` of createWireClient). */
  readonly handlers: ServerRequestHandlers | undefined;
  /** Name of the session's plugin. */
  readonly plugin: string;
  /** Kind of the session's plugin. */
  readonly kind: string;
}

/**
 * A request from the server (elicitation, sampling, roots): forwarded to
 * the client of the one served gateway call in flight on the session when
 * that client can take it; outside a gateway call answered by the host's
 * handler for it (`serverRequests` of createWireClient); else refused at
 * once.
 */
export async function answerServerRequest(
  request: { readonly method: string; readonly params?: unknown },
  signal: AbortSignal,
  route: ServerRequestRoute,
): Promise<Record<string, unknown>> {
  const method = request.method;
  const params = request.params as Record<string, unknown> | undefined;
  const refuse = (why: string): Error =>
    rpcError(ErrorCode.MethodNotFound, `the dagstack host cannot answer ${method}: ${why}`);
  if (!FORWARDABLE.has(method)) throw refuse('it answers no such request');
  const open = route.gatewayCalls.open();
  const last = open.at(-1);
  if (last === undefined) {
    const answer = hostHandler(method, params, signal, route);
    if (answer === undefined) {
      throw refuse(
        'no call of a gateway client is in flight and the host has no handler for it (serverRequests)',
      );
    }
    try {
      return await answer();
    } catch (error) {
      throw passOn(error);
    }
  }
  if (open.some((c) => c.owner !== last.owner)) {
    throw refuse(
      'calls of several gateway clients are in flight and the request does not say which one it belongs to',
    );
  }
  const why = last.refuses(method, params);
  if (why !== undefined) throw refuse(why);
  // Ends when the server cancels its request or the served call ends.
  try {
    return await last.ask(method, params, signal);
  } catch (error) {
    // The client's error as it sent it (code, message, data).
    throw passOn(error);
  }
}

/** The host's handler for a server request, ready to call; `undefined` when it has none. */
function hostHandler(
  method: string,
  params: Record<string, unknown> | undefined,
  signal: AbortSignal,
  route: ServerRequestRoute,
): (() => Promise<Record<string, unknown>>) | undefined {
  const { elicitation, sampling, roots } = route.handlers ?? {};
  const context: ServerRequestContext = {
    plugin: route.plugin,
    kind: route.kind,
    signal,
  };
  let answer: (() => Promise<unknown>) | undefined;
  if (method === 'elicitation/create' && elicitation !== undefined) {
    answer = () => elicitation(params as ElicitRequestFormParams, context);
  } else if (method === 'sampling/createMessage' && sampling !== undefined) {
    answer = () => sampling(params as CreateMessageRequestParams, context);
  } else if (method === 'roots/list' && roots !== undefined) {
    answer = () => roots(context);
  }
  return answer as (() => Promise<Record<string, unknown>>) | undefined;
}

/**
 * Route the client's server requests to `answer`: the fallback request
 * handler (unless the client's own code set one), and the SDK's elicitation
 * handler when the client declared elicitation.
 */
export function installServerRequestHandlers(
  client: Client,
  answer: (
    request: { readonly method: string; readonly params?: unknown },
    signal: AbortSignal,
  ) => Promise<Record<string, unknown>>,
): void {
  // Without this the SDK answers "Method not found" itself; with it,
  // elicitation/sampling/roots requests of a gateway call reach its client.
  client.fallbackRequestHandler ??= (request, extra) => answer(request, extra.signal) as never;
  // Elicitation goes through the SDK's own handler when the client declared
  // it: the SDK checks the request's mode against the declared ones and
  // applies the schema's defaults to an accepted answer (applyDefaults).
  // Not declared (the SDK refuses the handler) or handled by the client's
  // own code: the fallback above stays.
  try {
    client.assertCanSetRequestHandler('elicitation/create');
    client.setRequestHandler(
      ElicitRequestSchema,
      (request, extra) => answer(request, extra.signal) as never,
    );
  } catch {
    // keep the fallback
  }
}
