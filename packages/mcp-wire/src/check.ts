import {
  type KindSpec,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
} from '@dagstack/plugin-api';

/**
 * Registration-time refusals of an MCP runtime (docs/wire.md §10): an
 * `in_process_only` manifest, or a kind whose hookspec is `in_process_only`.
 * Returns the reason (`PluginLoadError`), or `undefined` when the plugin may
 * run over MCP.
 * @since 0.1.0
 */
export function checkMcpPlugin(
  manifest: PluginManifest,
  kindSpec: KindSpec | undefined,
  runtime: 'mcp_stdio' | 'mcp_http',
): PluginRegistryError | undefined {
  const refuse = (why: string, hint: string): PluginRegistryError =>
    new PluginLoadError(`cannot run under ${runtime}: ${why}`, {
      plugin: manifest.name,
      kind: manifest.kind,
      path: manifest.source,
      hint,
    });
  if (manifest.in_process_only) {
    return refuse(
      'the manifest says in_process_only = true (it passes live objects that cannot cross the MCP wire)',
      'declare runtime = "in_process" for it',
    );
  }
  if (kindSpec?.constraints?.in_process_only === true) {
    return refuse(
      `the "${kindSpec.kind}" hookspec is in_process_only (its hooks pass live objects)`,
      'run plugins of this kind in_process',
    );
  }
  return undefined;
}
