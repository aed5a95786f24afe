// Lifecycle scenarios with real plugin modules on disk (ADR-0002 §Lifecycle ordering).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isAmbiguousPlugin,
  isDependencyCycle,
  isHookTimeout,
  isMissingDependency,
  isPluginLoadError,
  isTeardownErrors,
  type KindSpec,
} from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/index.js';
import { behaviour, type PluginSpec, writePlugin } from './fixtures.js';

// Lifecycle tests have many plugins of one kind with equal priorities: a
// broadcast hook keeps dispatch from refusing the start over a singleton tie.
const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'execute', dispatch: 'broadcast_collect', mcp_exposed: true }],
};
const SINGLETON_TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
};

let root: string;
let registries: PluginRegistry[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-registry-'));
});
afterEach(async () => {
  for (const registry of registries) registry.close();
  registries = [];
  await rm(root, { recursive: true, force: true });
});

async function setup(
  specs: PluginSpec[],
  flags: Record<string, Record<string, unknown>> = {},
  options: { env?: Record<string, string>; spec?: KindSpec } = {},
): Promise<{ registry: PluginRegistry; journal: string[] }> {
  for (const spec of specs) await writePlugin(root, spec);
  const journal: string[] = [];
  const registry = new PluginRegistry({
    resources: { journal },
    config: behaviour(
      flags,
      specs.map((s) => s.name),
    ),
    healthChecks: false,
    env: options.env ?? {},
  });
  registries.push(registry);
  registry.registerKind(options.spec ?? TOOL);
  await registry.discover(root);
  return { registry, journal };
}

const states = (registry: PluginRegistry) =>
  Object.fromEntries(registry.status().map((s) => [s.name, s.state]));

describe('start and stop order', () => {
  it('starts a diamond in dependency groups and tears down in the exact reverse of the actual start', async () => {
    // Registration (folder) order is alphabetical: d-top, b-left, c-right, a-base is not the dependency order.
    const { registry, journal } = await setup(
      [
        { name: 'd-top', dependsOn: ['b-left', 'c-right'] },
        { name: 'b-left', dependsOn: ['a-base'], priority: 5 },
        { name: 'c-right', dependsOn: ['a-base'] },
        { name: 'a-base', priority: 1 },
      ],
      // b-left starts first (higher priority) but finishes last in its group.
      { 'b-left': { setupDelayMs: 60 } },
    );
    const report = await registry.setupAll();
    expect(report.started).toEqual(['a-base', 'c-right', 'b-left', 'd-top']);
    expect(journal).toEqual([
      'setup:a-base',
      'ready:a-base',
      'setup:b-left',
      'setup:c-right',
      'ready:c-right',
      'ready:b-left',
      'setup:d-top',
      'ready:d-top',
    ]);
    journal.length = 0;
    await registry.teardownAll();
    expect(journal).toEqual([
      'teardown:d-top',
      'teardown:b-left',
      'teardown:c-right',
      'teardown:a-base',
    ]);
    expect(new Set(Object.values(states(registry)))).toEqual(new Set(['stopped']));
  });

  it('initiates the setups of a group by priority, then name', async () => {
    const { registry, journal } = await setup([
      { name: 'zeta', priority: 10 },
      { name: 'alpha' },
      { name: 'beta' },
      { name: 'gamma', priority: 10 },
    ]);
    const report = await registry.setupAll();
    expect(journal.filter((j) => j.startsWith('setup:'))).toEqual([
      'setup:gamma',
      'setup:zeta',
      'setup:alpha',
      'setup:beta',
    ]);
    expect([...report.started].sort()).toEqual(['alpha', 'beta', 'gamma', 'zeta']);
  });
});

describe('ready means callable', () => {
  it('a plugin is in dispatch when its ready event fires, even while its start group is still running', async () => {
    // fast and slow have no dependencies: one start group. fast is set up
    // long before slow; a listener calls fast the moment it is ready.
    const { registry } = await setup([{ name: 'fast' }, { name: 'slow' }], {
      slow: { setupDelayMs: 300 },
    });
    const calls: Promise<unknown>[] = [];
    registry.on('state', (change) => {
      if (change.to === 'ready') {
        calls.push(
          registry.call('tool', 'execute', { msg: `hi ${change.name}` }, { target: change.name }),
        );
      }
    });
    await registry.setupAll();
    const results = await Promise.allSettled(calls);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(
      results.map((r) =>
        r.status === 'fulfilled' ? (r.value as { plugin: string }[])[0] : r.reason,
      ),
    ).toEqual([
      { plugin: 'fast', value: { echoed: 'hi fast', plugin: 'fast', tenant: null } },
      { plugin: 'slow', value: { echoed: 'hi slow', plugin: 'slow', tenant: null } },
    ]);
    await registry.teardownAll();
  });
});

