import {
  type CallMetadata,
  DEFAULT_TOOL_NAME_TEMPLATE,
  type HookSpec,
  isToolCallFailed,
  type JsonObject,
  type KindSpec,
  type Logger,
  NOOP_LOGGER,
  type PluginState,
} from '@dagstack/plugin-api';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type ClientCapabilities,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { CATALOGUE_HOOK, DEFAULT_MAX_MESSAGE_BYTES, NO_TIMEOUT_MS } from './constants.js';
import { describeError, toolErrorResult, unmasked } from './errors.js';
import { eitherSignal, type GatewayCall, runInGatewayCall } from './gateway-call.js';
import { decodeMetadata, type WireMeta } from './metadata.js';
import { gatewayCapabilities, gatewayInstructions, installPassthrough } from './passthrough.js';
import { mcpResultOf, mcpToolOf, type ServedPeer } from './peer.js';
import { publishedSchema } from './server.js';
import { functionOf, isObjectSchema, planHook, type WireHook } from './tool-names.js';
import { decodeInput, encodeOutput } from './values.js';

/**
 * What {@link createRegistryServer} needs of a registry: structural, so this
 * package never imports `@dagstack/plugin-registry` (a `PluginRegistry`
 * fits through a three-line adapter).
 * @since 0.1.0
 */
export interface ServedRegistry {
  /** Every registered plugin with its state (only `ready`/`degraded` ones are served). */
  plugins(): readonly {
    /** The plugin's name. */
    readonly name: string;
    /** The plugin's kind. */
    readonly kind: string;
    /** The plugin's current lifecycle state. */
    readonly state: PluginState;
  }[];
  /** The hookspec of a kind, when the host registered one. */
  kindSpec(kind: string): KindSpec | undefined;
  /** Dispatch through the registry: middleware, validation, timeouts apply. */
  call(
    kind: string,
    hook: string,
    input: unknown,
    options: {
      readonly target?: string;
      readonly metadata?: CallMetadata;
      readonly signal?: AbortSignal;
    },
  ): Promise<unknown>;
  /**
   * The MCP server behind each loaded plugin that has one (a runtime
   * handle's `mcpPeer`, read with `mcpPeerOf`). Lets the gateway pass the
   * servers' resources, prompts, completions and logging through, and
   * forward their notifications. Without it only tools are served.
   * @since 0.2.0
   */
  peers?(): readonly ServedPeer[];
}

/** Options of {@link createRegistryServer}. @since 0.1.0 */
export interface RegistryServerOptions {
  /** Server name in `initialize`. @default "dagstack-registry" */
  readonly name?: string;
  /** Server version in `initialize`. @default "0.0.0" */
  readonly version?: string;
  /**
   * Also expose one tool per `(kind, hook)`, named `{kind}.{hook}`, that
   * dispatches with the kind's class (singleton selection, broadcast, chain,
   * capability) instead of targeting one plugin. @default true
   */
  readonly dispatchTools?: boolean;
  /** Where warnings go (duplicate tool names, failed function listings). @default no logging */
  readonly logger?: Logger;
  /**
   * Applied to every error the server sends back (the `dagstack.dev/error`
   * object, its message and details, and the text of failed tool results)
   * before it leaves: pass `maskSecrets` of `@dagstack/plugin-manifest` so
   * secret-named fields of configs and inputs are masked. This package does
   * not depend on the manifest package, so it does not mask by default.
   * Hook results are not passed through it.
   * @default no masking
   * @since 0.2.0
   */
  readonly mask?: <T>(value: T) => T;
  /** Bound of one outgoing result in bytes. @default 16 MiB */
  readonly maxMessageBytes?: number;
  /**
   * Forward a plugin server's `elicitation/create`, `sampling/createMessage`
   * and `roots/list` during a call to this server's client, when the client
   * declared the capability. Set `false` for a transport that cannot carry a
   * request to the client before the call's response (a Streamable HTTP
   * endpoint answering with JSON, not event streams): such requests are then
   * refused at once instead of waiting for an answer that cannot come.
   * @default true
   * @since 0.2.0
   */
  readonly forwardServerRequests?: boolean;
}

