import {
  type CallMetadata,
  DEFAULT_TOOL_NAME_TEMPLATE,
  type HealthStatus,
  type HookCall,
  type JsonValue,
  type KindSpec,
  type PluginContext,
  PluginInvocationError,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
} from '@dagstack/plugin-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CreateMessageRequestParams,
  type CreateMessageResult,
  type ElicitRequestFormParams,
  ElicitRequestSchema,
  type ElicitResult,
  ErrorCode,
  type JSONRPCMessage,
  type ListRootsResult,
  McpError,
  type Progress,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { CallAbort } from './call-abort.js';
import { canonicalJson } from './canonical-json.js';
import {
  CAPABILITY_KEY,
  CATALOGUE_HOOK,
  METHODS,
  NO_TIMEOUT_MS,
  type ServerCapability,
  WIRE_VERSION,
} from './constants.js';
import { type ErrorSite, errorFromToolResult, mapRequestError } from './errors.js';
import { currentGatewayCall, type GatewayCall } from './gateway-call.js';
import { encodeMetadata, type WireMeta } from './metadata.js';
import {
  attachHidden,
  MCP_RESULT_KEY,
  MCP_TOOL_KEY,
  type McpNotification,
  type McpPeer,
  type McpPeerRequestOptions,
} from './peer.js';
import { passOn, rpcError } from './rpc-error.js';
import { unservableHooks } from './server.js';
import { functionHookOf, planHook, type WireHook } from './tool-names.js';
import { decodeOutput, encodeInput, isJsonObject } from './values.js';

/** Results are checked field by field here; a loose schema keeps the SDK's parse cheap. */
const LooseResult = z.looseObject({});
const HealthResult = z.looseObject({
  status: z.enum(['ok', 'degraded', 'failing']),
  message: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const TeardownResult = z.looseObject({ released: z.boolean().optional() });

/**
 * The `tool` kind v1 conventions, used for a `tool` plugin whose host has
 * no registered hookspec (a plain MCP server loaded from a manifest alone).
 */
const TOOL_KIND_FALLBACK: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [
    { name: CATALOGUE_HOOK, dispatch: 'broadcast_collect', mcp_exposed: false },
    {
      name: 'execute',
      dispatch: 'singleton',
      mcp_exposed: true,
      mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
    },
  ],
};

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
        // applyDefaults: the session answers elicitation through the SDK's
        // own handler, which fills in the schema's defaults on accept.
        ...(forward || handlers?.elicitation !== undefined
          ? { elicitation: { form: { applyDefaults: true } } }
          : {}),
        ...(forward || handlers?.sampling !== undefined ? { sampling: {} } : {}),
        ...(handlers?.roots !== undefined ? { roots: {} } : {}),
      },
    },
  );
  if (handlers !== undefined) HANDLERS.set(client, handlers);
  return client;
}

/** Server-to-client requests a gateway client may answer. */
const FORWARDABLE: ReadonlySet<string> = new Set([
  'elicitation/create',
  'sampling/createMessage',
  'roots/list',
]);

/**
 * What `dagstack/setup` carries (docs/wire.md §7).
 * @since 0.1.0
 */
export interface SetupParams {
  /** Canonical JSON of the host's normalised manifest. */
  readonly manifest: string;
  /** Canonical JSON of the plugin's validated configuration. */
  readonly config: string;
  /** Declared resources whose host value is plain JSON, by name. */
  readonly resources: Readonly<Record<string, JsonValue>>;
  /** Names of declared resources the host has but cannot send over the wire. */
  readonly resources_unavailable: readonly string[];
  /** Start-up call metadata, sent in `_meta`. */
  readonly metadata: CallMetadata;
}

/** Whether a value is plain JSON all the way down (no functions, class instances, undefined). */
function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isJsonValue(item, depth + 1));
}

/**
 * Build the `dagstack/setup` parameters from a host's `PluginContext`:
 * canonical JSON of the manifest and config, the declared resources that are
 * plain JSON, and the names of those that cannot cross the wire.
 * @since 0.1.0
 */
