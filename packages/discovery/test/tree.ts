// Builds plugin trees on disk for the discovery tests.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export function toml(name: string, kind = 'tool', extra = ''): string {
  return `[plugin]
schema_version = "1"
name = "${name}"
kind = "${kind}"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:P"
${extra}
`;
}

export function manifestObject(
  name: string,
  kind = 'tool',
  runtime = 'in_process',
): Record<string, unknown> {
  return {
    schema_version: '1',
    name,
    kind,
    kind_api_version: '1',
    core_version: '>=0.1.0',
    runtime,
    ...(runtime === 'in_process' ? { entry_point: './plugin.js#P' } : {}),
    ...(runtime === 'mcp_stdio' ? { command: ['node', 'server.js'] } : {}),
    ...(runtime === 'mcp_http' ? { url: 'http://127.0.0.1:9/mcp' } : {}),
  };
}

/** Write files: keys are paths relative to `root`; values are file contents. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

export async function link(root: string, path: string, target: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await symlink(target, join(root, path));
}
