// One connected plugin as the host sees it (docs/wire.md): WireSession opens
// on a connected SDK client, sends the extension requests (setup, teardown,
// health), calls hooks over `tools/call`, and serves as an McpPeer for a
// gateway.
//
// Owns: the session's state (hook plan, call limits, error mapping, gateway
// calls and progress of calls in flight) and every request it sends. May not
// touch: the checks at open (session-plan.ts), the tool ↔ function mapping
// (plain-server.ts), server-request routing (server-requests.ts), the
// notification and progress hooks on the transport (notifications.ts); it
// calls them with what they need.
import {
  type HealthStatus,
  type HookCall,
  type KindSpec,
  PluginInvocationError,
  type PluginManifest,
  type PluginRegistryError,
} from '@dagstack/plugin-api';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { McpError, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { CallAbort } from './call-abort.js';
import { CATALOGUE_HOOK, METHODS, NO_TIMEOUT_MS, type ServerCapability } from './constants.js';
import { type ErrorSite, errorFromToolResult, mapRequestError } from './errors.js';
import { currentGatewayCall } from './gateway-call.js';
import { encodeMetadata, type WireMeta } from './metadata.js';
import { SessionNotifications } from './notifications.js';
import type { McpNotification, McpPeer, McpPeerRequestOptions } from './peer.js';
import { functionCallOf, functionsOfTools, plainOutputOf } from './plain-server.js';
import {
  answerServerRequest,
  GatewayCallsInFlight,
  installServerRequestHandlers,
  type ServerRequestRoute,
} from './server-requests.js';
import { planSession } from './session-plan.js';
import type { SetupParams } from './setup-params.js';
import type { WireHook } from './tool-names.js';
import { decodeOutput, encodeInput } from './values.js';
import { serverRequestHandlersOf } from './wire-client.js';

/** Results are checked field by field here; a loose schema keeps the SDK's parse cheap. */
const LooseResult = z.looseObject({});
const HealthResult = z.looseObject({
  status: z.enum(['ok', 'degraded', 'failing']),
  message: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const TeardownResult = z.looseObject({ released: z.boolean().optional() });

/** Options of {@link openWireSession}. @since 0.1.0 */
export interface WireSessionOptions {
  /** An SDK client, connected (the handshake done). */
  readonly client: Client;
  /** The plugin's manifest; the server's announced name and kind must match it. */
  readonly manifest: PluginManifest;
  /** The kind's hookspec, when the host registered one. */
  readonly kindSpec?: KindSpec | undefined;
  /** Limit of one hook call in ms, besides the caller's own deadline. @default none */
  readonly callTimeoutMs?: number | undefined;
  /** The error for calls that fail because the connection went away. */
  readonly connectionLost?: (() => PluginRegistryError) | undefined;
  /**
   * Maps a failure the transport raised itself (an HTTP status, a refused
   * connection) to a typed error; `undefined` keeps the default mapping
   * (`PluginInvocationError`). See {@link mapRequestError}. It is also asked
   * first about a JSON-RPC error a request got (an `McpError`, unless the
   * call was cancelled): a transport that can only report a failure after
   * the request was sent (a broken event stream) answers the request with
   * an error response of its own, and this maps it back.
   * @since 0.2.0
   */
  readonly mapTransportError?:
    | ((error: unknown, site: ErrorSite) => PluginRegistryError | undefined)
    | undefined;
}

/**
 * One connected plugin as the host sees it: the transport-agnostic half of
 * an MCP runtime's `PluginHandle` (docs/wire.md).
 * @since 0.1.0
 */
export class WireSession implements McpPeer {
  /** `dagstack` when the server announced the capability, else `plain` (§9). */
  readonly mode: 'dagstack' | 'plain';
  /** The capability the server announced; `undefined` for a plain server. */
  readonly capability: ServerCapability | undefined;
  /** Hooks callable through this session. */
  readonly hooks: ReadonlySet<string>;
  readonly #client: Client;
  readonly #manifest: PluginManifest;
  readonly #plan: ReadonlyMap<string, WireHook>;
  readonly #callTimeoutMs: number | undefined;
  readonly #connectionLost: (() => PluginRegistryError) | undefined;
  readonly #mapTransportError: WireSessionOptions['mapTransportError'];
  readonly #functionHook: WireHook | undefined;
  /** Served gateway calls with a request in flight on this session. */
  readonly #gatewayCalls = new GatewayCallsInFlight();
  /** Notification listeners, and progress of calls in flight taken off the transport. */
  readonly #notifications = new SessionNotifications();

  constructor(options: WireSessionOptions) {
    const { client, manifest } = options;
    this.#client = client;
    // The host's answers to server requests outside a gateway call (createWireClient).
    const route: ServerRequestRoute = {
      gatewayCalls: this.#gatewayCalls,
      handlers: serverRequestHandlersOf(client),
      plugin: manifest.name,
      kind: manifest.kind,
    };
    // Take the client's unhandled notifications and server requests.
    this.#notifications.install(client);
    installServerRequestHandlers(client, (request, signal) =>
      answerServerRequest(request, signal, route),
    );
    this.#manifest = manifest;
    this.#callTimeoutMs = options.callTimeoutMs;
    this.#connectionLost = options.connectionLost;
    this.#mapTransportError = options.mapTransportError;
    const plan = planSession(client.getServerCapabilities(), manifest, options.kindSpec);
    this.mode = plan.mode;
    this.capability = plan.capability;
    this.#plan = plan.plan;
    this.#functionHook = plan.functionHook;
    this.hooks = plan.hooks;
  }

  /** Whether the server answers an extension request (§7). */
  #has(extension: 'setup' | 'teardown' | 'health'): boolean {
    return this.capability?.extensions.includes(extension) ?? false;
  }

  #site(hook: string): { plugin: string; kind: string; hook: string } {
    return { plugin: this.#manifest.name, kind: this.#manifest.kind, hook };
  }

  /**
   * {@link mapRequestError} with this session's context; a JSON-RPC error is
   * offered to `mapTransportError` first (see {@link WireSessionOptions}).
   */
  #mapError(
    error: unknown,
    site: ErrorSite,
    context: { signal?: AbortSignal; timeoutMs?: number | undefined },
  ): PluginRegistryError {
    if (error instanceof McpError && context.signal?.aborted !== true) {
      const mapped = this.#mapTransportError?.(error, site);
      if (mapped !== undefined) return mapped;
    }
    return mapRequestError(error, site, {
      ...context,
      connectionLost: this.#connectionLost,
      mapTransportError: this.#mapTransportError,
    });
  }

  /** Send `dagstack/setup` (nothing for a plain server). */
  async setup(params: SetupParams, options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#has('setup')) return;
    const _meta = encodeMetadata(params.metadata);
    try {
      await this.#client.request(
        {
          method: METHODS.setup,
          params: {
            manifest: params.manifest,
            config: params.config,
            resources: params.resources,
            resources_unavailable: params.resources_unavailable,
            ...(_meta === undefined ? {} : { _meta }),
          },
        },
        LooseResult,
        { timeout: options.timeoutMs ?? NO_TIMEOUT_MS },
      );
    } catch (error) {
      throw this.#mapError(error, this.#site('setup'), {
        timeoutMs: options.timeoutMs,
      });
    }
  }

  /** Send `dagstack/teardown`; resolves what the plugin answered (`true` for a plain server). */
  async teardown(options: { timeoutMs?: number } = {}): Promise<boolean> {
    if (!this.#has('teardown')) return true;
    try {
      const result = await this.#client.request(
        { method: METHODS.teardown, params: {} },
        TeardownResult,
        { timeout: options.timeoutMs ?? NO_TIMEOUT_MS },
      );
      return result.released !== false;
    } catch (error) {
      throw this.#mapError(error, this.#site('teardown'), {
        timeoutMs: options.timeoutMs,
      });
    }
  }

  /** `dagstack/health`, or `ping` when the server does not answer it (§7). */
  async health(options: { timeoutMs?: number } = {}): Promise<HealthStatus> {
    const timeout = options.timeoutMs ?? 10_000;
    try {
      if (!this.#has('health')) {
        await this.#client.ping({ timeout });
        return { status: 'ok' };
      }
      const result = await this.#client.request(
        { method: METHODS.health, params: {} },
        HealthResult,
        { timeout },
      );
      return {
        status: result.status,
        ...(result.message === undefined ? {} : { message: result.message }),
        ...(result.details === undefined ? {} : { details: result.details as never }),
      };
    } catch (error) {
      const mapped = this.#mapError(error, this.#site('health'), {
        timeoutMs: timeout,
      });
      return { status: 'failing', message: mapped.message };
    }
  }

  /** Call a hook (docs/wire.md §4). Rejects only with errors of the plugin-api hierarchy. */
  invoke(hook: string, input: unknown, call: HookCall): Promise<unknown> {
    if (hook === CATALOGUE_HOOK && this.#functionHook !== undefined)
      return this.#listFunctions(call);
    if (this.mode === 'plain') return this.#invokePlain(hook, input, call);
    const wh = this.#plan.get(hook);
    if (wh === undefined) return Promise.reject(this.#noHook(hook));
    let name: string;
    let args: Record<string, unknown> | undefined;
    let meta = encodeMetadata(call.metadata);
    if (wh.perFunction) {
      const fnCall = functionCallOf(input);
      if (fnCall === undefined) return Promise.reject(this.#badFunctionInput(hook));
      name = `${wh.functionPrefix}${fnCall.fn}${wh.functionSuffix}`;
      args = fnCall.args;
    } else {
      name = wh.toolName as string;
      const encoded = encodeInput(input, meta);
      args = encoded.arguments;
      meta = encoded.meta;
    }
    return this.#callTool(hook, name, args, meta, call).then((result) => {
      if (result.isError === true) throw errorFromToolResult(result, this.#site(hook));
      return decodeOutput(result);
    });
  }

  async #callTool(
    hook: string,
    name: string,
    args: Record<string, unknown> | undefined,
    meta: WireMeta | undefined,
    call: HookCall,
  ): Promise<Record<string, unknown>> {
    // The call is watched through `abort`, without reading its signal when it
    // can help it (see CallAbort).
    const abort = new CallAbort(call);
    abort.watch();
    const params: Record<string, unknown> = { name };
    if (args !== undefined) params.arguments = args;
    if (meta !== undefined) params._meta = meta;
    const options: RequestOptions = {
      signal: abort.asSignal,
      timeout: this.#callTimeoutMs ?? NO_TIMEOUT_MS,
    };
    // A call made for a served gateway call: its server requests go to that
    // call's client, its progress to that client's token. callTimeoutMs stays
    // a limit of the whole call (progress does not extend it).
    const gateway = currentGatewayCall();
    let token: string | undefined;
    if (gateway !== undefined) {
      this.#gatewayCalls.enter(gateway);
      if (gateway.progress !== undefined) {
        token = this.#notifications.track(gateway.progress);
        if (token !== undefined) params._meta = { ...meta, progressToken: token };
        else options.onprogress = gateway.progress;
      }
    }
    try {
      return await this.#client.request({ method: 'tools/call', params }, LooseResult, options);
    } catch (error) {
      throw this.#mapError(error, this.#site(hook), {
        signal: abort.asSignal,
        timeoutMs: this.#callTimeoutMs,
      });
    } finally {
      abort.settle();
      if (token !== undefined) this.#notifications.untrack(token);
      if (gateway !== undefined) this.#gatewayCalls.leave(gateway);
    }
  }

  async #listTools(call: HookCall): Promise<Record<string, unknown>[]> {
    const tools: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      let page: Record<string, unknown>;
      try {
        page = await this.#client.request(
          { method: 'tools/list', params: cursor === undefined ? {} : { cursor } },
          LooseResult,
          { signal: call.signal, timeout: this.#callTimeoutMs ?? NO_TIMEOUT_MS },
        );
      } catch (error) {
        throw this.#mapError(error, this.#site(CATALOGUE_HOOK), {
          signal: call.signal,
          timeoutMs: this.#callTimeoutMs,
        });
      }
      if (Array.isArray(page.tools)) tools.push(...(page.tools as Record<string, unknown>[]));
      cursor = typeof page.nextCursor === 'string' ? page.nextCursor : undefined;
    } while (cursor !== undefined);
    return tools;
  }

  /** The catalogue hook, answered from `tools/list` (§3, §9). */
  async #listFunctions(call: HookCall): Promise<unknown> {
    const fnHook = this.#functionHook as WireHook;
    const tools = await this.#listTools(call);
    return functionsOfTools(tools, this.mode, fnHook);
  }

  /** `execute` of a plain server (§9). */
  async #invokePlain(hook: string, input: unknown, call: HookCall): Promise<unknown> {
    const fnHook = this.#functionHook as WireHook;
    if (hook !== fnHook.hook) throw this.#noHook(hook);
    const fnCall = functionCallOf(input);
    if (fnCall === undefined) throw this.#badFunctionInput(hook);
    const meta = encodeMetadata(call.metadata);
    return plainOutputOf(await this.#callTool(hook, fnCall.fn, fnCall.args, meta, call));
  }

  // -------------------------------------------------------------------------
  // McpPeer: the server past the hooks, for a gateway (createRegistryServer)
  // -------------------------------------------------------------------------

  /** The capabilities the server announced in `initialize`. @since 0.2.0 */
  serverCapabilities(): ServerCapabilities | undefined {
    return this.#client.getServerCapabilities();
  }

  /** The `instructions` the server sent in `initialize`. @since 0.2.0 */
  instructions(): string | undefined {
    return this.#client.getInstructions();
  }

  /**
   * Send one request to the server as it is (`resources/read`,
   * `prompts/get`, ...); resolves its result as sent. Rejects with the SDK's
   * `McpError` (the server's code), not a plugin error: a gateway passes it on.
   * @since 0.2.0
   */
  request(
    request: { readonly method: string; readonly params?: Record<string, unknown> | undefined },
    options: McpPeerRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    return this.#client.request(
      (request.params === undefined
        ? { method: request.method }
        : { method: request.method, params: request.params }) as never,
      LooseResult,
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        timeout: options.timeoutMs ?? this.#callTimeoutMs ?? NO_TIMEOUT_MS,
      },
    );
  }

  /**
   * Listen to the server's notifications (log messages, resource updates,
   * list changes); returns the function that stops listening.
   * @since 0.2.0
   */
  onNotification(listener: (notification: McpNotification) => void): () => void {
    return this.#notifications.listen(listener);
  }

  #noHook(hook: string): PluginInvocationError {
    return new PluginInvocationError(`the plugin does not serve hook "${hook}" over MCP`, {
      ...this.#site(hook),
      remoteName: 'HookNotServed',
      hint: `served hooks: ${[...this.hooks].join(', ') || 'none'}`,
    });
  }

  #badFunctionInput(hook: string): PluginInvocationError {
    return new PluginInvocationError(
      'the input must be { function: string, args: object } for a function-templated hook',
      { ...this.#site(hook), remoteName: 'InvalidInput' },
    );
  }
}

/**
 * Check a connected client's server against the manifest and hookspec and
 * wrap it in a {@link WireSession}. Throws `PluginLoadError` naming the
 * plugin and the reason when the server cannot serve this plugin.
 * @since 0.1.0
 */
export function openWireSession(options: WireSessionOptions): WireSession {
  return new WireSession(options);
}
