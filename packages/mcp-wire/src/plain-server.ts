// The mapping between an MCP server's tools and the `tool` kind's functions
// (docs/wire.md §3, §9): the `tool` kind conventions used for a plain MCP
// server, the catalogue built from `tools/list`, and a plain server's
// `tools/call` result as an `execute` output.
//
// Owns: pure functions over tool descriptors, hook inputs and tool results.
// May not touch: the client or any request (session.ts sends `tools/list`
// and `tools/call` and passes their results here), nor errors of a call.
import type { KindSpec } from '@dagstack/plugin-api';
import { CATALOGUE_HOOK } from './constants.js';
import { attachHidden, MCP_RESULT_KEY, MCP_TOOL_KEY } from './peer.js';
import type { WireHook } from './tool-names.js';
import { isJsonObject } from './values.js';

/**
 * The `tool` kind v1 conventions, used for a `tool` plugin whose host has
 * no registered hookspec (a plain MCP server loaded from a manifest alone).
 */
export const TOOL_KIND_FALLBACK: KindSpec = {
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

/** One function of the catalogue hook's answer. */
export interface FunctionEntry {
  name: string;
  description: string;
  parameters: unknown;
}

/**
 * The catalogue hook's answer from the server's tools: for a dagstack
 * server the tools of `fnHook` (its prefix and suffix taken off), for a
 * plain server every tool, its descriptor attached for a gateway.
 */
export function functionsOfTools(
  tools: readonly Record<string, unknown>[],
  mode: 'dagstack' | 'plain',
  fnHook: WireHook,
): FunctionEntry[] {
  const out: FunctionEntry[] = [];
  for (const tool of tools) {
    if (typeof tool.name !== 'string') continue;
    let fn: string | undefined = tool.name;
    if (mode === 'dagstack') {
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
    if (mode === 'plain') attachHidden(entry, MCP_TOOL_KEY, tool);
    out.push(entry);
  }
  return out;
}

/**
 * The function and arguments of a function-templated hook's input
 * (`{ function, args }`); `undefined` when `function` is not a string.
 */
export function functionCallOf(
  input: unknown,
): { readonly fn: string; readonly args: Record<string, unknown> } | undefined {
  const fn = isJsonObject(input) ? input.function : undefined;
  if (typeof fn !== 'string') return undefined;
  const args = isJsonObject(input) && isJsonObject(input.args) ? input.args : {};
  return { fn, args };
}

/** A plain server's `tools/call` result as the `execute` output (§9), the result attached for a gateway. */
export function plainOutputOf(result: Record<string, unknown>): unknown {
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
