// Function routing of the tool kind's `execute` (tool hookspec v1): one
// handler per (kind, plugin, function), arguments checked against the
// function's parameters before the plugin is called, is_error turned into a
// typed error. In-process plugins here; the stock MCP servers side by side
// are tested in interop/.
import {
  isAmbiguousPlugin,
  isFunctionNotFound,
  isPluginUnavailable,
  isToolCallFailed,
  type KindSpec,
} from '@dagstack/plugin-api';
import { isHookValidationError } from '@dagstack/plugin-dispatch';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/index.js';

/** The tool kind as its hookspec declares it (schemas left out). */
const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [
    { name: 'get_schema', dispatch: 'broadcast_collect', mcp_exposed: false },
    {
      name: 'execute',
      dispatch: 'singleton',
      mcp_exposed: true,
      mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
    },
  ],
};

const manifest = (name: string, extra: Record<string, unknown> = {}) => ({
  schema_version: '1',
  name,
  kind: 'tool',
  kind_api_version: '1',
  core_version: '>=0.1.0,<1.0.0',
  runtime: 'in_process',
  ...extra,
});

/** A tool plugin offering `functions`; records every execute it receives. */
class Functions {
  readonly calls: { function: string; args: unknown }[] = [];
  listings = 0;
  readonly name: string;
  readonly functions: Record<string, Record<string, unknown>>;
  constructor(name: string, functions: Record<string, Record<string, unknown>>) {
    this.name = name;
    this.functions = functions;
  }
  get_schema() {
    this.listings += 1;
    return Object.entries(this.functions).map(([name, parameters]) => ({
      name,
      description: `${name} of ${this.name}`,
      parameters,
    }));
  }
  execute(input: { function: string; args: Record<string, unknown> }) {
    this.calls.push({ function: input.function, args: input.args });
    if (input.args.fail === true) {
      return { result: null, is_error: true, error_message: `${input.function} refused` };
    }
    return { result: { by: this.name, function: input.function, args: input.args } };
  }
}

const PATH_ARG = {
  type: 'object',
  properties: { path: { type: 'string' }, fail: { type: 'boolean' } },
  required: ['path'],
};

const registries: PluginRegistry[] = [];
afterEach(async () => {
  for (const registry of registries.splice(0)) {
    await registry.teardownAll().catch(() => undefined);
    registry.close();
  }
});

async function start(
  plugins: { plugin: Functions; extra?: Record<string, unknown> }[],
  env: Record<string, string> = {},
): Promise<PluginRegistry> {
  const registry = new PluginRegistry({ healthChecks: false, env });
  registries.push(registry);
  registry.registerKind(TOOL);
  for (const { plugin, extra } of plugins) {
    registry.registerManifest(manifest(plugin.name, extra));
    registry.attachPlugin(plugin.name, plugin);
  }
  const report = await registry.setupAll();
  expect(report.unavailable).toEqual([]);
  return registry;
}