const LooseResult = z.looseObject({});

/** Why a client with `caps` cannot take a server request `method`; `undefined` when it can. */
function clientRefuses(
  caps: ClientCapabilities | undefined,
  method: string,
  params: Record<string, unknown> | undefined,
): string | undefined {
  switch (method) {
    case 'elicitation/create': {
      const elicitation = caps?.elicitation;
      if (elicitation === undefined) return 'the gateway client did not declare elicitation';
      const url = params?.mode === 'url';
      const form = elicitation.form !== undefined || elicitation.url === undefined;
      if (url && elicitation.url === undefined)
        return 'the gateway client did not declare URL-mode elicitation';
      if (!url && !form) return 'the gateway client did not declare form-mode elicitation';
      return undefined;
    }
    case 'sampling/createMessage': {
      const sampling = caps?.sampling;
      if (sampling === undefined) return 'the gateway client did not declare sampling';
      if (
        (params?.tools !== undefined || params?.toolChoice !== undefined) &&
        sampling.tools === undefined
      )
        return 'the gateway client did not declare sampling with tools';
      return undefined;
    }
    case 'roots/list':
      return caps?.roots === undefined ? 'the gateway client did not declare roots' : undefined;
    default:
      return 'the gateway forwards no such request';
  }
}

/**
 * The served form of a plain MCP server's tool: its own descriptor, all but
 * the name (the caller gives the served one) and `execution` (task support:
 * the gateway runs calls as plain `tools/call`, it does not implement MCP
 * tasks). An unusable `inputSchema` falls back to the catalogue's parameters.
 */
function servedTool(
  descriptor: Readonly<Record<string, unknown>>,
  parameters: unknown,
): Record<string, unknown> {
  const { name: _own, execution: _tasks, ...rest } = descriptor;
  const input = rest.inputSchema;
  return {
    ...rest,
    inputSchema:
      typeof input === 'object' && input !== null && !Array.isArray(input)
        ? input
        : publishedSchema(parameters as JsonObject | undefined),
  };
}

/** One served tool: which call it makes. */
interface Route {
  readonly kind: string;
  readonly hook: string;
  /** Plugin to target; absent for a dispatch tool. */
  readonly plugin?: string;
  /** For function-templated hooks. */
  readonly wire?: WireHook;
}

const SERVED_STATES: ReadonlySet<PluginState> = new Set(['ready', 'degraded']);

function hooksOf(spec: KindSpec | undefined): readonly HookSpec[] {
  return spec?.hooks.filter((h) => h.mcp_exposed !== false) ?? [];
}

/**
 * Serve a whole registry as one MCP server: every `mcp_exposed` hook of
 * every ready plugin is a tool named by its kind's template (per function
 * for `{function}` templates, listed through the plugin's `get_schema`), and
 * optionally one dispatch tool per `(kind, hook)`. Calls go through
 * `registry.call`, so middleware, validation and metadata (from `_meta`)
 * apply exactly as for in-process callers. Connect the returned server to
 * any SDK transport (stdio, Streamable HTTP).
 * @since 0.1.0
 */
