// Three stock MCP servers nobody here wrote (filesystem, memory,
// sequential-thinking; pinned devDependencies) loaded side by side as
// `mcp_stdio` tool plugins: every one of their functions is reached through
// `tool.execute` without naming the plugin, unknown and duplicate function
// names give typed errors, and re-serving keeps their annotations.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  isAmbiguousPlugin,
  isFunctionNotFound,
  isToolCallFailed,
  type KindSpec,
} from '@dagstack/plugin-api';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { isHookValidationError } from '@dagstack/plugin-system';
import { KIND_SPEC as TOOL_V1 } from '@dagstack/plugin-system/kinds/tool/v1';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

/** The entry script of a stock server package. */
function serverEntry(name: string): string {
  return join(
    dirname(require.resolve(`@modelcontextprotocol/${name}/package.json`)),
    'dist/index.js',
  );
}

/** A plugin folder whose manifest starts a stock server over stdio. */
function stockPlugin(
  root: string,
  name: string,
  server: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): void {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const command = JSON.stringify([process.execPath, serverEntry(server), ...args]);
  const envLines = Object.entries(env)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(
    join(dir, 'dagstack.toml'),
    `[plugin]
schema_version = "1"
name = "${name}"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "mcp_stdio"
description = "@modelcontextprotocol/${server}, as a tool plugin"

[plugin.mcp_stdio]
command = ${command}
${envLines === '' ? '' : `\n[plugin.mcp_stdio.env]\n${envLines}\n`}`,
  );
}

let root: string;
let files: string;
const registries: PluginRegistry[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dagstack-stock-'));
  files = join(root, 'files');
  mkdirSync(files);
  // A 1x1 PNG for read_media_file.
  writeFileSync(
    join(files, 'dot.png'),
    Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    ),
  );
  const plugins = join(root, 'plugins');
  stockPlugin(plugins, 'filesystem', 'server-filesystem', [files]);
  stockPlugin(plugins, 'memory', 'server-memory', [], {
    MEMORY_FILE_PATH: join(root, 'memory.jsonl'),
  });
  stockPlugin(plugins, 'thinking', 'server-sequential-thinking', [], {
    DISABLE_THOUGHT_LOGGING: 'true',
  });
});

