// The governance filter of a middleware plugin (ADR-0005 §4: "the governance
// product registers the filter through chain middleware"; spec decision
// R18): a `chain_wrap` plugin loaded from disk with a `filter(candidates,
// call)` method narrows the candidates of the calls it wraps, after the
// host's `governanceFilter` and in middleware priority order.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isKindUnknown,
  isPluginRegistryError,
  isPluginUnavailable,
  type KindSpec,
} from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginRegistry, type PluginRegistryOptions } from '../src/index.js';

const TOOL = `
export class Tool {
  setup(ctx) { this.name = ctx.config.name; this.journal = ctx.resources.get('journal'); }
  execute() { this.journal.push('execute:' + this.name); return this.name; }
  list() { this.journal.push('list:' + this.name); return this.name; }
}
`;

// Allows, per tenant, the plugins its configuration lists (all, for a tenant
// it does not list); records what it was shown.
const GOVERNANCE = `
export class Governance {
  setup(ctx) { this.config = ctx.config; this.journal = ctx.resources.get('journal'); }
  filter(candidates, call) {
    this.journal.push(this.config.name + ':' + call.kind + '.' + call.hook + ':' +
      candidates.map((c) => c.name).join(','));
    if (this.config.inspect) {
      this.journal.push('views:' + JSON.stringify(candidates.map((c) =>
        [Object.isFrozen(c), Object.keys(c).sort().join('|'), c.manifest.name])));
    }
    if (this.config.answer === 'not-a-list') return 'nope';
    const allowed = this.config.allow[call.metadata.tenant_id];
    if (allowed === undefined) return candidates;
    // Objects and names are both accepted.
    return this.config.byName ? allowed : candidates.filter((c) => allowed.includes(c.name));
  }
}
`;

function manifest(
  name: string,
  kind: string,
  entry: string,
  extra: { priority?: number; chainWrap?: string } = {},
): string {
  return `[plugin]
schema_version = "1"
name = "${name}"
kind = "${kind}"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:${entry}"
priority = ${extra.priority ?? 0}
${extra.chainWrap ?? ''}

[plugin.resources]
optional = ["journal"]
`;
}

const KIND: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [
    { name: 'execute', dispatch: 'singleton', mcp_exposed: true },
    { name: 'list', dispatch: 'broadcast_collect', mcp_exposed: true },
  ],
};

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-mw-filter-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function plugin(name: string, toml: string, source: string): Promise<void> {
  await mkdir(join(root, name));
  await writeFile(join(root, name, 'dagstack.toml'), toml);
  await writeFile(join(root, name, 'plugin.js'), source);
}

/** Tools a (priority 30), b (20), c (10), and the given middleware plugins. */
async function host(
  middleware: { name: string; priority: number; hooks?: string[]; config: object }[],
  options: PluginRegistryOptions = {},
): Promise<{ registry: PluginRegistry; journal: string[] }> {
  const config: Record<string, Record<string, object>> = { tool: {}, middleware: {} };
  for (const [name, priority] of [
    ['a', 30],
    ['b', 20],
    ['c', 10],
  ] as const) {
    await plugin(name, manifest(name, 'tool', 'Tool', { priority }), TOOL);
    (config.tool as Record<string, object>)[name] = { name };
  }
  for (const m of middleware) {
    const hooks = JSON.stringify(m.hooks ?? ['*']);
    await plugin(
      m.name,
      manifest(m.name, 'middleware', 'Governance', {
        priority: m.priority,
        chainWrap: `[plugin.chain_wrap]\nkinds = ["tool"]\nhooks = ${hooks}`,
      }),
      GOVERNANCE,
    );
    (config.middleware as Record<string, object>)[m.name] = { name: m.name, ...m.config };
  }
  const journal: string[] = [];
  const registry = new PluginRegistry({
    logger: 'silent',
    healthChecks: false,
    resources: { journal },
    config,
    ...options,
  });
  registry.registerKind(KIND);
  await registry.discover(root);
  const report = await registry.setupAll();
  expect(report.unavailable).toEqual([]);
  return { registry, journal };
}

const acme = { metadata: { tenant_id: 'acme' } };

