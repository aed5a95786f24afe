// Plugins in CommonJS projects (a package.json without "type": "module", as
// `npm init -y` writes it): an ES module entry there is refused before it is
// imported, by the registry and by resolveEntryPoint (what `validate` runs),
// with a hint naming the rename and the package.json to change; CommonJS entry
// modules load in both shapes Node exposes to import(). Real files on disk.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  isPluginLoadError,
  type KindSpec,
  type PluginLoadError,
  type PluginManifest,
} from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginRegistry, resolveEntryPoint } from '../src/index.js';

const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
};

const GREETER_BODY = `{
  execute({ args }) {
    return { result: 'Hello, ' + args.name + '!' };
  }
}`;
/** getting-started's plugin: an ES module. */
const ESM_PLUGIN = `export class Greeter ${GREETER_BODY}\n`;
const CJS_OBJECT = `class Greeter ${GREETER_BODY}\nmodule.exports = { Greeter };\n`;
const CJS_EXPORTS = `exports.Greeter = class Greeter ${GREETER_BODY};\n`;
// Shapes Node cannot lift to named exports: only the exports object (`default`) has them.
const CJS_MADE = `class Greeter ${GREETER_BODY}\nconst make = () => ({ Greeter });\nmodule.exports = make();\n`;
const CJS_ASSIGN = `class Greeter ${GREETER_BODY}\nObject.assign(module.exports, { Greeter });\n`;
const NPM_INIT = { name: 'project', version: '1.0.0', main: 'index.js', type: 'commonjs' };

function manifestToml(entryPoint: string, extra = ''): string {
  return `[plugin]
schema_version = "1"
name = "greeter"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "${entryPoint}"
version = "0.1.0"
${extra}
`;
}

let project: string;
const registries: PluginRegistry[] = [];

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'dagstack-cjs-'));
});
afterEach(async () => {
  for (const registry of registries.splice(0)) {
    await registry.teardownAll();
    registry.close();
  }
  await rm(project, { recursive: true, force: true });
});

