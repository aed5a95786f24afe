// The registry API as the dagstack docs show it to TypeScript users:
// discover(registry, path), list(), setupAll({ configs, resources }) with a
// container of resources, `.instance` on loaded plugins, topoSort, and the
// 0.2 version line against `core_version`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isConfigInvalid,
  isDependencyCycle,
  isMissingDependency,
  isVersionIncompatible,
  type Logger,
  type PluginManifest,
} from '@dagstack/plugin-api';
import { discover } from '@dagstack/plugin-discovery';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CORE_VERSION, PluginRegistry, topoSort } from '../src/index.js';
import { type PluginSpec, writePlugin } from './fixtures.js';

let root: string;
const registries: PluginRegistry[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-docs-api-'));
});
afterEach(async () => {
  for (const registry of registries.splice(0)) {
    await registry.teardownAll().catch(() => {});
    registry.close();
  }
  await rm(root, { recursive: true, force: true });
});

function capture(): { logger: Logger; warnings: { message: string; fields: unknown }[] } {
  const warnings: { message: string; fields: unknown }[] = [];
  const noop = (): void => {};
  return {
    warnings,
    logger: {
      debug: noop,
      info: noop,
      warn: (message, fields) => warnings.push({ message, fields }),
      error: noop,
    },
  };
}

function make(options: ConstructorParameters<typeof PluginRegistry>[0] = {}): PluginRegistry {
  const registry = new PluginRegistry({ logger: 'silent', healthChecks: false, ...options });
  registries.push(registry);
  return registry;
}