describe('the registry view a plugin gets in setup', () => {
  it('finds plugins by name across kinds and calls one by target', async () => {
    const caller = `export class Caller {
  async setup(ctx) {
    const journal = ctx.resources.get('journal');
    journal.push(JSON.stringify(ctx.registry.find('beta').map((p) => [p.kind, p.name, p.state])));
    journal.push(JSON.stringify(ctx.registry.find('nobody')));
    const out = await ctx.registry.call('tool', 'execute', { msg: 'x' }, { target: 'beta', timeoutMs: 5000 });
    journal.push(JSON.stringify(out));
  }
}`;
    const { registry, journal } = await setup([
      { name: 'alpha' },
      { name: 'beta' },
      {
        name: 'caller',
        kind: 'app',
        dependsOn: ['alpha', 'beta'],
        source: caller,
        entryPoint: 'plugin:Caller',
      },
    ]);
    await registry.setupAll();
    expect(states(registry)).toEqual({ alpha: 'ready', beta: 'ready', caller: 'ready' });
    expect(journal.filter((line) => line.startsWith('[') || line.startsWith('{'))).toEqual([
      JSON.stringify([['tool', 'beta', 'ready']]),
      JSON.stringify([]),
      JSON.stringify([{ plugin: 'beta', value: { echoed: 'x', plugin: 'beta', tenant: null } }]),
    ]);
    await registry.teardownAll();
  });
});

describe('failures during start', () => {
  it('marks a failed plugin and everything depending on it unavailable; the rest start', async () => {
    const { registry } = await setup(
      [
        { name: 'base' },
        { name: 'middle', dependsOn: ['base'] },
        { name: 'leaf', dependsOn: ['middle'] },
        { name: 'leaf2', dependsOn: ['leaf'] },
        { name: 'independent' },
      ],
      { middle: { failSetup: true } },
    );
    const report = await registry.setupAll();
    expect([...report.started].sort()).toEqual(['base', 'independent']);
    expect(states(registry)).toEqual({
      base: 'ready',
      independent: 'ready',
      leaf: 'unavailable',
      leaf2: 'unavailable',
      middle: 'unavailable',
    });
    const rows = Object.fromEntries(registry.status().map((s) => [s.name, s]));
    expect(rows.middle?.error?.code).toBe('PLUGIN_LOAD_ERROR');
    expect(rows.middle?.error?.message).toContain('setup failed on purpose');
    expect(rows.leaf?.error?.code).toBe('MISSING_DEPENDENCY');
    expect(rows.leaf?.error?.message).toContain('"middle"');
    expect(rows.leaf2?.error?.message).toContain('"leaf"');
    const middle = report.unavailable.find((u) => u.plugin === 'middle');
    expect(isPluginLoadError(middle?.error)).toBe(true);
  });

  it('times out a setup that hangs and keeps going', async () => {
    const { registry } = await setup(
      [{ name: 'hangs', startupTimeoutSec: 0.2 }, { name: 'fine' }],
      { hangs: { hangSetup: true } },
    );
    const report = await registry.setupAll();
    expect(report.started).toEqual(['fine']);
    const hangs = report.unavailable.find((u) => u.plugin === 'hangs');
    expect(isHookTimeout(hangs?.error)).toBe(true);
    expect(hangs?.error.message).toContain('200 ms');
  });

  it('reports a dependency on a plugin that does not exist', async () => {
    const { registry } = await setup([{ name: 'orphan', dependsOn: ['ghost'] }]);
    const report = await registry.setupAll();
    expect(report.started).toEqual([]);
    expect(isMissingDependency(report.unavailable[0]?.error)).toBe(true);
    expect(report.unavailable[0]?.error.message).toContain('"ghost", which is not registered');
  });

  it('refuses to start on a dependency cycle and names it', async () => {
    const { registry, journal } = await setup([
      { name: 'a', dependsOn: ['c'] },
      { name: 'b', dependsOn: ['a'] },
      { name: 'c', dependsOn: ['b'] },
      { name: 'free' },
    ]);
    const error = await registry.setupAll().catch((e: unknown) => e);
    expect(isDependencyCycle(error)).toBe(true);
    expect((error as { cycle: string[] }).cycle).toEqual(['a', 'c', 'b', 'a']);
    expect(journal).toEqual([]);
  });

  it('refuses to start when a singleton kind has a priority tie, unless DAGSTACK_ACTIVE_<KIND> picks one', async () => {
    const specs = [
      { name: 'one', priority: 10 },
      { name: 'two', priority: 10 },
    ];
    const { registry } = await setup(specs, {}, { spec: SINGLETON_TOOL });
    const error = await registry.setupAll().catch((e: unknown) => e);
    expect(isAmbiguousPlugin(error)).toBe(true);
    expect((error as Error).message).toContain('DAGSTACK_ACTIVE_TOOL');
    await rm(root, { recursive: true, force: true });
    const chosen = await setup(
      specs,
      {},
      { env: { DAGSTACK_ACTIVE_TOOL: 'two' }, spec: SINGLETON_TOOL },
    );
    await chosen.registry.setupAll();
    expect(await chosen.registry.call('tool', 'execute', { msg: 'hi' })).toMatchObject({
      plugin: 'two',
    });
  });
});