async function files(entries: Record<string, string | object>): Promise<void> {
  for (const [path, content] of Object.entries(entries)) {
    const file = join(project, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`,
    );
  }
}

/** discover + setupAll: the plugin's state, its load error if any, and one call when ready. */
async function start(): Promise<{ state: string | undefined; error?: unknown; reply?: unknown }> {
  const registry = new PluginRegistry({ healthChecks: false, env: {}, logger: 'silent' });
  registries.push(registry);
  registry.registerKind(TOOL);
  await registry.discover(join(project, 'plugins'));
  const report = await registry.setupAll();
  const state = registry.status().find((s) => s.name === 'greeter')?.state;
  const error = report.unavailable.find((u) => u.plugin === 'greeter')?.error;
  if (state !== 'ready') return { state, error };
  const reply = await registry.call('tool', 'execute', {
    function: 'greet',
    args: { name: 'Ada' },
  });
  return { state, reply };
}

/** What `dagstack-plugins validate` checks: the manifest's entry point, resolved. */
async function resolveGreeter(entryPoint: string): Promise<unknown> {
  const dir = join(project, 'plugins', 'greeter');
  const manifest = {
    name: 'greeter',
    kind: 'tool',
    entry_point: entryPoint,
    source: join(dir, 'dagstack.toml'),
  } as PluginManifest;
  return resolveEntryPoint(manifest, dir).catch((error: unknown) => error);
}

/** Whether this Node retries a module-syntax .js file of a package without "type" as ESM. */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const DETECTS_MODULE_SYNTAX =
  major > 22 || (major === 22 && minor >= 7) || (major === 20 && minor >= 19);

describe('an ES module entry in a CommonJS project', () => {
  it('is refused with a PluginLoadError naming plugin, file, the rename and the package.json', async () => {
    await files({
      'package.json': NPM_INIT,
      'plugins/greeter/dagstack.toml': manifestToml('plugin:Greeter'),
      'plugins/greeter/plugin.js': ESM_PLUGIN,
    });
    const pluginFile = join(project, 'plugins', 'greeter', 'plugin.js');
    const packageJson = join(project, 'package.json');

    const { state, error } = await start();
    expect(state).toBe('unavailable');
    expect(isPluginLoadError(error)).toBe(true);
    const loadError = error as PluginLoadError;
    expect(loadError.plugin).toBe('greeter');
    expect(loadError.path).toBe(pluginFile);
    expect(loadError.entryPoint).toBe('plugin:Greeter');
    expect(loadError.message).toContain(
      `plugin.js is an ES module (Unexpected token 'export'), but Node loads it as CommonJS: ${packageJson} says "type": "commonjs"`,
    );
    expect(loadError.hint).toBe(
      `rename plugin.js to plugin.mjs (entry_point "plugin:Greeter" finds it as it is), or change "type" to "module" in ${packageJson}`,
    );

    // `validate` resolves the entry point: it reports the same error, without importing.
    const resolved = await resolveGreeter('plugin:Greeter');
    expect(isPluginLoadError(resolved)).toBe(true);
    expect((resolved as PluginLoadError).hint).toBe(loadError.hint);
  });

  it('names the path form of entry_point for a file entry, and import syntax as well as export', async () => {
    await files({
      'package.json': NPM_INIT,
      'plugins/greeter/dagstack.toml': manifestToml('./lib/plugin.js#Greeter'),
      'plugins/greeter/lib/plugin.js': `import { EOL } from 'node:os';\n${ESM_PLUGIN}void EOL;\n`,
    });
    const { error } = await start();
    expect(isPluginLoadError(error)).toBe(true);
    expect((error as PluginLoadError).message).toContain(
      'lib/plugin.js is an ES module (Cannot use import statement outside a module)',
    );
    expect((error as PluginLoadError).hint).toBe(
      `rename lib/plugin.js to lib/plugin.mjs and set entry_point = "./lib/plugin.mjs#Greeter", or change "type" to "module" in ${join(project, 'package.json')}`,
    );
  });

  it('loads once renamed to .mjs, with the same entry_point', async () => {
    await files({
      'package.json': NPM_INIT,
      'plugins/greeter/dagstack.toml': manifestToml('plugin:Greeter'),
      'plugins/greeter/plugin.js': ESM_PLUGIN,
    });
    const dir = join(project, 'plugins', 'greeter');
    await rename(join(dir, 'plugin.js'), join(dir, 'plugin.mjs'));
    expect(await start()).toEqual({ state: 'ready', reply: { result: 'Hello, Ada!' } });
  });

  it('loads once the package.json says "type": "module", or a nearer one in the plugin folder does', async () => {
    await files({
      'package.json': { ...NPM_INIT, type: 'module' },
      'plugins/greeter/dagstack.toml': manifestToml('plugin:Greeter'),
      'plugins/greeter/plugin.js': ESM_PLUGIN,
    });
    expect(await start()).toEqual({ state: 'ready', reply: { result: 'Hello, Ada!' } });

    await files({
      'package.json': NPM_INIT,
      'plugins/greeter/package.json': { type: 'module' },
    });
    expect(await start()).toEqual({ state: 'ready', reply: { result: 'Hello, Ada!' } });
  });

  it.skipIf(!DETECTS_MODULE_SYNTAX)(
    'loads under a package.json without "type", where Node detects module syntax',
    async () => {
      const { type: _type, ...typeless } = NPM_INIT;
      await files({
        'package.json': typeless,
        'plugins/greeter/dagstack.toml': manifestToml('plugin:Greeter'),
        'plugins/greeter/plugin.js': ESM_PLUGIN,
      });
      expect(await resolveGreeter('plugin:Greeter')).toEqual({
        file: join(project, 'plugins', 'greeter', 'plugin.js'),
        exportName: 'Greeter',
      });
    },
  );

  it('leaves other syntax errors to the import, which reports them as they are', async () => {
    await files({
      'package.json': NPM_INIT,
      'plugins/greeter/dagstack.toml': manifestToml('plugin:Greeter'),
      'plugins/greeter/plugin.js': 'class Greeter {\n',
    });
    const { error } = await start();
    expect(isPluginLoadError(error)).toBe(true);
    expect((error as PluginLoadError).message).toContain('importing the entry module failed');
    expect((error as PluginLoadError).message).not.toContain('Node loads it as CommonJS');
  });
});

describe('a CommonJS entry module', () => {
  it.each([
    ['module.exports = { Greeter }', CJS_OBJECT, ''],
    ['exports.Greeter = class', CJS_EXPORTS, ''],
    ['module.exports = make()', CJS_MADE, ''],
    ['Object.assign(module.exports, ...)', CJS_ASSIGN, ''],
    [
      'module.exports = make() in a worker thread',
      CJS_MADE,
      'execution_model = "thread_cpu_bound"',
    ],
    [
      'module.exports = { Greeter } in a worker thread',
      CJS_OBJECT,
      'execution_model = "thread_cpu_bound"',
    ],
  ])('loads with entry_point "plugin:Greeter": %s', async (_shape, source, extra) => {
    await files({
      'package.json': NPM_INIT,
      'plugins/greeter/dagstack.toml': manifestToml('plugin:Greeter', extra),
      'plugins/greeter/plugin.js': source,
    });
    expect(await start()).toEqual({ state: 'ready', reply: { result: 'Hello, Ada!' } });
  });
});