export function setupParamsFrom(manifest: PluginManifest, ctx: PluginContext): SetupParams {
  const resources: Record<string, JsonValue> = {};
  const unavailable: string[] = [];
  const declared = [...manifest.resources.required, ...manifest.resources.optional];
  for (const name of declared) {
    if (!ctx.resources.has(name)) continue;
    let value: unknown;
    try {
      value = ctx.resources.get(name);
    } catch {
      continue;
    }
    if (isJsonValue(value)) resources[name] = value as JsonValue;
    else unavailable.push(name);
  }
  return {
    manifest: canonicalJson(manifest),
    config: canonicalJson(ctx.config),
    resources,
    resources_unavailable: unavailable,
    metadata: ctx.metadata,
  };
}

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

function major(version: string): string {
  return version.split('.')[0] ?? version;
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
  /** The host's answers to server requests outside a gateway call (createWireClient). */
  readonly #handlers: ServerRequestHandlers | undefined;
  readonly #manifest: PluginManifest;
  readonly #kindSpec: KindSpec | undefined;
  readonly #plan = new Map<string, WireHook>();
  readonly #callTimeoutMs: number | undefined;
  readonly #connectionLost: (() => PluginRegistryError) | undefined;
  readonly #mapTransportError: WireSessionOptions['mapTransportError'];
  readonly #functionHook: WireHook | undefined;
  /** Served gateway calls with a request in flight on this session (count per call). */
  readonly #gatewayCalls = new Map<GatewayCall, number>();
  readonly #listeners = new Set<(notification: McpNotification) => void>();
  /** Progress forwarders of calls in flight, by the progress token this session gave them. */
  readonly #progress = new Map<string, (progress: Progress) => void>();
  #progressSeq = 0;
  /** Whether progress is taken off the transport (see #listen). */
  #progressHooked = false;

  constructor(options: WireSessionOptions) {
    const { client, manifest } = options;
    this.#client = client;
    this.#handlers = HANDLERS.get(client);
    this.#listen(client);
    this.#manifest = manifest;
    this.#callTimeoutMs = options.callTimeoutMs;
    this.#connectionLost = options.connectionLost;
    this.#mapTransportError = options.mapTransportError;
    const refuse = (message: string, hint: string): PluginLoadError =>
      new PluginLoadError(message, {
        plugin: manifest.name,
        kind: manifest.kind,
        path: manifest.source,
        hint,
      });
    const announced = client.getServerCapabilities()?.experimental?.[CAPABILITY_KEY] as
      | Partial<ServerCapability>
      | undefined;
    if (announced === undefined) {
      this.mode = 'plain';
      this.capability = undefined;
      const spec =
        options.kindSpec ??
        (manifest.kind === TOOL_KIND_FALLBACK.kind ? TOOL_KIND_FALLBACK : undefined);
      const fnHook = spec === undefined ? undefined : functionHookOf(spec);
      if (
        spec === undefined ||
        fnHook === undefined ||
        !spec.hooks.some((h) => h.name === CATALOGUE_HOOK)
      ) {
        throw refuse(
          `the MCP server does not announce the dagstack capability, and kind "${manifest.kind}" has no function-templated hook with a get_schema catalogue`,
          'a plain MCP server can only be loaded as a `tool` plugin; serve the plugin with servePlugin() for other kinds',
        );
      }
      this.#kindSpec = spec;
      this.#functionHook = planHook(fnHook, manifest.kind, manifest.name);
      this.hooks = new Set([CATALOGUE_HOOK, fnHook.name]);
      return;
    }
    this.mode = 'dagstack';
    const capability: ServerCapability = {
      wire_version: String(announced.wire_version ?? ''),
      plugin: String(announced.plugin ?? ''),
      kind: String(announced.kind ?? ''),
      ...(typeof announced.kind_api_version === 'string'
        ? { kind_api_version: announced.kind_api_version }
        : {}),
      hooks: Array.isArray(announced.hooks) ? announced.hooks.map(String) : [],
      extensions: Array.isArray(announced.extensions) ? announced.extensions : [],
    };
    this.capability = capability;
    if (major(capability.wire_version) !== major(WIRE_VERSION)) {
      throw refuse(
        `the plugin server speaks dagstack wire ${capability.wire_version || '(none)'}, this host speaks ${WIRE_VERSION}`,
        'upgrade the side with the older wire so both share a major version',
      );
    }
    if (capability.plugin !== manifest.name || capability.kind !== manifest.kind) {
      throw refuse(
        `the plugin server says it is "${capability.plugin}" of kind "${capability.kind}", the manifest says "${manifest.name}" of kind "${manifest.kind}"`,
        'point the manifest command at the right server, or fix the name the server is given',
      );
    }
    const kindSpec = options.kindSpec;
    this.#kindSpec = kindSpec;
    if (
      kindSpec !== undefined &&
      capability.kind_api_version !== undefined &&
      major(capability.kind_api_version) !== major(kindSpec.kind_api_version)
    ) {
      throw refuse(
        `the plugin server implements kind API ${capability.kind_api_version}, this host has ${kindSpec.kind_api_version}`,
        'use a plugin release built for the host kind API version',
      );
    }
    if (kindSpec !== undefined) {
      const refused = unservableHooks(kindSpec, capability.hooks);
      if (refused.length > 0) {
        throw refuse(
          `implements ${refused.map((h) => `"${h}"`).join(', ')}, marked mcp_exposed: false in the "${kindSpec.kind}" hookspec (in-process only), so it cannot be served over MCP`,
          'run the plugin in_process, or remove those hooks from the served plugin',
        );
      }
    }
    const hooks = new Set<string>();
    let functionHook: WireHook | undefined;
    for (const hook of capability.hooks) {
      const spec = kindSpec?.hooks.find((h) => h.name === hook) ?? {
        name: hook,
        dispatch: 'singleton' as const,
        mcp_exposed: true,
        mcp_tool_name_template: DEFAULT_TOOL_NAME_TEMPLATE,
      };
      if (spec.mcp_exposed === false) continue;
      const wh = planHook(spec, manifest.kind, manifest.name);
      this.#plan.set(hook, wh);
      if (wh.perFunction) functionHook ??= wh;
      hooks.add(hook);
    }
    if (functionHook !== undefined && capability.hooks.includes(CATALOGUE_HOOK))
      hooks.add(CATALOGUE_HOOK);
    this.#functionHook = functionHook;
    this.hooks = hooks;
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
      const fn = isJsonObject(input) ? input.function : undefined;
      if (typeof fn !== 'string') return Promise.reject(this.#badFunctionInput(hook));
      name = `${wh.functionPrefix}${fn}${wh.functionSuffix}`;
      args = isJsonObject(input) && isJsonObject(input.args) ? input.args : {};
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
      this.#gatewayCalls.set(gateway, (this.#gatewayCalls.get(gateway) ?? 0) + 1);
      if (gateway.progress !== undefined && this.#progressHooked) {
        this.#progressSeq += 1;
        token = `dagstack-progress-${this.#progressSeq}`;
        this.#progress.set(token, gateway.progress);
        params._meta = { ...meta, progressToken: token };
      } else if (gateway.progress !== undefined) {
        options.onprogress = gateway.progress;
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
      if (token !== undefined) this.#progress.delete(token);
      if (gateway !== undefined) {
        const left = (this.#gatewayCalls.get(gateway) ?? 1) - 1;
        if (left === 0) this.#gatewayCalls.delete(gateway);
        else this.#gatewayCalls.set(gateway, left);
      }
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
    const out: { name: string; description: string; parameters: unknown }[] = [];
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      let fn: string | undefined = tool.name;
      if (this.mode === 'dagstack') {
        fn =
          tool.name.startsWith(fnHook.functionPrefix) && tool.name.endsWith(fnHook.functionSuffix)
            ? tool.name.slice(
                fnHook.functionPrefix.length,
                tool.name.length - fnHook.functionSuffix.length,
              )
            : undefined;
      }
      if (fn === undefined || fn === '') continue;
      const description =
        typeof tool.description === 'string'
          ? tool.description
          : typeof tool.title === 'string'
            ? tool.title
            : '';
      const entry = { name: fn, description, parameters: tool.inputSchema ?? { type: 'object' } };
      // A plain server's own descriptor, for a gateway to serve it unchanged.
      if (this.mode === 'plain') attachHidden(entry, MCP_TOOL_KEY, tool);
      out.push(entry);
    }
    return out;
  }

  /** `execute` of a plain server (§9). */
  async #invokePlain(hook: string, input: unknown, call: HookCall): Promise<unknown> {
    const fnHook = this.#functionHook as WireHook;
    if (hook !== fnHook.hook) throw this.#noHook(hook);
    const fn = isJsonObject(input) ? input.function : undefined;
    if (typeof fn !== 'string') throw this.#badFunctionInput(hook);
    const args = isJsonObject(input) && isJsonObject(input.args) ? input.args : {};
    const result = await this.#callTool(hook, fn, args, encodeMetadata(call.metadata), call);
    const isError = result.isError === true;
    const content = Array.isArray(result.content)
      ? (result.content as Record<string, unknown>[])
      : [];
    const texts = content.filter((c) => c.type === 'text' && typeof c.text === 'string');
    let value: unknown;
    if (result.structuredContent !== undefined) value = result.structuredContent;
    else if (content.length === 1 && texts.length === 1) value = texts[0]?.text;
    else value = content;
    const output = {
      result: value,
      is_error: isError,
      ...(isError ? { error_message: texts.map((c) => c.text).join('\n') } : {}),
    };
    // The result as the server sent it, for a gateway to serve it unchanged.
    attachHidden(output, MCP_RESULT_KEY, result);
    return output;
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
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Take the client's unhandled notifications and server requests. */
  #listen(client: Client): void {
    const previous = client.fallbackNotificationHandler;
    client.fallbackNotificationHandler = async (notification) => {
      for (const listener of [...this.#listeners]) {
        try {
          listener(notification as McpNotification);
        } catch {
          // A listener's failure is its own; the others still hear it.
        }
      }
      await previous?.(notification);
    };
    // Progress for a gateway call is taken off the transport in order: the
    // SDK dispatches notifications a microtask late, after a response that
    // came in the same read, and drops a call's last progress when the
    // response has already settled the call.
    const transport = client.transport;
    if (transport !== undefined) {
      const deliver = transport.onmessage;
      transport.onmessage = ((message: JSONRPCMessage, extra?: unknown) => {
        if (
          this.#progress.size > 0 &&
          'method' in message &&
          message.method === 'notifications/progress'
        ) {
          const { progressToken, ...progress } = (message.params ?? {}) as Record<string, unknown>;
          const forward =
            typeof progressToken === 'string' ? this.#progress.get(progressToken) : undefined;
          if (forward !== undefined) {
            forward(progress as Progress);
            return;
          }
        }
        deliver?.call(transport, message, extra as never);
      }) as typeof transport.onmessage;
      this.#progressHooked = true;
    }
    // Without this the SDK answers "Method not found" itself; with it,
    // elicitation/sampling/roots requests of a gateway call reach its client.
    client.fallbackRequestHandler ??= (request, extra) =>
      this.#serverRequest(request, extra.signal) as never;
    // Elicitation goes through the SDK's own handler when the client declared
    // it: the SDK checks the request's mode against the declared ones and
    // applies the schema's defaults to an accepted answer (applyDefaults).
    // Not declared (the SDK refuses the handler) or handled by the client's
    // own code: the fallback above stays.
    try {
      client.assertCanSetRequestHandler('elicitation/create');
      client.setRequestHandler(
        ElicitRequestSchema,
        (request, extra) => this.#serverRequest(request, extra.signal) as never,
      );
    } catch {
      // keep the fallback
    }
  }

  /**
   * A request from the server (elicitation, sampling, roots): forwarded to
   * the client of the one served gateway call in flight on this session when
   * that client can take it; outside a gateway call answered by the host's
   * handler for it (`serverRequests` of {@link createWireClient}); else
   * refused at once.
   */
  async #serverRequest(
    request: { readonly method: string; readonly params?: unknown },
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const method = request.method;
    const params = request.params as Record<string, unknown> | undefined;
    const refuse = (why: string): Error =>
      rpcError(ErrorCode.MethodNotFound, `the dagstack host cannot answer ${method}: ${why}`);
    if (!FORWARDABLE.has(method)) throw refuse('it answers no such request');
    const open = [...this.#gatewayCalls.keys()].filter((c) => c.active);
    const last = open.at(-1);
    if (last === undefined) {
      const answer = this.#hostHandler(method, params, signal);
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
  #hostHandler(
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): (() => Promise<Record<string, unknown>>) | undefined {
    const { elicitation, sampling, roots } = this.#handlers ?? {};
    const context: ServerRequestContext = {
      plugin: this.#manifest.name,
      kind: this.#manifest.kind,
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