describe('one plugin per runtime (singleton_per_runtime)', () => {
  const ONE_PER_RUNTIME: KindSpec = {
    ...TOOL,
    constraints: { singleton_per_runtime: true },
  };

  it('refuses to start two plugins of such a kind, naming them and the variable that chooses', async () => {
    const { registry, journal } = await setup(
      [{ name: 'alpha' }, { name: 'beta' }],
      {},
      {
        spec: ONE_PER_RUNTIME,
      },
    );
    const error = await registry.setupAll().catch((e: unknown) => e);
    expect(isAmbiguousPlugin(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'one_per_runtime', candidates: ['alpha', 'beta'] });
    expect((error as Error).message).toContain('one plugin per runtime');
    expect((error as { hint?: string }).hint).toContain('DAGSTACK_ACTIVE_TOOL');
    expect(journal).toEqual([]); // nothing started
  });

  it('DAGSTACK_ACTIVE_<KIND> starts the named one; the other is unavailable with the reason', async () => {
    const { registry, journal } = await setup(
      [{ name: 'alpha' }, { name: 'beta' }],
      {},
      {
        spec: ONE_PER_RUNTIME,
        env: { DAGSTACK_ACTIVE_TOOL: 'beta' },
      },
    );
    const report = await registry.setupAll();
    expect(report.started).toEqual(['beta']);
    expect(states(registry)).toEqual({ alpha: 'unavailable', beta: 'ready' });
    const alpha = registry.status().find((r) => r.name === 'alpha');
    expect(alpha?.error?.details).toMatchObject({ reason: 'one_per_runtime' });
    expect(journal).not.toContain('setup:alpha');
  });

  it('one plugin of such a kind starts as usual', async () => {
    const { registry } = await setup([{ name: 'alpha' }], {}, { spec: ONE_PER_RUNTIME });
    expect((await registry.setupAll()).started).toEqual(['alpha']);
  });
});

describe('teardown', () => {
  it('marks a hanging teardown leaked, continues with the next ones, and aggregates errors', async () => {
    const { registry, journal } = await setup(
      [
        { name: 'first' },
        { name: 'second', dependsOn: ['first'], teardownTimeoutSec: 0.2 },
        { name: 'third', dependsOn: ['second'] },
        { name: 'breaks', dependsOn: ['first'] },
      ],
      { second: { hangTeardown: true }, breaks: { failTeardown: true } },
    );
    await registry.setupAll();
    journal.length = 0;
    const error = await registry.teardownAll().catch((e: unknown) => e);
    expect(isTeardownErrors(error)).toBe(true);
    const failures = (error as { errors: { plugin: string; error: unknown }[] }).errors;
    expect(failures.map((f) => f.plugin).sort()).toEqual(['breaks', 'second']);
    expect(isHookTimeout(failures.find((f) => f.plugin === 'second')?.error)).toBe(true);
    expect(journal).toEqual([
      'teardown:third',
      'teardown:second',
      'teardown:breaks',
      'teardown:first',
    ]);
    expect(states(registry)).toMatchObject({
      first: 'stopped',
      second: 'leaked',
      third: 'stopped',
      breaks: 'stopped',
    });
    // A leaked plugin cannot be reloaded.
    await expect(registry.reload('second')).rejects.toThrow(/leaked/);
  });

  it('marks requires_restart when teardown() returns false', async () => {
    const { registry } = await setup([{ name: 'sticky' }], { sticky: { teardownReturns: false } });
    await registry.setupAll();
    await registry.teardownAll();
    expect(states(registry)).toEqual({ sticky: 'requires_restart' });
  });
});

describe('repeated and recovered lifecycles', () => {
  it('setupAll twice, teardownAll twice, then setup again', async () => {
    const { registry, journal } = await setup([{ name: 'p' }]);
    await registry.setupAll();
    const again = await registry.setupAll();
    expect(again.started).toEqual([]);
    await registry.teardownAll();
    await registry.teardownAll();
    expect(journal.filter((j) => j.startsWith('teardown'))).toEqual(['teardown:p']);
    const third = await registry.setupAll();
    expect(third.started).toEqual(['p']);
    expect(states(registry)).toEqual({ p: 'ready' });
    await registry.teardownAll();
  });

  it('reloads a plugin that failed after its problem is fixed', async () => {
    const flags: Record<string, Record<string, unknown>> = { flaky: { failSetup: true } };
    const config = { get: (_kind: string, name: string) => ({ name, ...flags[name] }) };
    await writePlugin(root, { name: 'flaky' });
    const registry = new PluginRegistry({
      resources: { journal: [] },
      config,
      healthChecks: false,
    });
    registries.push(registry);
    await registry.discover(root);
    await registry.setupAll();
    expect(states(registry)).toEqual({ flaky: 'unavailable' });
    flags.flaky = {};
    await registry.reload('flaky');
    expect(states(registry)).toEqual({ flaky: 'ready' });
  });
});
