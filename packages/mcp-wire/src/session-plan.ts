// The checks a host session makes when it opens (docs/wire.md §2, §9): the
// server's announced dagstack capability against the manifest and the
// kind's hookspec, and the plan of the hooks callable through it.
//
// Owns: the PluginLoadError messages of opening a session and the hook plan.
// May not touch: the client or its transport (session.ts reads what the
// server announced and passes it here), nor calls of the planned hooks.
import {
  DEFAULT_TOOL_NAME_TEMPLATE,
  type KindSpec,
  PluginLoadError,
  type PluginManifest,
} from '@dagstack/plugin-api';
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import {
  CAPABILITY_KEY,
  CATALOGUE_HOOK,
  type ServerCapability,
  WIRE_VERSION,
} from './constants.js';
import { TOOL_KIND_FALLBACK } from './plain-server.js';
import { unservableHooks } from './server.js';
import { functionHookOf, planHook, type WireHook } from './tool-names.js';

/** What a session serves, as the checks at open found it. */
export interface SessionPlan {
  /** `dagstack` when the server announced the capability, else `plain` (§9). */
  readonly mode: 'dagstack' | 'plain';
  /** The capability the server announced; `undefined` for a plain server. */
  readonly capability: ServerCapability | undefined;
  /** Hooks callable through the session. */
  readonly hooks: ReadonlySet<string>;
  /** The wire form of each hook served by a dagstack server, by hook name. */
  readonly plan: ReadonlyMap<string, WireHook>;
  /** The function-templated hook the catalogue hook lists, if any. */
  readonly functionHook: WireHook | undefined;
}

function major(version: string): string {
  return version.split('.')[0] ?? version;
}

/**
 * Check a server's announced capabilities against the manifest and the
 * kind's hookspec (when the host registered one). Throws `PluginLoadError`
 * naming the plugin and the reason when the server cannot serve the plugin.
 */
export function planSession(
  server: ServerCapabilities | undefined,
  manifest: PluginManifest,
  kindSpec: KindSpec | undefined,
): SessionPlan {
  const refuse = (message: string, hint: string): PluginLoadError =>
    new PluginLoadError(message, {
      plugin: manifest.name,
      kind: manifest.kind,
      path: manifest.source,
      hint,
    });
  const announced = server?.experimental?.[CAPABILITY_KEY] as Partial<ServerCapability> | undefined;
  if (announced === undefined) {
    const spec =
      kindSpec ?? (manifest.kind === TOOL_KIND_FALLBACK.kind ? TOOL_KIND_FALLBACK : undefined);
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
    return {
      mode: 'plain',
      capability: undefined,
      hooks: new Set([CATALOGUE_HOOK, fnHook.name]),
      plan: new Map(),
      functionHook: planHook(fnHook, manifest.kind, manifest.name),
    };
  }
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
  const plan = new Map<string, WireHook>();
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
    plan.set(hook, wh);
    if (wh.perFunction) functionHook ??= wh;
    hooks.add(hook);
  }
  if (functionHook !== undefined && capability.hooks.includes(CATALOGUE_HOOK))
    hooks.add(CATALOGUE_HOOK);
  return { mode: 'dagstack', capability, hooks, plan, functionHook };
}
