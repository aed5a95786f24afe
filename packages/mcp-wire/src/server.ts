import {
  type HealthStatus,
  type HookCall,
  type HookSpec,
  type InFlightOperation,
  type JsonObject,
  type JsonValue,
  type KindSpec,
  type Logger,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import * as z from 'zod';
import {
  CAPABILITY_KEY,
  CATALOGUE_HOOK,
  DEFAULT_MAX_MESSAGE_BYTES,
  METHODS,
  type ServerCapability,
  WIRE_VERSION,
  type WireExtension,
} from './constants.js';
import { describeError, toolErrorResult, unmasked } from './errors.js';
import { decodeMetadata, type WireMeta } from './metadata.js';
import {
  createJsonLineLogger,
  createServedContext,
  createWireResources,
} from './plugin-context.js';
import { hookMethods } from './plugin-methods.js';
import {
  assertToolName,
  functionOf,
  isCatalogueHook,
  isObjectSchema,
  planHook,
  type WireHook,
} from './tool-names.js';
import { decodeInput, encodeOutput } from './values.js';

/**
 * What a plugin is served as: its kind's hookspec (the name then comes from
 * the options or `DAGSTACK_PLUGIN_NAME`), or a manifest-like object naming
 * the plugin and its kind (hooks are then the object's methods, each a tool
 * under the default template, unless `options.kindSpec` is given).
 * @since 0.1.0
 */
export type ServeTarget =
  | KindSpec
  | {
      /** The plugin's name (overridden by `options.name`). */
      readonly name: string;
      /** The plugin's kind. */
      readonly kind: string;
      /** Server version in `initialize`, unless `options.version` is given. */
      readonly version?: string;
      /** Kind API version announced in the capability, when there is no hookspec. */
      readonly kind_api_version?: string;
    };

/** Options of {@link createPluginServer}. @since 0.1.0 */
export interface PluginServerOptions {
  /** The plugin's name. @default the target's name, else `DAGSTACK_PLUGIN_NAME` */
  readonly name?: string;
  /** The kind's hookspec, when the target is a manifest. */
  readonly kindSpec?: KindSpec;
  /** Reported as the server version in `initialize`. */
  readonly version?: string;
  /** Where the plugin's `ctx.logger` writes. @default JSON lines on stderr */
  readonly logger?: Logger;
  /**
   * Applied to every error the server sends back (the `dagstack.dev/error`
   * object, its message and details) and to the fields of the default
   * logger's records: pass `maskSecrets` of `@dagstack/plugin-manifest` so
   * secret-named fields of configs and inputs are masked. This package does
   * not depend on the manifest package, so it does not mask by default.
   * Hook results are not passed through it.
   * @default no masking
   * @since 0.2.0
   */
  readonly mask?: <T>(value: T) => T;
  /** Resources the server provides itself (`clock`, `tmpdir`, ...). */
  readonly resources?: Readonly<Record<string, unknown>>;
  /** Bound of one outgoing result in bytes. @default 16 MiB */
  readonly maxMessageBytes?: number;
  /** Read for `DAGSTACK_PLUGIN_NAME`. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Check each result against the output schema the server publishes for its
   * tool, with the validator MCP clients use (the SDK's), and answer a tool
   * error naming the mismatch instead of structured content that breaks a
   * client's own check. MCP requires a server that publishes an
   * `outputSchema` to conform to it.
   * @default true
   * @since 0.2.0
   */
  readonly checkOutput?: boolean;
  /**
   * Check each call's input against the hook's input schema from the
   * hookspec before the plugin sees it (MCP: servers must validate tool
   * inputs), and answer a `HookValidationError` tool error naming the field
   * instead of calling the plugin. Calls of per-function tools (`tool.<fn>`)
   * are checked by the plugin itself.
   * @default true
   * @since 0.2.0
   */
  readonly checkInput?: boolean;
}

/**
 * A plugin wrapped in an SDK `Server`, ready to be connected to any MCP
 * transport.
 * @since 0.1.0
 */
export interface PluginServer {
  /** The SDK server; `server.connect(transport)` starts serving. */
  readonly server: Server;
  /** The plugin's name, as announced in the capability. */
  readonly name: string;
  /** The plugin's kind, as announced in the capability. */
  readonly kind: string;
  /** Hooks the plugin implements (announced in the capability). */
  readonly hooks: readonly string[];
  /** MCP tool names of the hooks that are not function-templated. */
  readonly toolNames: readonly string[];
  /**
   * Run the plugin's teardown if setup ran and teardown has not: for a
   * transport that ends without a `dagstack/teardown` (stdin EOF, a plain
   * client). Returns what teardown returned.
   */
  shutdown(): Promise<boolean>;
}

const SetupRequestSchema = z.object({
  method: z.literal(METHODS.setup),
  params: z
    .object({
      manifest: z.string().optional(),
      config: z.string().optional(),
      resources: z.record(z.string(), z.unknown()).optional(),
      resources_unavailable: z.array(z.string()).optional(),
      _meta: z.record(z.string(), z.unknown()).optional(),
    })
    .passthrough()
    .optional(),
});
const TeardownRequestSchema = z.object({
  method: z.literal(METHODS.teardown),
  params: z.object({}).passthrough().optional(),
});
const HealthRequestSchema = z.object({
  method: z.literal(METHODS.health),
  params: z.object({}).passthrough().optional(),
});

type AnyFunction = (...args: unknown[]) => unknown;

function isKindSpec(target: ServeTarget): target is KindSpec {
  return Array.isArray((target as KindSpec).hooks);
}

/** A hook schema as a tool's `inputSchema`/`outputSchema`. */
export function publishedSchema(schema: JsonObject | undefined): Record<string, unknown> {
  if (!isObjectSchema(schema)) return { type: 'object' };
  // `$schema` is left out: MCP clients compile tool schemas with their own
  // validator, which may not know the 2020-12 meta-schema URI.
  const { $schema: _dropped, ...rest } = schema as JsonObject;
  return rest;
}

/** A JSON-RPC error that carries a structured dagstack error in `data`. */
function extensionError(
  error: unknown,
  site: { plugin: string; kind: string; hook: string },
  mask: <T>(value: T) => T,
) {
  const described = mask(describeError(error, site));
  return new McpError(ErrorCode.InternalError, `${described.name}: ${described.message}`, {
    'dagstack.dev/error': described,
  });
}

/**
 * Wrap a plugin object in an SDK `Server` that speaks the dagstack wire
 * (docs/wire.md): the capability in `initialize`, one tool per exposed hook,
 * metadata from `_meta`, structured tool errors, and the `dagstack/setup`,
 * `dagstack/teardown` and `dagstack/health` requests. A client that does not
 * announce the dagstack capability gets the plugin set up with an empty
 * configuration before its first call.
 * @since 0.1.0
 */
export function createPluginServer(
  plugin: object,
  target: ServeTarget,
  options: PluginServerOptions = {},
): PluginServer {
  const env = options.env ?? process.env;
  const kindSpec = isKindSpec(target) ? target : options.kindSpec;
  const kind = isKindSpec(target) ? target.kind : target.kind;
  const name =
    options.name ?? (isKindSpec(target) ? undefined : target.name) ?? env.DAGSTACK_PLUGIN_NAME;
  if (name === undefined || name === '') {
    throw new PluginRegistryError('the plugin server does not know its plugin name', {
      kind,
      hint: 'pass { name } in the options, serve a manifest-like { name, kind }, or start it from a host (which sets DAGSTACK_PLUGIN_NAME)',
    });
  }
  const mask = options.mask ?? unmasked;
  const logger =
    options.logger ??
    createJsonLineLogger({
      bindings: { 'plugin.name': name, 'plugin.kind': kind },
      ...(options.mask === undefined ? {} : { mask: options.mask }),
    });
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  // Schema checks, compiled on first use per schema. A schema the validator
  // cannot compile is reported once and not checked (calls still go through).
  const checkOutput = options.checkOutput ?? true;
  const checkInput = options.checkInput ?? true;
  let validator: AjvJsonSchemaValidator | undefined;
  const checks = new Map<object, JsonSchemaValidator<unknown> | null>();
  const schemaProblem = (schema: JsonObject, value: unknown, hook: string): string | undefined => {
    let check = checks.get(schema);
    if (check === undefined) {
      validator ??= new AjvJsonSchemaValidator();
      try {
        check = validator.getValidator(publishedSchema(schema) as never);
      } catch (error) {
        logger.warn(
          'a hook schema does not compile; calls of this hook are not checked against it',
          {
            hook,
            error: error instanceof Error ? error.message : String(error),
          },
        );
        check = null;
      }
      checks.set(schema, check);
    }
    if (check === null) return undefined;
    const verdict = check(value);
    return verdict.valid ? undefined : verdict.errorMessage;
  };
  const outputProblem = (
    schema: JsonObject | undefined,
    output: unknown,
    hook: string,
  ): string | undefined =>
    checkOutput && schema !== undefined && isObjectSchema(schema)
      ? schemaProblem(schema, output, hook)
      : undefined;
  const target_ = plugin as Record<string, unknown>;
  const methods = hookMethods(plugin);

  // Which hooks are served, and how.
  const specs: HookSpec[] = kindSpec
    ? [...kindSpec.hooks]
    : [...methods.keys()].map((hook) => ({ name: hook, dispatch: 'singleton', mcp_exposed: true }));
  const implemented = specs.filter((h) => methods.has(h.name));
  const hooks = implemented.map((h) => h.name);
  const wireHooks: WireHook[] = implemented
    .filter((h) => h.mcp_exposed !== false)
    .map((h) => planHook(h, kind, name));
  const fixed = new Map<string, WireHook>();
  for (const wh of wireHooks) {
    if (wh.toolName === undefined) continue;
    assertToolName(wh.toolName, name, kind);
    fixed.set(wh.toolName, wh);
  }
  const perFunction = wireHooks.filter((wh) => wh.perFunction);
  const canListFunctions = methods.has(CATALOGUE_HOOK);

  const extensions: WireExtension[] = ['setup', 'teardown', 'health'];
  const capability: ServerCapability = {
    wire_version: WIRE_VERSION,
    plugin: name,
    kind,
    ...(kindSpec === undefined
      ? isKindSpec(target) || target.kind_api_version === undefined
        ? {}
        : { kind_api_version: target.kind_api_version }
      : { kind_api_version: kindSpec.kind_api_version }),
    hooks,
    extensions,
  };
  const server = new Server(
    {
      name: `dagstack-plugin-${name}`,
      version: options.version ?? (isKindSpec(target) ? undefined : target.version) ?? '0.0.0',
    },
    {
      capabilities: {
        tools: {},
        experimental: { [CAPABILITY_KEY]: capability as unknown as Record<string, unknown> },
      },
    },
  );

  const inFlight = new Set<InFlightOperation>();
  let setUp = false;
  let tornDown = false;
  let autoSetup: Promise<void> | undefined;

  const invokeMethod = (hook: string, input: unknown, call: HookCall): Promise<unknown> => {
    const method = target_[methods.get(hook) ?? hook];
    if (typeof method !== 'function') {
      return Promise.reject(
        new PluginRegistryError(`has no hook "${hook}"`, { plugin: name, kind }),
      );
    }
    try {
      return Promise.resolve((method as AnyFunction).call(plugin, input, call));
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const runSetup = async (params: {
    config?: string | undefined;
    resources?: Record<string, unknown> | undefined;
    meta?: WireMeta | undefined;
  }): Promise<void> => {
    const config =
      params.config === undefined ? {} : (JSON.parse(params.config) as Record<string, unknown>);
    const ctx = createServedContext({
      plugin: name,
      config: Object.freeze(config),
      logger,
      metadata: decodeMetadata(params.meta),
      resources: createWireResources(
        (params.resources ?? {}) as Record<string, JsonValue>,
        options.resources ?? {},
      ),
      inFlight: () => [...inFlight],
    });
    if (typeof target_.setup === 'function') await (target_.setup as AnyFunction).call(plugin, ctx);
    setUp = true;
    tornDown = false;
  };

  const runTeardown = async (): Promise<boolean> => {
    if (!setUp || tornDown) return true;
    tornDown = true;
    if (typeof target_.teardown !== 'function') return true;
    return (await (target_.teardown as AnyFunction).call(plugin)) !== false;
  };

  /** A client without the dagstack capability never sends setup: do it for it. */
  const ensureSetUp = (): Promise<void> | undefined => {
    if (setUp) return undefined;
    const client = server.getClientCapabilities()?.experimental?.[CAPABILITY_KEY];
    if (client !== undefined) return undefined;
    autoSetup ??= runSetup({});
    return autoSetup;
  };

  const syntheticCall = (hook: string, signal: AbortSignal): HookCall => ({
    kind,
    name,
    hook,
    metadata: Object.freeze({}),
    signal,
  });

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    await ensureSetUp();
    const tools: Record<string, unknown>[] = [];
    for (const wh of wireHooks) {
      if (wh.toolName !== undefined) {
        tools.push({
          name: wh.toolName,
          ...(wh.description === undefined ? {} : { description: wh.description }),
          inputSchema: publishedSchema(wh.inputSchema),
          ...(isObjectSchema(wh.outputSchema)
            ? { outputSchema: publishedSchema(wh.outputSchema) }
            : {}),
        });
      }
    }
    if (perFunction.length > 0 && canListFunctions) {
      const listed = await invokeMethod(
        CATALOGUE_HOOK,
        {},
        syntheticCall(CATALOGUE_HOOK, extra.signal),
      );
      const functions = Array.isArray(listed) ? listed : [];
      for (const wh of perFunction) {
        for (const fn of functions as {
          name?: unknown;
          description?: unknown;
          parameters?: unknown;
        }[]) {
          if (typeof fn?.name !== 'string') continue;
          const toolName = `${wh.functionPrefix}${fn.name}${wh.functionSuffix}`;
          try {
            assertToolName(toolName, name, kind);
          } catch (error) {
            logger.error('function left out of tools/list', {
              function: fn.name,
              error: (error as Error).message,
            });
            continue;
          }
          tools.push({
            name: toolName,
            ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
            inputSchema: publishedSchema(fn.parameters as JsonObject | undefined),
            ...(isObjectSchema(wh.outputSchema)
              ? { outputSchema: publishedSchema(wh.outputSchema) }
              : {}),
          });
        }
      }
    }
    return { tools } as never;
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const pending = ensureSetUp();
    if (pending !== undefined) await pending;
    const params = request.params;
    const toolName = params.name;
    let wh = fixed.get(toolName);
    let fn: string | undefined;
    if (wh === undefined) {
      for (const candidate of perFunction) {
        fn = functionOf(candidate, toolName);
        if (fn !== undefined) {
          wh = candidate;
          break;
        }
      }
    }
    if (wh === undefined) {
      throw new McpError(ErrorCode.InvalidParams, `Tool ${toolName} not found`);
    }
    const meta = params._meta as WireMeta | undefined;
    const input =
      fn === undefined
        ? decodeInput(params.arguments, meta)
        : { function: fn, args: params.arguments ?? {} };
    const site = { plugin: name, kind, hook: wh.hook };
    if (checkInput && fn === undefined && isObjectSchema(wh.inputSchema)) {
      const problem = schemaProblem(wh.inputSchema as JsonObject, input, wh.hook);
      if (problem !== undefined) {
        return toolErrorResult({
          name: 'HookValidationError',
          code: 'HOOK_VALIDATION_ERROR',
          message: `the input of ${toolName} does not match the input schema of "${wh.hook}" (${problem}); send what the kind's hookspec says "${wh.hook}" takes`,
          details: { direction: 'input', tool: toolName },
          ...site,
        }) as never;
      }
    }
    const controller = new AbortController();
    const signal = extra.signal;
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    const metadata = decodeMetadata(meta);
    const op: InFlightOperation = {
      hook: wh.hook,
      startedAt: Date.now(),
      metadata,
      cancel: (reason?: unknown) => controller.abort(reason),
    };
    inFlight.add(op);
    try {
      const output = await invokeMethod(wh.hook, input, {
        kind,
        name,
        hook: wh.hook,
        metadata,
        signal: controller.signal,
      });
      const { result, text } = encodeOutput(output);
      if (result.structuredContent !== undefined) {
        const problem = outputProblem(wh.outputSchema, result.structuredContent, wh.hook);
        if (problem !== undefined) {
          logger.error('a hook returned output its published schema refuses', {
            hook: wh.hook,
            problem,
          });
          return toolErrorResult({
            name: 'HookValidationError',
            code: 'HOOK_VALIDATION_ERROR',
            message: `the output of "${wh.hook}" does not match the output schema this server publishes for ${toolName} (${problem}); return what the kind's hookspec says "${wh.hook}" returns`,
            details: { direction: 'output', tool: toolName },
            ...site,
          }) as never;
        }
      }
      // Large outputs carry no text block, so the message is the output plus
      // a small envelope. byteLength only when the UTF-16 length could exceed it.
      if (text.length * 3 + 4096 > maxBytes && Buffer.byteLength(text) + 4096 > maxBytes) {
        return toolErrorResult({
          name: 'MessageTooLarge',
          code: 'MESSAGE_TOO_LARGE',
          message: `the output of "${wh.hook}" is ${Buffer.byteLength(text)} bytes of JSON, over the message limit of ${maxBytes} bytes; return a reference (a blob store key, a URL) instead of the data, or raise maxMessageBytes on both sides`,
          ...site,
        }) as never;
      }
      return result as never;
    } catch (error) {
      return toolErrorResult(mask(describeError(error, site))) as never;
    } finally {
      inFlight.delete(op);
    }
  });

  server.setRequestHandler(SetupRequestSchema, async (request) => {
    const params = request.params ?? {};
    try {
      await runSetup({
        config: params.config,
        resources: params.resources,
        meta: params._meta,
      });
    } catch (error) {
      throw extensionError(error, { plugin: name, kind, hook: 'setup' }, mask);
    }
    return {} as never;
  });

  server.setRequestHandler(TeardownRequestSchema, async () => {
    try {
      return { released: await runTeardown() } as never;
    } catch (error) {
      throw extensionError(error, { plugin: name, kind, hook: 'teardown' }, mask);
    }
  });

  server.setRequestHandler(HealthRequestSchema, async () => {
    if (typeof target_.health !== 'function') return { status: 'ok' } as never;
    try {
      const status = (await (target_.health as AnyFunction).call(plugin)) as HealthStatus;
      return { ...status } as never;
    } catch (error) {
      return {
        status: 'failing',
        message: error instanceof Error ? error.message : String(error),
      } as never;
    }
  });

  return {
    server,
    name,
    kind,
    hooks,
    toolNames: [...fixed.keys()],
    shutdown: runTeardown,
  };
}

/**
 * Whether a served plugin's hooks include one its kind marks `mcp_exposed:
 * false` (other than the catalogue hook). Exposed for hosts and tests.
 * @since 0.1.0
 */
export function unservableHooks(kindSpec: KindSpec, hooks: readonly string[]): string[] {
  return hooks.filter((hook) => {
    const spec = kindSpec.hooks.find((h) => h.name === hook);
    return spec !== undefined && spec.mcp_exposed === false && !isCatalogueHook(kindSpec, hook);
  });
}