export function createRegistryServer(
  registry: ServedRegistry,
  options: RegistryServerOptions = {},
): Server {
  const logger = options.logger ?? NOOP_LOGGER;
  const mask = options.mask ?? unmasked;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const dispatchTools = options.dispatchTools ?? true;
  const forwardRequests = options.forwardServerRequests ?? true;
  // Announced at initialize, so computed once per session from the peers now.
  const peers = (): readonly ServedPeer[] => registry.peers?.() ?? [];
  const initial = peers();
  const capabilities = gatewayCapabilities(initial);
  const instructions = gatewayInstructions(initial);
  const server = new Server(
    { name: options.name ?? 'dagstack-registry', version: options.version ?? '0.0.0' },
    { capabilities, ...(instructions === undefined ? {} : { instructions }) },
  );

  /** Build the tool list and the routes behind it (fresh each time: plugins come and go). */
  const catalogue = async (
    signal: AbortSignal,
  ): Promise<{ tools: Record<string, unknown>[]; routes: Map<string, Route> }> => {
    const tools: Record<string, unknown>[] = [];
    const routes = new Map<string, Route>();
    const add = (name: string, route: Route, tool: Record<string, unknown>): void => {
      if (routes.has(name)) {
        logger.warn('duplicate MCP tool name left out', { tool: name, kind: route.kind });
        return;
      }
      routes.set(name, route);
      tools.push({ name, ...tool });
    };
    const live = registry.plugins().filter((p) => SERVED_STATES.has(p.state));
    const kinds = [...new Set(live.map((p) => p.kind))].sort();
    for (const kind of kinds) {
      const spec = registry.kindSpec(kind);
      for (const hook of hooksOf(spec)) {
        const schemas = {
          inputSchema: publishedSchema(hook.input_schema),
          ...(isObjectSchema(hook.output_schema)
            ? { outputSchema: publishedSchema(hook.output_schema) }
            : {}),
        };
        if (dispatchTools) {
          add(
            `${kind}.${hook.name}`,
            { kind, hook: hook.name },
            {
              description: `${hook.description?.trim() ?? `${kind}.${hook.name}`} (dispatched as ${hook.dispatch} over every ${kind} plugin)`,
              ...schemas,
            },
          );
        }
        for (const plugin of live.filter((p) => p.kind === kind)) {
          const wire = planHook(
            {
              ...hook,
              mcp_tool_name_template: hook.mcp_tool_name_template ?? DEFAULT_TOOL_NAME_TEMPLATE,
            },
            kind,
            plugin.name,
          );
          if (!wire.perFunction) {
            add(
              wire.toolName as string,
              { kind, hook: hook.name, plugin: plugin.name },
              {
                ...(hook.description === undefined ? {} : { description: hook.description.trim() }),
                ...schemas,
              },
            );
            continue;
          }
          // One tool per function the plugin lists.
          let functions: unknown;
          try {
            functions = await registry.call(
              kind,
              CATALOGUE_HOOK,
              {},
              { target: plugin.name, signal },
            );
          } catch (error) {
            logger.warn('could not list the functions of a plugin', {
              plugin: plugin.name,
              kind,
              error: error instanceof Error ? error.message : String(error),
            });
            continue;
          }
          // A targeted broadcast returns [{ plugin, value }]; a direct call the list.
          const list = Array.isArray(functions)
            ? functions.length > 0 &&
              typeof functions[0] === 'object' &&
              functions[0] !== null &&
              'plugin' in functions[0] &&
              'value' in functions[0]
              ? (functions[0] as { value: unknown }).value
              : functions
            : [];
          for (const fn of (Array.isArray(list) ? list : []) as {
            name?: unknown;
            description?: unknown;
            parameters?: unknown;
          }[]) {
            if (typeof fn?.name !== 'string') continue;
            const served = `${wire.functionPrefix}${fn.name}${wire.functionSuffix}`;
            const route = { kind, hook: hook.name, plugin: plugin.name, wire };
            const descriptor = mcpToolOf(fn);
            if (descriptor !== undefined) {
              // A plain MCP server's tool: served as the server describes it.
              add(served, route, servedTool(descriptor, fn.parameters));
              continue;
            }
            add(served, route, {
              ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
              inputSchema: publishedSchema(fn.parameters as JsonObject | undefined),
              ...(isObjectSchema(hook.output_schema)
                ? { outputSchema: publishedSchema(hook.output_schema) }
                : {}),
            });
          }
        }
      }
    }
    return { tools, routes };
  };

  // The catalogue is rebuilt only when the set of served plugins changes
  // (function lists come from get_schema calls, too slow to repeat per call).
  let cached: { key: string; built: ReturnType<typeof catalogue> } | undefined;
  if (initial.length > 0) {
    installPassthrough(server, {
      peers,
      initial,
      capabilities,
      logger,
      // A plugin server's tool list changed: list its functions again.
      onToolsChanged: () => {
        cached = undefined;
      },
    });
  }
  const current = (): ReturnType<typeof catalogue> => {
    const key = JSON.stringify(
      registry
        .plugins()
        .filter((p) => SERVED_STATES.has(p.state))
        .map((p) => [p.kind, p.name]),
    );
    if (cached?.key !== key) {
      const built = catalogue(new AbortController().signal);
      cached = { key, built };
      // A failed build is not kept.
      built.catch(() => {
        if (cached?.built === built) cached = undefined;
      });
    }
    return cached.built;
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const { tools } = await current();
    return { tools } as never;
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { routes } = await current();
    const route = routes.get(request.params.name);
    if (route === undefined) {
      // As the SDK's own McpServer answers: a tool error result the model can
      // read, not a protocol error that ends the client's call.
      const served = [...routes.keys()].sort();
      return toolErrorResult({
        name: 'ToolNotFound',
        code: 'TOOL_NOT_FOUND',
        message: `Tool ${request.params.name} not found; served tools: ${served.slice(0, 30).join(', ') || 'none'}${served.length > 30 ? ', …' : ''}`,
      }) as never;
    }
    const meta = request.params._meta as WireMeta | undefined;
    const fn = route.wire === undefined ? undefined : functionOf(route.wire, request.params.name);
    const input =
      fn === undefined
        ? decodeInput(request.params.arguments, meta)
        : { function: fn, args: request.params.arguments ?? {} };
    const site = { plugin: route.plugin ?? '*', kind: route.kind, hook: route.hook };
    // The call as the host sessions under the registry see it (progress with
    // the client's token, server requests back to this client).
    const ended = new AbortController();
    let active = true;
    const progressToken = extra._meta?.progressToken;
    // Progress sent on: the answer waits for them, so none arrives after it.
    const progressSent = new Set<Promise<void>>();
    const served: GatewayCall = {
      owner: server,
      get active() {
        return active;
      },
      progress:
        progressToken === undefined
          ? undefined
          : (progress) => {
              const sending = extra
                .sendNotification({
                  method: 'notifications/progress',
                  params: { ...progress, progressToken },
                })
                .catch(() => undefined);
              progressSent.add(sending);
              void sending.then(() => progressSent.delete(sending));
            },
      refuses: (method, params) =>
        forwardRequests
          ? clientRefuses(server.getClientCapabilities(), method, params)
          : 'the gateway cannot send requests to its client on this transport',
      ask: (method, params, signal) =>
        extra.sendRequest(
          (params === undefined ? { method } : { method, params }) as never,
          LooseResult,
          { signal: eitherSignal(signal, ended.signal), timeout: NO_TIMEOUT_MS },
        ),
    };
    try {
      const output = await runInGatewayCall(served, () =>
        registry.call(route.kind, route.hook, input, {
          ...(route.plugin === undefined ? {} : { target: route.plugin }),
          metadata: decodeMetadata(meta),
          signal: extra.signal,
        }),
      ).finally(() => (progressSent.size === 0 ? undefined : Promise.all(progressSent)));
      // A plain MCP server's result travels as it came through its own tool;
      // a dispatch tool answers in the hook's output schema, which it publishes.
      const raw = route.plugin === undefined ? undefined : mcpResultOf(output);
      const { result, text } =
        raw === undefined ? encodeOutput(output) : { result: raw, text: JSON.stringify(raw) };
      if (text.length * 3 + 4096 > maxBytes && Buffer.byteLength(text) + 4096 > maxBytes) {
        return toolErrorResult({
          name: 'MessageTooLarge',
          code: 'MESSAGE_TOO_LARGE',
          message: `the output of ${route.kind}.${route.hook} is ${Buffer.byteLength(text)} bytes of JSON, over the message limit of ${maxBytes} bytes`,
          ...site,
        }) as never;
      }
      return result as never;
    } catch (error) {
      if (isToolCallFailed(error)) {
        // The tool ran and reported failure: its own result, or its message.
        const raw = mcpResultOf(error.output);
        if (raw !== undefined) return raw as never;
        const reported = error.output.error_message;
        return {
          content: [
            { type: 'text', text: mask(typeof reported === 'string' ? reported : error.message) },
          ],
          isError: true,
        } as never;
      }
      return toolErrorResult(mask(describeError(error, site))) as never;
    } finally {
      active = false;
      ended.abort(new Error('the served call ended'));
    }
  });

  return server;
}