/** A minimal resource container with the `ResourceRegistry` shape (names + get). */
class Resources {
  readonly #values = new Map<string, unknown>();
  register(name: string, value: unknown): void {
    this.#values.set(name, value);
  }
  get(name: string): unknown {
    return this.#values.get(name);
  }
  has(name: string): boolean {
    return this.#values.has(name);
  }
  names(): string[] {
    return [...this.#values.keys()];
  }
}

describe('discover(registry, path) and list()', () => {
  it('registers what it finds and list() returns the manifests by kind then name', async () => {
    await writePlugin(root, { name: 'zeta' });
    await writePlugin(root, { name: 'alpha' });
    await writePlugin(root, { name: 'llm-one', kind: 'llm' });
    const registry = make();
    const result = await discover(registry, root, { ignore: ['node_modules'] });
    expect(result.failures).toEqual([]);
    expect(registry.list().map((m) => `${m.kind}/${m.name}`)).toEqual([
      'llm/llm-one',
      'tool/alpha',
      'tool/zeta',
    ]);
    // The deprecated name is the same list.
    expect(registry.listManifests()).toEqual(registry.list());
  });
});

describe('setupAll({ configs })', () => {
  const schemaExtra = `
[plugin.config_schema]
type = "object"
required = ["name", "api_url"]
[plugin.config_schema.properties.name]
type = "string"
[plugin.config_schema.properties.api_url]
type = "string"
`;

  it('gives each plugin its config by name, validated against config_schema', async () => {
    await writePlugin(root, { name: 'good', extra: schemaExtra });
    await writePlugin(root, { name: 'bad', extra: schemaExtra });
    const journal: string[] = [];
    const registry = make({ resources: { journal } });
    await registry.discover(root);
    const report = await registry.setupAll({
      configs: {
        good: { name: 'good', api_url: 'https://api.example.com' },
        'tool.bad': { name: 'bad' },
      },
    });
    expect(report.started).toEqual(['good']);
    const bad = report.unavailable.find((u) => u.plugin === 'bad');
    expect(isConfigInvalid(bad?.error)).toBe(true);
    expect(bad?.error.message).toContain('api_url');
    expect(journal).toEqual(['setup:good', 'ready:good']);
  });

  it('takes configs before the config source and warns about a key naming no plugin', async () => {
    await writePlugin(root, { name: 'echo' });
    const journal: string[] = [];
    const { logger, warnings } = capture();
    const registry = make({
      resources: { journal },
      logger,
      config: { tool: { echo: { name: 'from-source' } } },
    });
    await registry.discover(root);
    await registry.setupAll({ configs: { echo: { name: 'from-configs' }, ecoh: { name: 'x' } } });
    expect(journal).toEqual(['setup:from-configs', 'ready:from-configs']);
    const typo = warnings.find((w) => w.message.includes('"ecoh"'));
    expect(typo?.message).toContain('names no registered plugin');
    expect(JSON.stringify(typo?.fields)).toContain('did you mean \\"echo\\"');
  });
});

describe('resources as a container (ResourceRegistry shape)', () => {
  it('reads the registry-level container when plugins start, so later registrations count', async () => {
    await writePlugin(root, { name: 'echo' });
    const resources = new Resources();
    const registry = make({ resources, config: { tool: { echo: { name: 'echo' } } } });
    await registry.discover(root);
    const journal: string[] = [];
    resources.register('journal', journal); // after the registry was made
    const report = await registry.setupAll();
    expect(report.started).toEqual(['echo']);
    expect(journal).toEqual(['setup:echo', 'ready:echo']);
  });

  it('takes a container in setupAll({ resources }) over the registry-level ones', async () => {
    await writePlugin(root, { name: 'echo' });
    const early: string[] = [];
    const late: string[] = [];
    const registry = make({
      resources: { journal: early },
      config: { tool: { echo: { name: 'echo' } } },
    });
    await registry.discover(root);
    const resources = new Resources();
    resources.register('journal', late);
    await registry.setupAll({ resources });
    expect(early).toEqual([]);
    expect(late).toEqual(['setup:echo', 'ready:echo']);
  });
});

describe('getLoadedPlugins()[i].instance', () => {
  it('is the attached object of an in-process plugin, callable directly', async () => {
    const registry = make();
    registry.registerManifest({
      schema_version: '1.0.0',
      name: 'internal',
      kind: 'payment_provider',
      kind_api_version: '1.0.0',
      core_version: '^0.2.0',
      runtime: 'in_process',
      entry_point: './plugin.js#Internal',
    });
    const object = { charge: (input: { amountCents: number }) => ({ charged: input.amountCents }) };
    registry.attachPlugin('internal', object);
    await registry.setupAll();
    const loaded = registry.getLoadedPlugins().find((p) => p.manifest.name === 'internal');
    expect(loaded?.instance).toBe(object);
    expect((loaded?.instance as typeof object | undefined)?.charge({ amountCents: 1999 })).toEqual({
      charged: 1999,
    });
  });

  it('is the loaded module object for a plugin discovered from disk', async () => {
    await writePlugin(root, { name: 'echo' });
    const registry = make({
      resources: { journal: [] },
      config: { tool: { echo: { name: 'echo' } } },
    });
    await registry.discover(root);
    await registry.setupAll();
    const [loaded] = registry.getLoadedPlugins();
    expect(loaded?.instance?.constructor.name).toBe('Behaving');
  });
});

describe('topoSort(manifests)', () => {
  async function manifests(specs: PluginSpec[]): Promise<PluginManifest[]> {
    for (const spec of specs) await writePlugin(root, spec);
    const registry = make();
    await registry.discover(root);
    return registry.list();
  }

  it('orders dependencies first, then priority (highest first), then name', async () => {
    const list = await manifests([
      { name: 'api', dependsOn: ['db', 'cache'] },
      { name: 'db' },
      { name: 'cache', priority: 10 },
      { name: 'metrics' },
      { name: 'audit', priority: 5 },
    ]);
    expect(topoSort(list).map((m) => m.name)).toEqual(['cache', 'audit', 'db', 'metrics', 'api']);
  });

  it('throws DependencyCycle naming the cycle, MissingDependency naming the plugin', async () => {
    const cyclic = await manifests([
      { name: 'a', dependsOn: ['b'] },
      { name: 'b', dependsOn: ['a'] },
    ]);
    const cycle = (() => {
      try {
        return topoSort(cyclic);
      } catch (e) {
        return e;
      }
    })();
    expect(isDependencyCycle(cycle)).toBe(true);
    expect((cycle as Error).message).toMatch(/"?a"?.*"?b"?/);
    const onlyA = cyclic.filter((m) => m.name === 'a');
    const missing = (() => {
      try {
        return topoSort(onlyA);
      } catch (e) {
        return e;
      }
    })();
    expect(isMissingDependency(missing)).toBe(true);
    expect((missing as Error).message).toContain('"b"');
  });
});

describe('the 0.2 version line', () => {
  function manifest(name: string, coreVersion: string): unknown {
    return {
      schema_version: '1.0.0',
      name,
      kind: 'tool',
      kind_api_version: '1.0.0',
      core_version: coreVersion,
      runtime: 'in_process',
      entry_point: './plugin.js#Echo',
    };
  }

  it('reports a 0.2.x core', () => {
    expect(CORE_VERSION).toMatch(/^0\.2\.\d+$/);
  });

  it('loads a plugin that asks ^0.2.0 or >=0.2.0 and refuses ^0.1.0 naming both versions', async () => {
    const registry = make();
    const wants = { caret: '^0.2.0', floor: '>=0.2.0', old: '^0.1.0' };
    for (const [name, range] of Object.entries(wants)) {
      registry.registerManifest(manifest(name, range));
      registry.attachPlugin(name, { execute: () => ({ ok: true }) });
    }
    const report = await registry.setupAll();
    expect([...report.started].sort()).toEqual(['caret', 'floor']);
    const refused = report.unavailable.find((u) => u.plugin === 'old');
    expect(isVersionIncompatible(refused?.error)).toBe(true);
    expect(refused?.error.message).toContain('^0.1.0');
    expect(refused?.error.message).toContain(CORE_VERSION);
  });
});