describe('tool.execute routed by function', () => {
  it('a get_schema call made first is kept: routing then asks no plugin again', async () => {
    const files = new Functions('files', { read_file: PATH_ARG });
    const memory = new Functions('memory', { read_graph: { type: 'object' } });
    const registry = await start([{ plugin: files }, { plugin: memory }]);
    const listed = await registry.call('tool', 'get_schema', {});
    expect((listed as { plugin: string }[]).map((e) => e.plugin)).toEqual(['files', 'memory']);
    await registry.call('tool', 'execute', { function: 'read_graph', args: {} });
    await registry.call('tool', 'execute', { function: 'read_file', args: { path: 'p' } });
    expect([files.listings, memory.listings]).toEqual([1, 1]);
  });

  it('sends each function to the plugin that lists it, whatever the plugin order', async () => {
    const files = new Functions('files', { read_file: PATH_ARG, write_file: PATH_ARG });
    const memory = new Functions('memory', { read_graph: { type: 'object' } });
    const thinking = new Functions('thinking', { sequentialthinking: { type: 'object' } });
    const registry = await start([{ plugin: files }, { plugin: memory }, { plugin: thinking }]);

    const graph = await registry.call('tool', 'execute', { function: 'read_graph', args: {} });
    expect(graph).toEqual({ result: { by: 'memory', function: 'read_graph', args: {} } });
    const file = await registry.call('tool', 'execute', {
      function: 'write_file',
      args: { path: '/tmp/x' },
    });
    expect(file).toMatchObject({ result: { by: 'files', function: 'write_file' } });
    await registry.call('tool', 'execute', { function: 'sequentialthinking', args: {} });
    expect(files.calls.map((c) => c.function)).toEqual(['write_file']);
    expect(memory.calls.map((c) => c.function)).toEqual(['read_graph']);
    expect(thinking.calls.map((c) => c.function)).toEqual(['sequentialthinking']);
    // The catalogue is read once per loaded plugin, not per call, and a
    // caller's own get_schema call counts as that reading.
    await registry.call('tool', 'execute', { function: 'read_graph', args: {} });
    expect(memory.listings).toBe(1);
    await registry.call('tool', 'get_schema', {});
    await registry.call('tool', 'execute', { function: 'read_graph', args: {} });
    expect(memory.listings).toBe(2);
    expect(await registry.functions('tool')).toEqual(
      new Map([
        ['files', ['read_file', 'write_file']],
        ['memory', ['read_graph']],
        ['thinking', ['sequentialthinking']],
      ]),
    );
  });

  it('refuses an unknown function with FunctionNotFound naming what exists, and a did-you-mean', async () => {
    const files = new Functions('files', { read_file: PATH_ARG });
    const memory = new Functions('memory', { read_graph: { type: 'object' } });
    const registry = await start([{ plugin: files }, { plugin: memory }]);
    const error = await registry
      .call('tool', 'execute', { function: 'read_grph', args: {} })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(error)).toBe(true);
    if (!isFunctionNotFound(error)) return;
    expect(error.function).toBe('read_grph');
    expect(error.available).toEqual(['read_file', 'read_graph']);
    expect(error.suggestion).toBe('read_graph');
    expect(error.message).toMatch(
      /no function "read_grph".*read_file, read_graph.*did you mean "read_graph"/,
    );
    // A name nowhere near any function gets no suggestion.
    const far = await registry
      .call('tool', 'execute', { function: 'launch_rockets', args: {} })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(far) && far.suggestion).toBe(undefined);
    expect(files.calls).toEqual([]);
    expect(memory.calls).toEqual([]);
  });

  it('refuses a call without a function name before any plugin runs', async () => {
    const files = new Functions('files', { read_file: PATH_ARG });
    const registry = await start([{ plugin: files }]);
    const error = await registry.call('tool', 'execute', { args: {} }).catch((e: unknown) => e);
    expect(isHookValidationError(error)).toBe(true);
    expect(isHookValidationError(error) && error.pointer).toBe('/function');
    expect(files.calls).toEqual([]);
  });

  it('checks args against the function schema before dispatch, naming the field', async () => {
    const files = new Functions('files', { read_file: PATH_ARG });
    const registry = await start([{ plugin: files }]);
    const missing = await registry
      .call('tool', 'execute', { function: 'read_file', args: {} })
      .catch((e: unknown) => e);
    expect(isHookValidationError(missing)).toBe(true);
    if (!isHookValidationError(missing)) return;
    expect(missing.pointer).toBe('/args/path');
    expect(missing.plugin).toBe('files');
    expect(missing.message).toMatch(/\/args\/path/);
    const wrongType = await registry
      .call('tool', 'execute', { function: 'read_file', args: { path: 42 } })
      .catch((e: unknown) => e);
    expect(isHookValidationError(wrongType) && wrongType.pointer).toBe('/args/path');
    // Also when the plugin is named: validation is the host's, not the router's choice.
    const targeted = await registry
      .call('tool', 'execute', { function: 'read_file', args: {} }, { target: 'files' })
      .catch((e: unknown) => e);
    expect(isHookValidationError(targeted)).toBe(true);
    expect(files.calls).toEqual([]);
  });

  it('same function in two plugins: AmbiguousPlugin unless a target, DAGSTACK_ACTIVE_TOOL or priority settles it', async () => {
    const a = new Functions('alpha', { search: { type: 'object' } });
    const b = new Functions('beta', { search: { type: 'object' } });
    const registry = await start([{ plugin: a }, { plugin: b }]);
    const error = await registry
      .call('tool', 'execute', { function: 'search', args: {} })
      .catch((e: unknown) => e);
    expect(isAmbiguousPlugin(error)).toBe(true);
    if (!isAmbiguousPlugin(error)) return;
    expect(error.reason).toBe('same_function');
    expect(error.function).toBe('search');
    expect(error.candidates).toEqual(['alpha', 'beta']);
    expect(error.message).toMatch(/DAGSTACK_ACTIVE_TOOL/);
    expect(a.calls).toEqual([]);
    expect(b.calls).toEqual([]);

    const targeted = await registry.call(
      'tool',
      'execute',
      { function: 'search', args: {} },
      { target: 'beta' },
    );
    expect(targeted).toMatchObject({ result: { by: 'beta' } });

    const c = new Functions('alpha', { search: { type: 'object' } });
    const d = new Functions('beta', { search: { type: 'object' } });
    const chosen = await start([{ plugin: c }, { plugin: d }], { DAGSTACK_ACTIVE_TOOL: 'beta' });
    expect(await chosen.call('tool', 'execute', { function: 'search', args: {} })).toMatchObject({
      result: { by: 'beta' },
    });

    const e = new Functions('alpha', { search: { type: 'object' } });
    const f = new Functions('beta', { search: { type: 'object' } });
    const ranked = await start([{ plugin: e }, { plugin: f, extra: { priority: 10 } }]);
    expect(await ranked.call('tool', 'execute', { function: 'search', args: {} })).toMatchObject({
      result: { by: 'beta' },
    });
  });

  it('a named plugin must list the function', async () => {
    const files = new Functions('files', { read_file: PATH_ARG });
    const memory = new Functions('memory', { read_graph: { type: 'object' } });
    const registry = await start([{ plugin: files }, { plugin: memory }]);
    const error = await registry
      .call('tool', 'execute', { function: 'read_graph', args: {} }, { target: 'files' })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(error)).toBe(true);
    expect(isFunctionNotFound(error) && error.plugin).toBe('files');
    expect(isFunctionNotFound(error) && error.available).toEqual(['read_file']);
    // A plugin that is not registered keeps the engine's own error.
    const ghost = await registry
      .call('tool', 'execute', { function: 'read_file', args: { path: 'x' } }, { target: 'ghost' })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(ghost)).toBe(false);
    expect(ghost).toBeInstanceOf(Error);
  });

  it('is_error: true becomes ToolCallFailed with the plugin message and the whole output', async () => {
    const files = new Functions('files', { read_file: PATH_ARG });
    const registry = await start([{ plugin: files }]);
    const error = await registry
      .call('tool', 'execute', { function: 'read_file', args: { path: 'x', fail: true } })
      .catch((e: unknown) => e);
    expect(isToolCallFailed(error)).toBe(true);
    if (!isToolCallFailed(error)) return;
    expect(error.plugin).toBe('files');
    expect(error.function).toBe('read_file');
    expect(error.code).toBe('TOOL_CALL_FAILED');
    expect(error.message).toMatch(/read_file refused/);
    expect(error.output).toEqual({
      result: null,
      is_error: true,
      error_message: 'read_file refused',
    });
    expect(files.calls).toHaveLength(1);
  });

  it('reads the catalogue again after a reload, and forgets plugins that stop', async () => {
    const files = new Functions('files', { read_file: PATH_ARG });
    const memory = new Functions('memory', { read_graph: { type: 'object' } });
    const registry = await start([{ plugin: files }, { plugin: memory }]);
    await registry.call('tool', 'execute', { function: 'read_graph', args: {} });
    expect(memory.listings).toBe(1);
    await registry.reload('memory');
    await registry.call('tool', 'execute', { function: 'read_graph', args: {} });
    expect(memory.listings).toBe(2);
    await registry.teardownAll();
    const error = await registry
      .call('tool', 'execute', { function: 'read_file', args: { path: 'x' } })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(error) || isPluginUnavailable(error)).toBe(true);
  });

  it('a lone plugin without get_schema still takes every call; with others it must be named', async () => {
    class Bare {
      execute(input: { function: string }) {
        return { result: input.function };
      }
    }
    const registry = new PluginRegistry({ healthChecks: false, env: {} });
    registries.push(registry);
    registry.registerKind(TOOL);
    registry.registerManifest(manifest('bare'));
    registry.attachPlugin('bare', new Bare());
    await registry.setupAll();
    expect(await registry.call('tool', 'execute', { function: 'anything', args: {} })).toEqual({
      result: 'anything',
    });

    const mixed = new PluginRegistry({ healthChecks: false, env: {} });
    registries.push(mixed);
    mixed.registerKind(TOOL);
    mixed.registerManifest(manifest('bare'));
    mixed.attachPlugin('bare', new Bare());
    mixed.registerManifest(manifest('files'));
    mixed.attachPlugin('files', new Functions('files', { read_file: PATH_ARG }));
    await mixed.setupAll();
    const error = await mixed
      .call('tool', 'execute', { function: 'anything', args: {} })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(error)).toBe(true);
    expect(isFunctionNotFound(error) && error.hint).toMatch(/"bare"/);
    expect(
      await mixed.call('tool', 'execute', { function: 'anything', args: {} }, { target: 'bare' }),
    ).toEqual({ result: 'anything' });
  });

  it('a third-party draft-07 parameters schema with $schema and $id still checks the arguments', async () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'urn:same-id',
      type: 'object',
      properties: { n: { type: 'number' } },
      required: ['n'],
    };
    const one = new Functions('one', { add: schema });
    const two = new Functions('two', { mul: { ...schema } });
    const registry = await start([{ plugin: one }, { plugin: two }]);
    expect(
      await registry.call('tool', 'execute', { function: 'mul', args: { n: 2 } }),
    ).toMatchObject({
      result: { by: 'two' },
    });
    const error = await registry
      .call('tool', 'execute', { function: 'add', args: { n: 'x' } })
      .catch((e: unknown) => e);
    expect(isHookValidationError(error) && error.pointer).toBe('/args/n');
  });
});