afterEach(async () => {
  for (const registry of registries.splice(0)) {
    await registry.teardownAll().catch(() => undefined);
    registry.close();
  }
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function startRegistry(
  dir: string,
  env: Record<string, string> = {},
): Promise<PluginRegistry> {
  const registry = new PluginRegistry({
    runtimes: [createMcpStdioRuntime()],
    healthChecks: false,
    env,
  });
  registries.push(registry);
  registry.registerKind(TOOL_V1 as KindSpec);
  await registry.discover(dir);
  const report = await registry.setupAll();
  expect(report.unavailable.map((u) => `${u.plugin}: ${u.error.message}`)).toEqual([]);
  return registry;
}

/** Text of a plain server's result as the tool kind carries it. */
function text(output: unknown): string {
  return JSON.stringify(output);
}

describe('filesystem, memory and sequential-thinking side by side', () => {
  it('every function of the three servers is reached through tool.execute without a target', async () => {
    const registry = await startRegistry(join(root, 'plugins'));
    const listed = await registry.functions('tool');
    expect([...listed.keys()].sort()).toEqual(['filesystem', 'memory', 'thinking']);
    expect(listed.get('thinking')).toEqual(['sequentialthinking']);
    expect(listed.get('memory')).toHaveLength(9);
    expect(listed.get('filesystem')).toHaveLength(14);

    const sub = join(files, 'sub');
    const calls: [string, Record<string, unknown>, string?][] = [
      ['create_directory', { path: sub }],
      ['write_file', { path: join(sub, 'a.txt'), content: 'hello stock servers' }],
      ['read_file', { path: join(sub, 'a.txt') }, 'hello stock servers'],
      ['read_text_file', { path: join(sub, 'a.txt') }, 'hello stock servers'],
      ['read_media_file', { path: join(files, 'dot.png') }, 'image/png'],
      ['read_multiple_files', { paths: [join(sub, 'a.txt')] }, 'hello stock servers'],
      ['edit_file', { path: join(sub, 'a.txt'), edits: [{ oldText: 'hello', newText: 'hi' }] }],
      ['list_directory', { path: sub }, 'a.txt'],
      ['list_directory_with_sizes', { path: sub }, 'a.txt'],
      ['directory_tree', { path: files }, 'sub'],
      ['move_file', { source: join(sub, 'a.txt'), destination: join(sub, 'b.txt') }],
      ['search_files', { path: files, pattern: '**/b.txt' }, 'b.txt'],
      ['get_file_info', { path: join(sub, 'b.txt') }, 'size'],
      ['list_allowed_directories', {}, 'files'],
      [
        'create_entities',
        {
          entities: [
            { name: 'Ada', entityType: 'person', observations: ['wrote the first program'] },
            { name: 'Babbage', entityType: 'person', observations: ['designed the engine'] },
          ],
        },
        'Ada',
      ],
      ['create_relations', { relations: [{ from: 'Ada', to: 'Babbage', relationType: 'knew' }] }],
      ['add_observations', { observations: [{ entityName: 'Ada', contents: ['mathematician'] }] }],
      ['read_graph', {}, 'Babbage'],
      ['search_nodes', { query: 'Ada' }, 'mathematician'],
      ['open_nodes', { names: ['Babbage'] }, 'designed the engine'],
      [
        'delete_observations',
        { deletions: [{ entityName: 'Ada', observations: ['mathematician'] }] },
      ],
      ['delete_relations', { relations: [{ from: 'Ada', to: 'Babbage', relationType: 'knew' }] }],
      ['delete_entities', { entityNames: ['Babbage'] }],
      [
        'sequentialthinking',
        { thought: 'one step', nextThoughtNeeded: false, thoughtNumber: 1, totalThoughts: 1 },
        'thoughtNumber',
      ],
    ];
    const every = [...listed.values()].flat().sort();
    expect(calls.map(([fn]) => fn).sort()).toEqual(every);
    for (const [fn, args, expected] of calls) {
      const output = await registry.call('tool', 'execute', { function: fn, args });
      expect(output, fn).toMatchObject({ is_error: false });
      if (expected !== undefined) expect(text(output), fn).toContain(expected);
    }
    // The graph really lives in the memory server: Babbage is gone, Ada stays.
    const graph = text(
      await registry.call('tool', 'execute', { function: 'read_graph', args: {} }),
    );
    expect(graph).toContain('Ada');
    expect(graph).not.toContain('Babbage');
  });

  it('an unknown function, bad arguments and a failing call give typed errors', async () => {
    const registry = await startRegistry(join(root, 'plugins'));
    const unknown = await registry
      .call('tool', 'execute', { function: 'read_grap', args: {} })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(unknown)).toBe(true);
    if (isFunctionNotFound(unknown)) {
      expect(unknown.available).toHaveLength(24);
      expect(unknown.suggestion).toBe('read_graph');
    }
    // Checked against write_file's own schema before the server sees it.
    const target = join(files, 'never.txt');
    const bad = await registry
      .call('tool', 'execute', { function: 'write_file', args: { path: target } })
      .catch((e: unknown) => e);
    expect(isHookValidationError(bad)).toBe(true);
    expect(isHookValidationError(bad) && bad.pointer).toBe('/args/content');
    expect(isHookValidationError(bad) && bad.plugin).toBe('filesystem');
    // A path outside the allowed folder: the server answers isError.
    const denied = await registry
      .call('tool', 'execute', { function: 'read_file', args: { path: '/etc/hostname' } })
      .catch((e: unknown) => e);
    expect(isToolCallFailed(denied)).toBe(true);
    expect(isToolCallFailed(denied) && denied.plugin).toBe('filesystem');
    expect(String((denied as Error).message)).toMatch(/denied|outside|allowed/i);
  });

  it('the same function in two plugins is refused as ambiguous unless a target or DAGSTACK_ACTIVE_TOOL settles it', async () => {
    const twins = join(root, 'twins');
    stockPlugin(twins, 'memory-a', 'server-memory', [], {
      MEMORY_FILE_PATH: join(root, 'a.jsonl'),
    });
    stockPlugin(twins, 'memory-b', 'server-memory', [], {
      MEMORY_FILE_PATH: join(root, 'b.jsonl'),
    });
    const registry = await startRegistry(twins);
    const error = await registry
      .call('tool', 'execute', { function: 'read_graph', args: {} })
      .catch((e: unknown) => e);
    expect(isAmbiguousPlugin(error)).toBe(true);
    if (isAmbiguousPlugin(error)) {
      expect(error.reason).toBe('same_function');
      expect(error.candidates).toEqual(['memory-a', 'memory-b']);
    }
    await registry.call(
      'tool',
      'execute',
      {
        function: 'create_entities',
        args: { entities: [{ name: 'OnlyB', entityType: 't', observations: [] }] },
      },
      { target: 'memory-b' },
    );
    const chosen = await startRegistry(twins, { DAGSTACK_ACTIVE_TOOL: 'memory-b' });
    expect(
      text(await chosen.call('tool', 'execute', { function: 'read_graph', args: {} })),
    ).toContain('OnlyB');
  });
});

describe('the CLI in front of the stock servers', () => {
  it('call tool execute finds the plugin by function, and exits 1 on an unknown one', async () => {
    const plugins = join(root, 'plugins');
    const ok = await run(process.execPath, [
      CLI,
      'call',
      'tool',
      'execute',
      '--plugins',
      plugins,
      '--input',
      '{"function":"list_allowed_directories","args":{}}',
      '--json',
    ]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ is_error: false });
    expect(ok.stdout).toContain('files');
    const unknown = await run(process.execPath, [
      CLI,
      'call',
      'tool',
      'execute',
      '--plugins',
      plugins,
      '--input',
      '{"function":"read_grph","args":{}}',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((unknown as { code: number }).code).toBe(1);
    expect((unknown as { stderr: string }).stderr).toMatch(
      /FunctionNotFound.*did you mean "read_graph"/,
    );
  });

  it('serve keeps the annotations of re-served tools (destructiveHint on write_file)', async () => {
    const client = new Client({ name: 'stock-annotations', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'serve', join(root, 'plugins'), '--stdio'],
        stderr: 'ignore',
      }),
    );
    try {
      const { tools } = await client.listTools();
      const write = tools.find((t) => t.name === 'tool.filesystem.execute.write_file');
      expect(write?.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
      const read = tools.find((t) => t.name === 'tool.memory.execute.read_graph');
      expect(read?.annotations).toMatchObject({ readOnlyHint: true });
      // And the router serves the dispatch tool by function, too.
      const listed = await client.callTool({
        name: 'tool.execute',
        arguments: { function: 'list_allowed_directories', args: {} },
      });
      expect(listed.isError).toBeFalsy();
      expect(JSON.stringify(listed.content)).toContain('files');
    } finally {
      await client.close();
    }
  });
});
