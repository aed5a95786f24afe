import {
  DEFAULT_TOOL_NAME_TEMPLATE,
  type HookSpec,
  type JsonObject,
  type KindSpec,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import { CATALOGUE_HOOK, TOOL_NAME_PATTERN } from './constants.js';

/**
 * How one hook of a kind travels over the wire (docs/wire.md §3).
 * @since 0.1.0
 */
export interface WireHook {
  /** The hook's name. */
  readonly hook: string;
  /** Whether the hook is an MCP tool (`mcp_exposed`). */
  readonly exposed: boolean;
  /** The template after `{kind}`, `{plugin}` and `{hook}` were filled in. */
  readonly template: string;
  /** `true` when the template holds `{function}`: one tool per function. */
  readonly perFunction: boolean;
  /** Tool name (hooks that are not function-templated). */
  readonly toolName: string | undefined;
  /** Tool-name prefix and suffix around the function name (function-templated hooks). */
  readonly functionPrefix: string;
  /** Tool-name text after the function name (function-templated hooks); `""` otherwise. */
  readonly functionSuffix: string;
  /** The hook's description from the hookspec. */
  readonly description: string | undefined;
  /** The hook's `input_schema` from the hookspec. */
  readonly inputSchema: JsonObject | undefined;
  /** The hook's `output_schema` from the hookspec. */
  readonly outputSchema: JsonObject | undefined;
}

/**
 * Fill `{kind}`, `{plugin}`, `{hook}` (and `{function}` when given) into a
 * tool-name template.
 * @since 0.1.0
 */
export function renderToolName(
  template: string,
  parts: { kind: string; plugin: string; hook: string; function?: string },
): string {
  return template.replace(/\{(kind|plugin|hook|function)\}/g, (whole, key: string) => {
    const value = (parts as Record<string, string | undefined>)[key];
    return value ?? whole;
  });
}

/** Whether a JSON Schema's root declares an object. */
export function isObjectSchema(schema: JsonObject | undefined): boolean {
  if (schema === undefined) return false;
  const type = schema.type;
  return type === 'object' || (Array.isArray(type) && type.length === 1 && type[0] === 'object');
}

/**
 * Plan the wire form of one hook of a plugin.
 * @since 0.1.0
 */
export function planHook(spec: HookSpec, kind: string, plugin: string): WireHook {
  const raw = spec.mcp_tool_name_template ?? DEFAULT_TOOL_NAME_TEMPLATE;
  const template = renderToolName(raw, { kind, plugin, hook: spec.name });
  const at = template.indexOf('{function}');
  const perFunction = at >= 0;
  return {
    hook: spec.name,
    exposed: spec.mcp_exposed !== false,
    template,
    perFunction,
    toolName: perFunction ? undefined : template,
    functionPrefix: perFunction ? template.slice(0, at) : '',
    functionSuffix: perFunction ? template.slice(at + '{function}'.length) : '',
    description: spec.description,
    inputSchema: spec.input_schema,
    outputSchema: spec.output_schema,
  };
}

/**
 * The function name inside a tool name of a function-templated hook, or
 * `undefined` when the name does not belong to it.
 * @since 0.1.0
 */
export function functionOf(hook: WireHook, toolName: string): string | undefined {
  if (!hook.perFunction) return undefined;
  if (!toolName.startsWith(hook.functionPrefix) || !toolName.endsWith(hook.functionSuffix))
    return undefined;
  const name = toolName.slice(
    hook.functionPrefix.length,
    toolName.length - hook.functionSuffix.length,
  );
  return name === '' ? undefined : name;
}

/**
 * Whether a hook marked `mcp_exposed: false` is the catalogue hook the wire
 * itself answers (docs/wire.md §3): `get_schema` of a kind with a
 * function-templated hook.
 * @since 0.1.0
 */
export function isCatalogueHook(kindSpec: KindSpec, hook: string): boolean {
  return (
    hook === CATALOGUE_HOOK &&
    kindSpec.hooks.some((h) =>
      (h.mcp_tool_name_template ?? DEFAULT_TOOL_NAME_TEMPLATE).includes('{function}'),
    )
  );
}

/** The function-templated hook of a kind, if it has one. */
export function functionHookOf(kindSpec: KindSpec): HookSpec | undefined {
  return kindSpec.hooks.find((h) =>
    (h.mcp_tool_name_template ?? DEFAULT_TOOL_NAME_TEMPLATE).includes('{function}'),
  );
}

/** Throw when a tool name breaks the MCP rule. */
export function assertToolName(name: string, plugin: string, kind: string): void {
  if (!TOOL_NAME_PATTERN.test(name)) {
    throw new PluginRegistryError(
      `the MCP tool name "${name}" is not allowed (letters, digits, "_", "-", "." only, at most 128)`,
      {
        plugin,
        kind,
        hint: 'rename the plugin or fix mcp_tool_name_template in the hookspec',
      },
    );
  }
}
