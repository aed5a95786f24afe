// The generated tool KindSpec drives registry.call(): two real tool plugins
// (folders with dagstack.toml, in-process); the caller never names a dispatch
// class, and the schemas embedded in the KindSpec validate inputs and outputs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CollectEntry,
  HookValidationError,
  isHookValidationError,
  PluginRegistry,
  type PluginRegistryOptions,
  STANDARD_KINDS,
  ToolV1,
} from '../src/index.js';
import { tempDir } from './temp.js';

const TOOL_SOURCE = `export class Tool {
  setup(ctx) {
    this.name = ctx.config.name;
    this.journal = ctx.resources.get('journal');
  }
  get_schema() {
    this.journal.push(this.name + '.get_schema');
    return this.name === 'calculator'
      ? [
          { name: 'add', description: 'Add two numbers.', parameters: { type: 'object', required: ['a', 'b'] } },
          { name: 'bad_output', description: 'Returns a result that breaks the kind contract.', parameters: { type: 'object' } },
        ]
      : [{ name: 'echo', description: 'Return the arguments.', parameters: { type: 'object' } }];
  }
  async execute(input) {
    this.journal.push(this.name + '.execute:' + input.function);
    if (input.function === 'add') return { result: input.args.a + input.args.b };
    if (input.function === 'bad_output') return { result: 1, is_error: 'no' };
    return { result: { plugin: this.name, args: input.args } };
  }
}
`;

function writeTool(root: string, name: string, priority: number): void {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'dagstack.toml'),
    `[plugin]
schema_version = "1"
name = "${name}"
kind = "tool"
kind_api_version = "1.0.0"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Tool"
priority = ${priority}

[plugin.resources]
required = ["journal"]
`,
  );
  writeFileSync(join(dir, 'plugin.mjs'), TOOL_SOURCE);
}

const registries: PluginRegistry[] = [];

afterEach(async () => {
  for (const registry of registries.splice(0)) {
    await registry.teardownAll();
    registry.close();
  }
});

async function startTools(
  options: Partial<PluginRegistryOptions> = {},
): Promise<{ registry: PluginRegistry; journal: string[] }> {
  const root = tempDir();
  writeTool(root, 'calculator', 20);
  writeTool(root, 'echo', 10);
  const journal: string[] = [];
  const registry = new PluginRegistry({
    resources: { journal },
    config: { tool: { calculator: { name: 'calculator' }, echo: { name: 'echo' } } },
    validateCalls: true,
    healthChecks: false,
    env: {},
    ...options,
  });
  registries.push(registry);
  for (const kind of STANDARD_KINDS) registry.registerKind(kind);
  const found = await registry.discover(root);
  expect(found.entries.map((e) => e.manifest.name)).toEqual(['calculator', 'echo']);
  const report = await registry.setupAll();
  expect([...report.started].sort()).toEqual(['calculator', 'echo']);
  return { registry, journal };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('the generated tool KindSpec in a registry', () => {
  it('routes execute by function: the one plugin whose get_schema lists it, its value', async () => {
    const { registry, journal } = await startTools();
    const input: ToolV1.ExecuteInput = { function: 'add', args: { a: 2, b: 3 } };
    const output = (await registry.call(
      ToolV1.KIND_NAME,
      'execute',
      input,
    )) as ToolV1.ExecuteOutput;
    expect(output).toEqual({ result: 5 });
    expect(journal.filter((j) => j.includes('.execute'))).toEqual(['calculator.execute:add']);
    // The lower-priority plugin gets the functions only it lists.
    const echoed = await registry.call('tool', 'execute', { function: 'echo', args: { x: 1 } });
    expect(echoed).toEqual({ result: { plugin: 'echo', args: { x: 1 } } });
    expect(journal.filter((j) => j.includes('.execute'))).toEqual([
      'calculator.execute:add',
      'echo.execute:echo',
    ]);
  });

  it('DAGSTACK_ACTIVE_TOOL settles ties only: a function one plugin lists still goes to it', async () => {
    const { registry, journal } = await startTools({
      env: { DAGSTACK_ACTIVE_TOOL: 'calculator' },
    });
    const output = await registry.call('tool', 'execute', { function: 'echo', args: { x: 1 } });
    expect(output).toEqual({ result: { plugin: 'echo', args: { x: 1 } } });
    expect(journal.filter((j) => j.includes('.execute'))).toEqual(['echo.execute:echo']);
  });

  it('dispatches get_schema as broadcast_collect: every plugin, in dispatch order', async () => {
    const { registry, journal } = await startTools();
    const collected = (await registry.call(
      'tool',
      'get_schema',
      {},
    )) as CollectEntry<ToolV1.GetSchemaOutput>[];
    expect(collected.map((c) => [c.plugin, c.value.map((f) => f.name)])).toEqual([
      ['calculator', ['add', 'bad_output']],
      ['echo', ['echo']],
    ]);
    expect(journal.sort()).toEqual(['calculator.get_schema', 'echo.get_schema']);
  });

  it('validates the input against the embedded schema before any plugin runs', async () => {
    const { registry, journal } = await startTools();
    const missing = await rejection(registry.call('tool', 'execute', { function: 'add' }));
    expect(isHookValidationError(missing)).toBe(true);
    expect(missing).toBeInstanceOf(HookValidationError);
    expect(missing).toMatchObject({
      code: 'HOOK_VALIDATION_ERROR',
      kind: 'tool',
      hook: 'execute',
      direction: 'input',
      pointer: '/args',
    });
    expect(String(missing)).toContain('/args');
    const wrongType = await rejection(registry.call('tool', 'execute', { function: 7, args: {} }));
    expect(wrongType).toMatchObject({ direction: 'input', pointer: '/function' });
    const extra = await rejection(
      registry.call('tool', 'execute', { function: 'add', args: {}, retries: 3 }),
    );
    expect(extra).toMatchObject({ direction: 'input', pointer: '/retries' });
    const notEmpty = await rejection(registry.call('tool', 'get_schema', { verbose: true }));
    expect(notEmpty).toMatchObject({ hook: 'get_schema', direction: 'input', pointer: '/verbose' });
    expect(journal).toEqual([]);
  });

  it('validates the output and names the plugin that broke the contract', async () => {
    const { registry, journal } = await startTools();
    const bad = await rejection(
      registry.call('tool', 'execute', { function: 'bad_output', args: {} }),
    );
    expect(isHookValidationError(bad)).toBe(true);
    expect(bad).toMatchObject({
      direction: 'output',
      plugin: 'calculator',
      pointer: '/is_error',
    });
    expect(journal.filter((j) => j.includes('.execute'))).toEqual([
      'calculator.execute:bad_output',
    ]);
  });
});