describe('a middleware plugin’s filter', () => {
  it('narrows the candidates of the calls it wraps, per call', async () => {
    const { registry, journal } = await host([
      { name: 'gov', priority: 1000, config: { allow: { acme: ['b', 'c'] } } },
    ]);
    await expect(registry.call('tool', 'execute', {}, acme)).resolves.toBe('b');
    expect(await registry.call('tool', 'list', {}, acme)).toEqual([
      { plugin: 'b', value: 'b' },
      { plugin: 'c', value: 'c' },
    ]);
    // Another tenant: the filter allows everyone, the top plugin answers.
    await expect(
      registry.call('tool', 'execute', {}, { metadata: { tenant_id: 'x' } }),
    ).resolves.toBe('a');
    expect(journal).toEqual([
      'gov:tool.execute:a,b,c',
      'execute:b',
      'gov:tool.list:a,b,c',
      'list:b',
      'list:c',
      'gov:tool.execute:a,b,c',
      'execute:a',
    ]);
    await registry.teardownAll();
  });

  it("runs after the host's governanceFilter, then by priority, each seeing what the previous allowed", async () => {
    const { registry, journal } = await host(
      [
        { name: 'inner', priority: 1000, config: { allow: { acme: ['b', 'c'] } } },
        { name: 'outer', priority: 2000, config: { allow: { acme: ['a', 'b'] } } },
      ],
      {
        governanceFilter: (_kind, _hook, candidates) => {
          journal.push(`host:${candidates.map((c) => c.name).join(',')}`);
          return candidates;
        },
      },
    );
    const journalOf = journal;
    journalOf.length = 0;
    expect(await registry.call('tool', 'list', {}, acme)).toEqual([{ plugin: 'b', value: 'b' }]);
    expect(journalOf).toEqual([
      'host:a,b,c',
      'outer:tool.list:a,b,c',
      'inner:tool.list:a,b',
      'list:b',
    ]);
    await registry.teardownAll();
  });

  it('holds on every path: a named plugin it drops is unavailable, nobody allowed is KindUnknown', async () => {
    const { registry, journal } = await host([
      { name: 'gov', priority: 1000, config: { allow: { acme: ['b'], none: [] } } },
    ]);
    const named = await registry
      .getPlugin('tool', 'a')
      .execute?.({}, acme)
      .catch((e: unknown) => e);
    expect(isPluginUnavailable(named)).toBe(true);
    expect((named as Error).message).toContain('governance filter');
    await expect(registry.getPlugin('tool').execute?.({}, acme)).resolves.toBe('b');
    const none = await registry
      .call('tool', 'execute', {}, { metadata: { tenant_id: 'none' } })
      .catch((e: unknown) => e);
    expect(isKindUnknown(none)).toBe(true);
    expect(journal.filter((e) => e.startsWith('execute:'))).toEqual(['execute:b']);
    await registry.teardownAll();
  });

  it('accepts names as the answer', async () => {
    const { registry } = await host([
      { name: 'gov', priority: 1000, config: { allow: { acme: ['c'] }, byName: true } },
    ]);
    await expect(registry.call('tool', 'execute', {}, acme)).resolves.toBe('c');
    await registry.teardownAll();
  });

  it('leaves the hooks its chain_wrap does not name alone', async () => {
    const { registry, journal } = await host([
      { name: 'gov', priority: 1000, hooks: ['list'], config: { allow: { acme: ['c'] } } },
    ]);
    await expect(registry.call('tool', 'execute', {}, acme)).resolves.toBe('a');
    expect(await registry.call('tool', 'list', {}, acme)).toEqual([{ plugin: 'c', value: 'c' }]);
    expect(journal.filter((e) => e.startsWith('gov:'))).toEqual(['gov:tool.list:a,b,c']);
    await registry.teardownAll();
  });

  it('an answer that is not a list is a PluginRegistryError naming the middleware', async () => {
    const { registry } = await host([
      { name: 'gov', priority: 1000, config: { allow: {}, answer: 'not-a-list' } },
    ]);
    const error = await registry.call('tool', 'execute', {}, acme).catch((e: unknown) => e);
    expect(isPluginRegistryError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'plugin "gov" (kind "middleware"): filter(candidates, call) returned string, not a list of candidates Hint: return the allowed candidates (or their names) synchronously, e.g. candidates.filter((c) => ...)',
    );
    await registry.teardownAll();
  });

  it('shows the filter frozen views of the candidates, not their handles or objects', async () => {
    const { registry, journal } = await host([
      { name: 'gov', priority: 1000, config: { allow: {}, inspect: true } },
    ]);
    await registry.call('tool', 'execute', {}, acme);
    expect(journal.filter((e) => e.startsWith('views:'))).toEqual([
      `views:${JSON.stringify([
        [true, 'kind|manifest|name', 'a'],
        [true, 'kind|manifest|name', 'b'],
        [true, 'kind|manifest|name', 'c'],
      ])}`,
    ]);
    await registry.teardownAll();
  });
});
