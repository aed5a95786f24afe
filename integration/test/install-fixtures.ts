// The files of the two scratch projects install.test.ts creates outside the
// workspace: what a newcomer would write after `npm install`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

const PACKAGE_JSON = (name: string) =>
  `${JSON.stringify({ name, version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`;

/**
 * Project A: a ten-line host and one stdio plugin folder. The plugin is started
 * with `nodePath` (the node running the tests), so PATH does not matter.
 */
export function writeProjectA(dir: string, nodePath: string): void {
  writeTree(dir, {
    'package.json': PACKAGE_JSON('scratch-host'),
    'host.mjs': `import { fileURLToPath } from 'node:url';
import { isPluginError } from '@dagstack/plugin-api';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
const registry = new PluginRegistry({ runtimes: [createMcpStdioRuntime()] });
registry.registerKind({ kind: 'greeter', kind_api_version: '1.0.0', hooks: [{ name: 'greet', dispatch: 'singleton', mcp_exposed: true }] });
await registry.discover(fileURLToPath(new URL('plugins', import.meta.url)));
await registry.setupAll();
const reply = await registry.call('greeter', 'greet', { name: 'npm' });
const error = await registry.call('greeter', 'greet', { name: '' }).catch((err) => ({ typed: isPluginError(err), code: err.code }));
const states = registry.status().map((s) => \`\${s.name}:\${s.state}\`);
await registry.teardownAll();
console.log(JSON.stringify({ reply, error, states, registry: import.meta.resolve('@dagstack/plugin-registry') }));
`,
    'plugins/greeter/dagstack.toml': `[plugin]
schema_version = "1"
name = "greeter"
kind = "greeter"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "mcp_stdio"
version = "1.0.0"
description = "Greets; runs as its own process over MCP stdio."

[plugin.mcp_stdio]
command = [${JSON.stringify(nodePath)}, "server.mjs"]
`,
    'plugins/greeter/server.mjs': `import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';

const GREETER = {
  kind: 'greeter',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'greet', dispatch: 'singleton', mcp_exposed: true }],
};

class Greeter {
  greet({ name }) {
    if (name === '') throw new Error('no name given');
    const runtime = import.meta.resolve('@dagstack/plugin-runtime-mcp-stdio');
    return { greeting: \`hello, \${name}\`, pid: process.pid, runtime };
  }
}

await servePlugin(new Greeter(), GREETER, { transport: 'stdio' });
`,
  });
}

/**
 * Project B: a plugin class written against @dagstack/plugin-api alone, and a
 * wrong one. `DOM` provides the web globals the contracts mention
 * (`AbortSignal`, `URL`, `fetch` types); a Node project gets them from
 * @types/node instead. skipLibCheck is off so the published .d.ts files are
 * checked too.
 */
export function writeProjectB(dir: string): void {
  const compilerOptions = {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  };
  const tsconfig = (file: string) =>
    `${JSON.stringify({ compilerOptions, files: [file] }, null, 2)}\n`;
  writeTree(dir, {
    'package.json': PACKAGE_JSON('scratch-plugin'),
    'tsconfig.json': tsconfig('plugin.ts'),
    'tsconfig.wrong.json': tsconfig('wrong-plugin.ts'),
    'plugin.ts': `import {
  type HealthStatus,
  type HookCall,
  isPluginError,
  type KindSpec,
  type Plugin,
  type PluginContext,
  STOP_CHAIN,
} from '@dagstack/plugin-api';

export const REWRITER: KindSpec = {
  kind: 'rewriter',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'rewrite', dispatch: 'chain', mcp_exposed: true }],
};

export class Redactor implements Plugin {
  #ctx: PluginContext | undefined;
  setup(ctx: PluginContext): void {
    this.#ctx = ctx;
  }
  health(): HealthStatus {
    return { status: 'ok' };
  }
  rewrite(input: { text: string }, call: HookCall): { text: string } | typeof STOP_CHAIN {
    if (call.signal.aborted || call.metadata.tenant_id === undefined) return STOP_CHAIN;
    this.#ctx?.logger.info('rewriting');
    return { text: input.text.replaceAll(/\\d{4}-\\d{4}/g, '****') };
  }
}

export const isRegistryError = (err: unknown): boolean => isPluginError(err);
`,
    'wrong-plugin.ts': `import type { Plugin } from '@dagstack/plugin-api';

export class Wrong implements Plugin {
  setup(ctx: number): void {
    void ctx;
  }
  health(): string {
    return 'fine';
  }
}
`,
  });
}
